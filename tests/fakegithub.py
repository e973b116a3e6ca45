"""A small stateful GitHub for tests: a real HTTP server on loopback that PyGithub talks to.

It keeps issues' comments and labels, collaborator permissions, Apps and their installation tokens
(it checks the App's RS256 JWT with the App's public key), files on each repository's default branch
(the contents API), issues to list page by page (pull requests among them, as GitHub lists them),
records every request, and injects faults
(status codes with headers, dropped connections, slow or hanging answers, each before or after doing
the work) from a queue. Response
shapes follow the recorded responses in tests/fixtures/github/api/. It also builds and sends
webhook deliveries the way GitHub does (signed, over HTTP), from tests/fixtures/github/webhooks/.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import http.client
import json
import re
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jwt

from bot.deliver import send_delivery

# Recorded GitHub payloads and API responses, kept in the repository (see its README).
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "github"
API = FIXTURES / "api"
WEBHOOKS = FIXTURES / "webhooks"
APP_SLUG = "faq-bot"  # an App's default slug: its installation tokens write as `<slug>[bot]`
BOT_LOGIN = f"{APP_SLUG}[bot]"
TOKEN_LOGIN = "faq-bot-account"  # the user a personal access token belongs to


def _recorded_body(name: str):
    return json.loads((API / name).read_text())["response"]["body"]


_COMMENT = _recorded_body("issues.comments.get.json")
_LABEL = _recorded_body("issues.labels.add.json")[0]
_APP = _recorded_body("apps.get.composed.json")
_FILE = _recorded_body("repos.contents.get.composed.json")
_ISSUE, _PULL = _recorded_body("issues.list.composed.json")
_REPO = _recorded_body("repos.get.pygithub.json")
_INSTALLATION = _recorded_body("repos.installation.get.json")
CONTENTS_INLINE_LIMIT = 1024 * 1024  # GitHub sends larger files' content only with the raw media type
_NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: object
    query: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Fault:
    """Answer the next ``times`` requests matching ``method`` and ``path`` (a regex) like this."""

    method: str
    path: str
    status: int | None = None  # answer this (None: 500, or with ``perform`` the real answer)
    headers: dict[str, str] = field(default_factory=dict)
    body: object = None
    times: int = 1
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # before answering (or before dropping)
    # Do the real work first, then delay, then drop or answer: the real answer (a slow success), or
    # ``status`` (the work was done but the client is told it failed).
    perform: bool = False
    # With ``perform``: wait this long before doing the work (GitHub slow to create a comment).
    before: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method == method and re.search(self.path, path) is not None


class FakeGitHub:
    def __init__(self, token: str | None = "ghp_faketoken", max_comment_chars: int = 65536):
        self.tokens: set[str] = {token} if token else set()
        self.app_keys: dict[str, bytes] = {}  # app id -> public key PEM
        self.apps: dict[str, dict] = {}  # app id -> what GET /app answers
        self.installation_tokens: dict[str, tuple[int, float]] = {}  # token -> (installation, expiry)
        self._token_apps: dict[str, str] = {}  # installation token -> the app id that minted it
        self.max_comment_chars = max_comment_chars
        self.comments: dict[int, dict] = {}
        self.labels: dict[str, list[str]] = {}  # "owner/repo#n" -> names
        self.permissions: dict[tuple[str, str], tuple[str, str]] = {}
        self.installations: dict[str, int] = {}  # repo -> the id of the App's installation on it
        self.files: dict[tuple[str, str], str | bytes] = {}  # (repo, path) -> its content on the default branch
        self.issues: dict[str, list[dict]] = {}  # repo -> issues and pull requests, as GitHub lists them
        self.rate_limit: tuple[int, float] | None = None  # (remaining, reset epoch) sent with issue pages
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._next_comment = 1000
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what tests look at ------------------------------------------------------------------

    def fail(self, method: str, path: str, status: int | None = None, **kwargs) -> Fault:
        fault = Fault(method, path, status, **kwargs)
        self.faults.append(fault)
        return fault

    def calls(self, method: str | None = None, path: str = "") -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method) and re.search(path, r.path)]

    def writes(self) -> list[Recorded]:
        return [r for r in self.calls() if r.method in ("POST", "PATCH", "PUT", "DELETE")
                and "/access_tokens" not in r.path]

    def issue_comments(self, repo: str, number: int) -> list[dict]:
        with self._lock:
            return [c for c in self.comments.values() if c["_issue"] == f"{repo}#{number}"]

    def add_app(self, app_id: str, public_key_pem: bytes, slug: str = APP_SLUG) -> None:
        """An App whose installation tokens write as `<slug>[bot]`."""
        app = copy.deepcopy(_APP)
        app.update(id=int(app_id), slug=slug, name=slug.replace("-", " ").title(),
                   html_url=f"https://github.com/apps/{slug}")
        self.app_keys[str(app_id)] = public_key_pem
        self.apps[str(app_id)] = app

    def put_file(self, repo: str, path: str, content: str | bytes) -> None:
        """A file on the repository's default branch (as a maintainer's commit would leave it)."""
        with self._lock:
            self.files[(repo, path)] = content

    def add_issue(self, repo: str, number: int, title: str, body: str | None, labels: tuple[str, ...] = (),
                  author: str = "reporter", association: str = "NONE", pull_request: bool = False,
                  created_at: str | None = None) -> dict:
        """An issue (or a pull request) of the repository's past, for listing."""
        issue = copy.deepcopy(_PULL if pull_request else _ISSUE)
        kind = "pull" if pull_request else "issues"
        issue.update(number=number, id=10_000_000 + number, title=title, body=body, state="closed",
                     labels=[{**_LABEL, "name": name} for name in labels], author_association=association,
                     created_at=created_at or _now(), updated_at=created_at or _now(),
                     url=f"{self.url}/repos/{repo}/issues/{number}",
                     html_url=f"https://github.com/{repo}/{kind}/{number}")
        issue["user"] = {**issue["user"], "login": author, "type": "Bot" if author.endswith("[bot]") else "User"}
        with self._lock:
            self.issues.setdefault(repo, []).append(issue)
        return issue

    def delete_comment(self, comment_id: int) -> bool:
        """A maintainer deletes a comment; False when there was none."""
        with self._lock:
            return self.comments.pop(int(comment_id), None) is not None

    def remove_label(self, repo: str, number: int, name: str) -> bool:
        """A maintainer takes a label off an issue; False when it was not on it."""
        with self._lock:
            present = self.labels.get(f"{repo}#{number}", [])
            if name not in present:
                return False
            present.remove(name)
            return True

    # -- the API -----------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, headers: dict, body) -> tuple[int, dict, object]:
        if match := re.fullmatch(r"/app/installations/(\d+)/access_tokens", path):
            return self._mint_token(int(match[1]), headers)
        if method == "GET" and path == "/app":
            app_id = self._jwt_app(headers)
            return (200, {}, self.apps[app_id]) if app_id else self._bad_jwt()
        if method == "GET" and (match := re.fullmatch(r"/repos/([^/]+/[^/]+)/installation", path)):
            app_id = self._jwt_app(headers)
            if app_id is None:
                return self._bad_jwt()
            installation = self.installations.get(match[1])
            if installation is None:
                return 404, {}, _NOT_FOUND
            return 200, {}, {**_INSTALLATION, "id": installation, "app_id": int(app_id)}
        if not self._authorized(headers):
            return 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
        author = self._author(headers)
        routes = [
            ("GET", r"/user", lambda query, body: (200, {}, {"login": author["login"], "type": author["type"]})),
            ("GET", r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", self._list_comments),
            ("POST", r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments",
             lambda repo, number, query, body: self._create_comment(repo, number, query, body, author)),
            ("PATCH", r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", self._edit_comment),
            ("DELETE", r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", self._delete_comment),
            ("POST", r"/repos/([^/]+/[^/]+)/issues/(\d+)/labels", self._add_labels),
            ("DELETE", r"/repos/([^/]+/[^/]+)/issues/(\d+)/labels/([^/]+)", self._remove_label),
            ("GET", r"/repos/([^/]+/[^/]+)/collaborators/([^/]+)/permission", self._permission),
            ("GET", r"/repos/([^/]+/[^/]+)", self._repository),
            ("GET", r"/repos/([^/]+/[^/]+)/contents/(.+)", self._contents),
            ("GET", r"/repos/([^/]+/[^/]+)/issues", self._list_issues),
        ]
        for route_method, pattern, action in routes:
            if method == route_method and (match := re.fullmatch(pattern, path)):
                return action(*match.groups(), query=query, body=body)
        return 404, {}, _NOT_FOUND

    def _authorized(self, headers: dict) -> bool:
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return False
        if credential in self.tokens:
            return True
        installation = self.installation_tokens.get(credential)
        return installation is not None and installation[1] > time.time()

    def _author(self, headers: dict) -> dict:
        """Who the credential writes as: the App's bot account, or the token's own user."""
        credential = headers.get("authorization", "").partition(" ")[2]
        if credential in self.installation_tokens:
            return {"login": f"{self.apps[self._token_apps[credential]]['slug']}[bot]", "type": "Bot"}
        return {"login": TOKEN_LOGIN, "type": "User"}

    def add_comment(self, repo: str, number: int, body: str, login: str, user_type: str = "User") -> int:
        """A comment by someone else (a reporter, another bot), as a test sets the scene."""
        return self._create_comment(repo, str(number), {}, {"body": body}, {"login": login, "type": user_type})[2]["id"]

    def _jwt_app(self, headers: dict) -> str | None:
        """The id of the App whose key signed the request's JWT, or None."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        try:
            app_id = str(jwt.decode(token, options={"verify_signature": False})["iss"])
            jwt.decode(token, self.app_keys[app_id], algorithms=["RS256"])
        except (jwt.PyJWTError, KeyError):
            return None
        return app_id

    @staticmethod
    def _bad_jwt() -> tuple[int, dict, object]:
        return 401, {}, {"message": "A JSON web token could not be decoded", "documentation_url": "https://docs.github.com/rest"}

    def _mint_token(self, installation_id: int, headers: dict) -> tuple[int, dict, object]:
        app_id = self._jwt_app(headers)
        if app_id is None:
            return self._bad_jwt()
        issued = f"ghs_{secrets.token_hex(18)}"
        expiry = time.time() + 3600
        self.installation_tokens[issued] = (installation_id, expiry)
        self._token_apps[issued] = app_id
        expires_at = dt.datetime.fromtimestamp(expiry, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 201, {}, {"token": issued, "expires_at": expires_at, "permissions": {"issues": "write", "metadata": "read"},
                         "repository_selection": "selected"}

    def _list_comments(self, repo: str, number: str, query: dict, body) -> tuple[int, dict, object]:
        comments = self.issue_comments(repo, int(number))
        if "since" in query:  # GitHub: only comments last updated at or after this time
            comments = [c for c in comments if c["updated_at"] >= query["since"][0]]
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        headers = {}
        if page * per_page < len(comments):
            headers["Link"] = (f'<{self.url}/repos/{repo}/issues/{number}/comments?per_page={per_page}&page={page + 1}>;'
                               ' rel="next"')
        shown = comments[(page - 1) * per_page: page * per_page]
        return 200, headers, [_public(c) for c in shown]

    def _create_comment(self, repo: str, number: str, query: dict, body, author: dict) -> tuple[int, dict, object]:
        text = (body or {}).get("body")
        if not isinstance(text, str) or len(text) > self.max_comment_chars:
            return 422, {}, {"message": "Validation Failed", "errors": [
                {"resource": "IssueComment", "code": "custom", "field": "body",
                 "message": f"body is too long (maximum is {self.max_comment_chars} characters)"}],
                "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment"}
        with self._lock:
            self._next_comment += 1
            comment = copy.deepcopy(_COMMENT)
            comment.update(id=self._next_comment, body=text, _issue=f"{repo}#{number}",
                           created_at=_now(), updated_at=_now(),
                           url=f"{self.url}/repos/{repo}/issues/comments/{self._next_comment}",
                           issue_url=f"{self.url}/repos/{repo}/issues/{number}")
            comment["user"] = {**comment["user"], **author}
            self.comments[comment["id"]] = comment
        return 201, {"Location": comment["url"]}, _public(comment)

    def _edit_comment(self, repo: str, comment_id: str, query: dict, body) -> tuple[int, dict, object]:
        comment = self.comments.get(int(comment_id))
        if comment is None:
            return 404, {}, _NOT_FOUND
        comment.update(body=body["body"], updated_at=_now())
        return 200, {}, _public(comment)

    def _delete_comment(self, repo: str, comment_id: str, query: dict, body) -> tuple[int, dict, object]:
        return (204, {}, None) if self.delete_comment(int(comment_id)) else (404, {}, _NOT_FOUND)

    def _add_labels(self, repo: str, number: str, query: dict, body) -> tuple[int, dict, object]:
        names = body["labels"] if isinstance(body, dict) else body
        with self._lock:
            present = self.labels.setdefault(f"{repo}#{number}", [])
            present.extend(name for name in names if name not in present)
            return 200, {}, self._label_objects(repo, present)

    def _remove_label(self, repo: str, number: str, name: str, query: dict, body) -> tuple[int, dict, object]:
        if not self.remove_label(repo, int(number), unquote(name)):
            return 404, {}, {"message": "Label does not exist",
                             "documentation_url": "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue"}
        with self._lock:
            return 200, {}, self._label_objects(repo, self.labels[f"{repo}#{number}"])

    def _label_objects(self, repo: str, names: list[str]) -> list[dict]:
        return [{**_LABEL, "name": name, "url": f"{self.url}/repos/{repo}/labels/{name}"} for name in names]

    def _repository(self, repo: str, query: dict, body) -> tuple[int, dict, object]:
        owner, name = repo.split("/")
        return 200, {}, {**_REPO, "name": name, "full_name": repo, "default_branch": "main",
                         "owner": {**_REPO["owner"], "login": owner}, "url": f"{self.url}/repos/{repo}"}

    def _contents(self, repo: str, path: str, query: dict, body) -> tuple[int, dict, object]:
        path = unquote(path)
        if query.get("ref", ["main"])[0] != "main":
            return 404, {}, {"message": f"No commit found for the ref {query['ref'][0]}",
                             "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content"}
        with self._lock:
            content = self.files.get((repo, path))
        if content is None:
            return 404, {}, _NOT_FOUND
        data = content.encode() if isinstance(content, str) else content
        encoded = base64.b64encode(data).decode()
        answer = {**_FILE, "name": path.rsplit("/", 1)[-1], "path": path, "size": len(data),
                  "url": f"{self.url}/repos/{repo}/contents/{path}?ref=main",
                  "content": "".join(encoded[i:i + 60] + "\n" for i in range(0, len(encoded), 60)),
                  "encoding": "base64"}
        if len(data) > CONTENTS_INLINE_LIMIT:
            answer.update(content="", encoding="none")
        return 200, {}, answer

    def _list_issues(self, repo: str, query: dict, body) -> tuple[int, dict, object]:
        """GitHub's filters and order: state (open), since (updated at or after), sort created, direction (desc)."""
        with self._lock:
            issues = list(self.issues.get(repo, []))
        state = query.get("state", ["open"])[0]
        if state != "all":
            issues = [issue for issue in issues if issue["state"] == state]
        if "since" in query:
            issues = [issue for issue in issues if issue["updated_at"] >= query["since"][0]]
        issues.sort(key=lambda issue: (issue["created_at"], issue["number"]),
                    reverse=query.get("direction", ["desc"])[0] == "desc")
        per_page = min(100, int(query.get("per_page", ["30"])[0]))
        page = int(query.get("page", ["1"])[0])
        last = max(1, -(-len(issues) // per_page))
        headers = {}
        base = f"{self.url}/repositories/1296269/issues?" + "&".join(
            f"{key}={values[0]}" for key, values in sorted(query.items()) if key != "page")
        if page < last:
            headers["Link"] = f'<{base}&page={page + 1}>; rel="next", <{base}&page={last}>; rel="last"'
        if self.rate_limit is not None:
            headers.update({"X-RateLimit-Remaining": str(self.rate_limit[0]),
                            "X-RateLimit-Reset": str(int(self.rate_limit[1]))})
        return 200, headers, issues[(page - 1) * per_page: page * per_page]

    def _permission(self, repo: str, user: str, query: dict, body) -> tuple[int, dict, object]:
        permission, role = self.permissions.get((repo, user), ("read", "read"))
        return 200, {}, {"permission": permission, "role_name": role, "user": {"login": user, "type": "User"}}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _public(comment: dict) -> dict:
    return {key: value for key, value in comment.items() if not key.startswith("_")}


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, Nagle + delayed ACK cost 40 ms a request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args) -> None:  # quiet
            pass

        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw) if raw else None
            split = urlsplit(self.path)
            headers = {key.lower(): value for key, value in self.headers.items()}
            with fake._lock:
                fake.requests.append(Recorded(self.command, split.path, headers, body, parse_qs(split.query)))
                fault = next((f for f in fake.faults if f.matches(self.command, split.path)), None)
                if fault:
                    fault.times -= 1
            if fault is not None and fault.perform:
                time.sleep(fault.before)
            if fault is None or fault.perform:
                answer = fake.handle(self.command, split.path, parse_qs(split.query), headers, body)
            if fault:
                time.sleep(fault.delay)
                if fault.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if fault.status is not None or not fault.perform:
                    status = fault.status or 500
                    default_body = {"message": http.client.responses.get(status, "Error")}
                    answer = status, fault.headers, fault.body if fault.body is not None else default_body
            self._answer(*answer)

        def _answer(self, status: int, headers: dict, body) -> None:
            data = b"" if status == 204 else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler


# -- deliveries, as GitHub sends them ------------------------------------------------------------

MMCV_TRACEBACK = """Traceback (most recent call last):
  File "tools/train.py", line 10, in <module>
    from mmcv.ops import nms
  File "/usr/lib/python3.8/site-packages/mmcv/ops/__init__.py", line 2, in <module>
    from .active_rotated_filter import active_rotated_filter
ModuleNotFoundError: No module named 'mmcv._ext'"""


def example(name: str) -> dict:
    return json.loads((WEBHOOKS / f"{name}.json").read_text())


def issue_payload(action: str = "opened", title: str = "import error", body: str = MMCV_TRACEBACK,
                  number: int = 1, installation: int | None = None, labels: tuple[str, ...] = ()) -> dict:
    payload = example(f"issues.{action}")
    payload["issue"].update(title=title, body=body, number=number, labels=[{"name": name} for name in labels])
    payload["issue"]["user"].update(login="reporter")
    if installation is not None:
        payload["installation"] = {"id": installation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="}
    return payload


def unlabeled_payload(label: str, login: str = "maintainer", user_type: str = "User", number: int = 1,
                      labels: tuple[str, ...] = ()) -> dict:
    """`issues.unlabeled`: GitHub's issues payload with the removed `label` and who removed it."""
    payload = issue_payload("opened", number=number, labels=labels)
    payload["action"] = "unlabeled"
    payload["label"] = {"id": 208045946, "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=", "name": label, "color": "f29513",
                        "default": False, "description": None}
    payload["sender"].update(login=login, type=user_type)
    return payload


def comment_payload(comment: str, association: str = "OWNER", login: str = "Codertocat", user_type: str = "User",
                    title: str = "import error", body: str = MMCV_TRACEBACK, number: int = 1,
                    installation: int | None = None, labels: tuple[str, ...] = (), state: str = "open",
                    locked: bool = False, comment_id: int | None = None) -> dict:
    """`issue_comment.created` on issue ``number``, opened by "reporter"; by default from the owner."""
    payload = example("issue_comment.created")
    payload["issue"].update(title=title, body=body, number=number, labels=[{"name": name} for name in labels],
                            state=state, locked=locked)
    payload["issue"]["user"].update(login="reporter")
    payload["comment"].update(body=comment, author_association=association,
                              id=comment_id if comment_id is not None else int(uuid.uuid4().int % 10**9))
    payload["comment"]["user"].update(login=login, type=user_type)
    payload["sender"].update(login=login, type=user_type)
    if installation is not None:
        payload["installation"] = {"id": installation, "node_id": "x"}
    return payload


def reporter_comment(comment: str, **kwargs) -> dict:
    """A comment by the issue's author (a first-time contributor, as reporters usually are)."""
    return comment_payload(comment, association="NONE", login="reporter", **kwargs)


REPO = "Codertocat/Hello-World"  # the example payloads' repository


def deliver(url: str, event: str, payload: dict | bytes, secret: str | None, delivery_id: str | None = None,
            timeout: float = 10) -> tuple[int, dict]:
    """POST a delivery like GitHub's hookshot; returns (status, JSON answer or {})."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return send_delivery(url, event, body, secret, delivery_id, timeout,
                         headers={"User-Agent": "GitHub-Hookshot/044aadd", "X-GitHub-Hook-ID": "292430182"})
