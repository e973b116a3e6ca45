"""Talking to GitHub through PyGithub: auth (token or App), the calls handlers need, pacing, retries.

PyGithub's own throttling and retrying are switched off (`seconds_between_* = 0`, `retry=None`)
so that what happens on each failure is decided here, in one place, and can be tested:

| GitHub says | the bot does |
| --- | --- |
| 5xx, timeout, connection error | retry with exponential backoff and jitter, `max_attempts` in all; a comment create that may have gone through anyway is first looked for (see create_comment) |
| 403/429 with Retry-After, or X-RateLimit-Remaining: 0 | wait that long (Retry-After, else until X-RateLimit-Reset); a wait longer than `rate_limit_max_wait` raises RateLimited so the job is rescheduled instead of holding the worker |
| 403/429 secondary limit without either header | wait 60 s as GitHub's docs ask (so: rescheduled with the default cap) |
| 401 with an App installation token | mint a new token, once |
| 404 | retry twice, quickly (a just-created issue can lag behind its webhook), then give up: CommentGone for an edit; for a delete or a label removal the work is already done; for a file, at once: most repositories have no config file |
| 410, 422, other 4xx | give up at once (Unprocessable for 422, so the caller may shorten a comment) |

The client knows nothing about rules: handlers pass the marker that identifies the bot's comment. A
comment is the bot's own only when the bot wrote it: the token's user, or the App's `<slug>[bot]`.
Every attempt is counted in bot/metrics.py by call and status.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol, TypeVar

import requests
from github import Auth, Github, GithubException, GithubIntegration
from github.IssueComment import IssueComment

from bot import metrics
from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

NOT_FOUND_RETRIES = 2
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: "wait at least one minute" when no header says how long
TOKEN_REFRESH_MARGIN = 300.0  # mint a new installation token this long before the old one expires
CLOCK_SKEW = 300.0  # how far GitHub's clock may be from ours when comparing its timestamps with our time
MAINTAINER_PERMISSIONS = frozenset({"admin", "write"})
MAINTAINER_ROLES = frozenset({"admin", "maintain", "write", "triage"})


class GitHubError(Exception):
    """A GitHub request failed for good; the message says which request and why."""


class Unprocessable(GitHubError):
    """422: GitHub refused the content. ``max_chars`` is the body limit when GitHub named one."""

    def __init__(self, message: str, max_chars: int | None = None):
        super().__init__(message)
        self.max_chars = max_chars


class CommentGone(GitHubError):
    """404 on a comment the bot knows by id: someone deleted it (or the bot can no longer see it)."""


class Unavailable(GitHubError):
    """5xx, timeouts or connection errors outlasted the retries: worth trying again later."""


class UnreadableFile(GitHubError):
    """A file GitHub has but the bot cannot read as text: too large for the contents API, a folder, not UTF-8."""


class RateLimited(GitHubError):
    """Rate limited for longer than the worker should sleep: run the job again at ``until``."""

    def __init__(self, message: str, until: float):
        super().__init__(message)
        self.until = until


@dataclass(frozen=True)
class BotComment:
    id: int
    body: str


@dataclass(frozen=True)
class Permission:
    permission: str
    role_name: str = ""

    @property
    def may_maintain(self) -> bool:
        return self.permission in MAINTAINER_PERMISSIONS or self.role_name in MAINTAINER_ROLES


@dataclass(frozen=True)
class ListedIssue:
    """An issue as GitHub lists it: what replaying the rules on it needs."""

    number: int
    title: str
    body: str
    url: str  # its page on GitHub
    created_at: str  # ISO 8601, as GitHub writes it
    labels: tuple[str, ...] = ()
    author: str = ""
    author_association: str = ""
    pull_request: bool = False  # GitHub lists pull requests among issues


@dataclass(frozen=True)
class IssuePage:
    issues: tuple[ListedIssue, ...]
    has_next: bool
    rate_remaining: int | None = None  # X-RateLimit-Remaining after this page, when GitHub said
    rate_reset: float | None = None  # X-RateLimit-Reset (epoch seconds), when GitHub said


class IssueClient(Protocol):
    """What handlers may ask of GitHub, and nothing more."""

    def find_bot_comment(self, repo: str, number: int, marker: str) -> BotComment | None: ...
    def create_comment(self, repo: str, number: int, body: str) -> int: ...
    def edit_comment(self, repo: str, comment_id: int, body: str) -> None: ...  # CommentGone when deleted
    def delete_comment(self, repo: str, comment_id: int) -> None: ...
    def add_labels(self, repo: str, number: int, labels: tuple[str, ...]) -> None: ...
    def remove_label(self, repo: str, number: int, label: str) -> None: ...
    def get_permission(self, repo: str, user: str) -> Permission: ...
    def get_file(self, repo: str, path: str) -> str | None: ...  # the default branch's; None: no such file


class Pacer:
    """At least ``interval`` seconds between content-creating requests for one installation or token.

    With a store (the workers' job store), each key's next free moment is a row of the shared
    database, reserved atomically (Store.reserve_write_slot): every worker of every process on every
    machine keeps one spacing together. Without one (a replay), this process keeps it.
    """

    def __init__(self, interval: float, store=None):
        self.interval = interval
        self._store = store
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}  # key -> next free moment, without a store

    def wait(self, key: str = "") -> None:
        """Return when the next write for ``key`` may go out (its slot reserved before sleeping)."""
        if self.interval <= 0:
            return
        delay = self._reserve(key) - time.time()
        if delay > 0:
            time.sleep(delay)

    def _reserve(self, key: str) -> float:
        if self._store is not None:
            return self._store.reserve_write_slot(key, self.interval)
        with self._lock:
            slot = max(self._next.get(key, 0.0), time.time())
            self._next[key] = slot + self.interval
            return slot


@dataclass
class RetryPolicy:
    base_delay: float = 1.0
    max_attempts: int = 5
    rate_limit_max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def backoff(self, attempt: int) -> float:
        """Exponential, with full jitter so that many workers do not retry in step."""
        return self.base_delay * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def _github_kwargs(settings: Settings) -> dict:
    return dict(
        base_url=settings.api_url,
        timeout=max(1, math.ceil(settings.http_timeout)),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


class TokenCredentials:
    """A personal access token: one client for every installation."""

    can_refresh = False

    def __init__(self, settings: Settings):
        self._github = Github(auth=Auth.Token(settings.github_token), per_page=100, lazy=True, **_github_kwargs(settings))
        self._login: str | None = None
        # GitHub limits writes per token: one pace for all its installations (a digest: never the token).
        self._pace_key = "token:" + hashlib.sha256(settings.github_token.encode()).hexdigest()[:16]

    def pace_key(self, installation_id: int | None) -> str:
        return self._pace_key

    def github(self, installation_id: int | None) -> Github:
        return self._github

    def refresh(self, installation_id: int | None) -> None:
        raise AssertionError("a personal access token cannot be refreshed")

    def wrote(self, github: Github, login: str, user_type: str) -> bool:
        """Whether a comment by this user is the bot's own: the token's user wrote it."""
        if self._login is None:
            self._login = github.get_user().login  # once per process, and only on recovery paths
        return login == self._login


class AppCredentials:
    """A GitHub App: an installation token per installation, cached until shortly before it expires."""

    can_refresh = True

    def __init__(self, settings: Settings):
        self._settings = settings
        self._integration = GithubIntegration(auth=Auth.AppAuth(settings.app_id, settings.app_private_key),
                                              **_github_kwargs(settings))
        self._lock = threading.Lock()
        self._clients: dict[int, tuple[float, Github]] = {}
        self._slug_lock = threading.Lock()
        self._slug: str | None = None

    def pace_key(self, installation_id: int | None) -> str:
        """GitHub limits writes per installation token."""
        return f"app:{self._settings.app_id}:installation:{installation_id}"

    def github(self, installation_id: int | None) -> Github:
        if installation_id is None:
            raise GitHubError("the delivery names no installation: with GitHub App auth, install the App on "
                              "the repository instead of adding a repository webhook")
        with self._lock:
            cached = self._clients.get(installation_id)
            if cached and cached[0] - TOKEN_REFRESH_MARGIN > time.time():
                return cached[1]
            grant = self._integration.get_access_token(installation_id)
            client = Github(auth=Auth.Token(grant.token), per_page=100, lazy=True, **_github_kwargs(self._settings))
            self._clients[installation_id] = (_epoch(grant.expires_at), client)
            log.info("minted an installation token for installation %s", installation_id)
            return client

    def refresh(self, installation_id: int | None) -> None:
        with self._lock:
            self._clients.pop(installation_id, None)

    def wrote(self, github: Github, login: str, user_type: str) -> bool:
        """Whether a comment by this user is the bot's own: an App writes as its `<slug>[bot]` account.

        Any other bot (a translation or copy action) may carry the marker too: only this App's account counts.
        """
        return user_type == "Bot" and login == f"{self._app_slug()}[bot]"

    def installation_of(self, repo: str) -> int:
        """The id of this App's installation on ``repo`` (GET /repos/{repo}/installation, with the App's JWT)."""
        owner, _, name = repo.partition("/")
        try:
            return self._integration.get_repo_installation(owner, name).id
        except GithubException as error:
            raise GitHubError(f"the App is not installed on {repo} (GitHub answered {error.status}: "
                              f"{_message(error)})") from None

    def _app_slug(self) -> str:
        with self._slug_lock:
            if self._slug is None:
                # GET /app with the App's JWT, once per process, and only on recovery paths.
                self._slug = self._integration.get_app().slug
            return self._slug


class AnonymousCredentials:
    """No credentials: public repositories only, at GitHub's 60 requests an hour (a replay's last resort)."""

    can_refresh = False

    def __init__(self, settings: Settings):
        self._github = Github(per_page=100, lazy=True, **_github_kwargs(settings))

    def pace_key(self, installation_id: int | None) -> str:
        return "anonymous"

    def github(self, installation_id: int | None) -> Github:
        return self._github

    def refresh(self, installation_id: int | None) -> None:
        raise AssertionError("anonymous access cannot be refreshed")

    def wrote(self, github: Github, login: str, user_type: str) -> bool:
        return False


def _epoch(moment: datetime | None) -> float:
    if moment is None:
        return time.time() + 3600  # GitHub: installation tokens last an hour
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


class PyGithubClient:
    """IssueClient over PyGithub for one installation (or a personal token)."""

    def __init__(self, credentials: TokenCredentials | AppCredentials, installation_id: int | None,
                 pacer: Pacer, policy: RetryPolicy):
        self._credentials = credentials
        self._installation_id = installation_id
        self._pacer = pacer
        self._policy = policy

    def find_bot_comment(self, repo: str, number: int, marker: str) -> BotComment | None:
        def find(github: Github) -> BotComment | None:
            comment = next(self._own_comments(github, repo, number, lambda text: marker in text), None)
            return None if comment is None else BotComment(comment.id, comment.body)

        return self._call(f"list comments of {repo}#{number}", find, kind="list_comments")

    def create_comment(self, repo: str, number: int, body: str) -> int:
        """Post a comment; its id.

        A create is not idempotent: after a timeout, a dropped connection or a 5xx GitHub may have
        created the comment all the same. So before posting again, the bot looks for its own comment
        with this text created since this call began, and returns its id instead of posting twice.
        """
        since = datetime.now(timezone.utc) - timedelta(seconds=CLOCK_SKEW)
        text = _comparable(body)

        def posted_already(github: Github) -> int | None:
            found = None
            for comment in self._own_comments(github, repo, number, lambda other: _comparable(other) == text, since):
                if comment.created_at >= since:  # `since` selects by last update: an old one may have been edited
                    found = comment.id  # the newest: comments are listed oldest first
            return found

        return self._call(f"comment on {repo}#{number}",
                          lambda github: github.get_repo(repo).get_issue(number).create_comment(body).id,
                          write=True, recover=posted_already, kind="create_comment")

    def edit_comment(self, repo: str, comment_id: int, body: str) -> None:
        """Replace a comment's text; CommentGone when GitHub no longer has it."""

        def gone(error: GithubException) -> None:
            # After the quick 404 retries, not at once: a comment id the bot remembers that 404s almost
            # always means a maintainer deleted it, but the bot cannot tell that from a replica that
            # lags behind a just-created comment, and a wrong "gone" may lead the handler to post a
            # second answer, while the retries cost half a second.
            raise CommentGone(f"edit comment {comment_id} in {repo}: GitHub answered 404 (deleted, or not visible "
                              f"to the bot): {_message(error)}")

        self._call(f"edit comment {comment_id} in {repo}",
                   lambda github: _comment(github, repo, comment_id).edit(body), write=True, gone=gone,
                   kind="edit_comment")

    def delete_comment(self, repo: str, comment_id: int) -> None:
        """Delete a comment; one that is already gone (404) is fine."""
        self._call(f"delete comment {comment_id} in {repo}",
                   lambda github: _comment(github, repo, comment_id).delete(), write=True, gone=lambda error: None,
                   kind="delete_comment")

    def add_labels(self, repo: str, number: int, labels: tuple[str, ...]) -> None:
        self._call(f"label {repo}#{number}",
                   lambda github: github.get_repo(repo).get_issue(number).add_to_labels(*labels), write=True,
                   kind="add_labels")

    def remove_label(self, repo: str, number: int, label: str) -> None:
        """Take a label off an issue; one that is not on it is fine."""

        def remove(github: Github) -> None:
            # PyGithub's remove_from_labels leaves a "/" in the name unquoted, which makes another path.
            repository = github.get_repo(repo)
            try:
                repository.requester.requestJsonAndCheck(
                    "DELETE", f"{repository.url}/issues/{number}/labels/{requests.utils.quote(label, safe='')}")
            except GithubException as error:
                # GitHub's answer for a label that is not on the issue: the work is done, no retry.
                if error.status != 404 or "label does not exist" not in _message(error).lower():
                    raise

        self._call(f"unlabel {label} from {repo}#{number}", remove, write=True, kind="remove_label")

    def get_permission(self, repo: str, user: str) -> Permission:
        def ask(github: Github) -> Permission:
            # One request for both fields; PyGithub's helpers would make one request each.
            repository = github.get_repo(repo)
            _, data = repository.requester.requestJsonAndCheck(
                "GET", f"{repository.url}/collaborators/{requests.utils.quote(user, safe='')}/permission")
            return Permission(str(data.get("permission") or "none"), str(data.get("role_name") or ""))

        return self._call(f"permission of {user} in {repo}", ask, kind="get_permission")

    def get_file(self, repo: str, path: str) -> str | None:
        """A text file of the default branch (the contents API without `ref`); None when there is none.

        UnreadableFile when GitHub has it but not as UTF-8 text the contents API gives inline (over
        1 MB it sends no content), or when the path is a folder.
        """
        def read(github: Github) -> str:
            repository = github.get_repo(repo)
            _, data = repository.requester.requestJsonAndCheck(
                "GET", f"{repository.url}/contents/{requests.utils.quote(path, safe='/')}")
            return _file_text(repo, path, data)

        return self._call(f"read {path} in {repo}", read, gone=lambda error: None, retry_not_found=False,
                          kind="get_file")

    def list_issues(self, repo: str, page: int, since: datetime | None = None, per_page: int = 100) -> IssuePage:
        """One page of the repository's issues (pull requests included, as GitHub lists them), oldest first.

        ``since``: only issues updated at or after it (GitHub's filter). One request a page, whatever
        the page holds: nothing is asked per issue.
        """
        parameters = {"state": "all", "sort": "created", "direction": "asc", "per_page": per_page, "page": page}
        if since is not None:
            parameters["since"] = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

        def fetch(github: Github) -> IssuePage:
            repository = github.get_repo(repo)
            headers, data = repository.requester.requestJsonAndCheck("GET", f"{repository.url}/issues", parameters)
            headers = _headers(headers or {})
            if not isinstance(data, list):
                raise GitHubError(f"list issues of {repo}: GitHub answered with no list")
            return IssuePage(tuple(listed_issue(item) for item in data if isinstance(item, dict)),
                             'rel="next"' in headers.get("link", ""), _integer(headers.get("x-ratelimit-remaining")),
                             _integer(headers.get("x-ratelimit-reset")))

        return self._call(f"list issues of {repo} (page {page})", fetch, kind="list_issues")

    def _own_comments(self, github: Github, repo: str, number: int, wanted: Callable[[str], bool],
                      since: datetime | None = None) -> Iterator[IssueComment]:
        """The issue's comments that the bot wrote and whose text is ``wanted``, oldest first."""
        issue = github.get_repo(repo).get_issue(number)
        for comment in issue.get_comments(since) if since else issue.get_comments():
            # Anyone can type the marker or copy a text: only a comment the bot itself wrote is its own.
            # The text is tested first: the author check may cost a request (GET /user, GET /app) once.
            if wanted(comment.body or "") and self._credentials.wrote(github, comment.user.login, comment.user.type):
                yield comment

    def _call(self, what: str, request: Callable[[Github], T], write: bool = False,
              recover: Callable[[Github], T | None] | None = None,
              gone: Callable[[GithubException], T] | None = None, retry_not_found: bool = True,
              kind: str = "other") -> T:
        """Run ``request`` with the retries in the module's table.

        ``recover``: for a request that is not idempotent. Once an attempt failed in a way that may
        have done the work all the same (timeout, connection error, 5xx), every later attempt first
        asks ``recover`` whether it was done; an answer other than None is the result.
        ``gone``: what a 404 to ``request`` means once the quick retries are spent (returns the
        result or raises); by default, and for a 404 while minting a token, a GitHubError.
        ``retry_not_found``: False where a 404 is an ordinary answer (a file that is not there).
        ``kind``: the call's name in the metrics.
        """
        attempt = not_found = 0
        refreshed = uncertain = False
        while True:
            attempt += 1
            requested = False
            if write:
                self._pacer.wait(self._credentials.pace_key(self._installation_id))
            try:
                github = self._credentials.github(self._installation_id)
                if uncertain and recover is not None and (done := recover(github)) is not None:
                    log.warning("%s: done after all by an attempt that seemed to fail; not sent again", what)
                    return done
                requested = True
                result = request(github)
                metrics.GITHUB_REQUESTS.inc(call=kind, status="2xx")
                return result
            except (requests.ConnectionError, requests.Timeout) as error:
                # A connection error may come after the request was sent: requests does not always say.
                uncertain = True
                metrics.GITHUB_REQUESTS.inc(call=kind, status="timeout" if isinstance(error, requests.Timeout)
                                            else "connection")
                delay = self._transient(what, attempt, f"{type(error).__name__}")
            except GithubException as error:
                uncertain = uncertain or error.status >= 500
                metrics.GITHUB_REQUESTS.inc(call=kind, status=str(error.status))
                if error.status == 401 and self._credentials.can_refresh and not refreshed:
                    log.warning("%s: 401, minting a new installation token", what)
                    self._credentials.refresh(self._installation_id)
                    refreshed, delay = True, 0.0
                elif error.status == 404 and retry_not_found and not_found < NOT_FOUND_RETRIES:
                    not_found += 1
                    delay = self._policy.base_delay / 4
                elif error.status == 404 and gone is not None and requested:
                    return gone(error)
                else:
                    delay = self._decide(what, attempt, error)
            log.info("%s: retrying in %.2f s (attempt %d)", what, delay, attempt)
            self._policy.sleep(delay)

    def _transient(self, what: str, attempt: int, reason: str) -> float:
        if attempt >= self._policy.max_attempts:
            raise Unavailable(f"{what}: {reason}, still failing after {attempt} attempts")
        return self._policy.backoff(attempt)

    def _decide(self, what: str, attempt: int, error: GithubException) -> float:
        """How long to wait before retrying ``error``; raises when it must not be retried."""
        status, message = error.status, _message(error)
        if status >= 500:
            return self._transient(what, attempt, f"GitHub answered {status}")
        if status in (403, 429):
            wait = _rate_limit_wait(status, error.headers or {}, message)
            if wait is not None:
                return self._rate_limited(what, attempt, wait)
        if status == 422:
            raise Unprocessable(f"{what}: GitHub refused it (422): {message}", _max_chars(error))
        hint = {401: " (check GITHUB_TOKEN or the App's key)", 404: " (deleted, or not visible to the bot)",
                410: " (gone)"}.get(status, "")
        raise GitHubError(f"{what}: GitHub answered {status}{hint}: {message}")

    def _rate_limited(self, what: str, attempt: int, wait: float) -> float:
        if wait > self._policy.rate_limit_max_wait or attempt >= self._policy.max_attempts:
            raise RateLimited(f"{what}: rate limited for {wait:.0f} s", time.time() + wait)
        log.warning("%s: rate limited, waiting %.1f s", what, wait)
        return wait


def _comment(github: Github, repo: str, comment_id: int) -> IssueComment:
    # Issue 0 is never fetched (lazy): it only builds the comment's URL, as does the comment itself.
    return github.get_repo(repo).get_issue(0).get_comment(comment_id)


def _comparable(body: str) -> str:
    """A comment's text as GitHub may give it back: CRLF line ends as LF, trailing whitespace dropped."""
    return "\n".join(line.rstrip() for line in (body or "").replace("\r\n", "\n").split("\n")).rstrip()


def _file_text(repo: str, path: str, data: object) -> str:
    if not isinstance(data, dict) or data.get("type") != "file":
        raise UnreadableFile(f"{path} in {repo} is not a file")
    if data.get("encoding") != "base64":  # "none": over 1 MB, the contents API sends no content
        raise UnreadableFile(f"{path} in {repo} is {data.get('size', '?')} bytes: more than the contents API sends "
                             "(1 MB)")
    try:
        return base64.b64decode(str(data.get("content") or "")).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise UnreadableFile(f"{path} in {repo} is not UTF-8 text") from None


def listed_issue(data: dict) -> ListedIssue:
    """GitHub's issue object (from a list) as the bot reads it; missing fields read as empty."""
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    labels = data.get("labels") if isinstance(data.get("labels"), list) else []

    def text(value: object) -> str:
        return value if isinstance(value, str) else ""

    return ListedIssue(
        number=int(data.get("number") or 0), title=text(data.get("title")), body=text(data.get("body")),
        url=text(data.get("html_url")), created_at=text(data.get("created_at")),
        labels=tuple(label["name"] for label in labels if isinstance(label, dict) and isinstance(label.get("name"), str)),
        author=text(user.get("login")), author_association=text(data.get("author_association")),
        pull_request=bool(data.get("pull_request")),
    )


def _integer(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.strip().isdigit() else None


def _headers(raw: dict) -> dict[str, str]:
    return {str(key).lower(): str(value) for key, value in raw.items()}


def _rate_limit_wait(status: int, raw_headers: dict, message: str) -> float | None:
    """Seconds GitHub asks us to wait, or None when this 403 is not a rate limit."""
    headers = _headers(raw_headers)
    if headers.get("retry-after", "").strip().isdigit():
        return float(headers["retry-after"])
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        return max(0.0, int(headers["x-ratelimit-reset"]) - time.time()) + 1.0
    if status == 429 or "rate limit" in message.lower() or "abuse" in message.lower():
        return SECONDARY_LIMIT_WAIT
    return None


def _message(error: GithubException) -> str:
    data = error.data
    if isinstance(data, dict):
        return str(data.get("message") or data)
    return str(data or "")


_MAXIMUM = re.compile(r"maximum is (\d+)")


def _max_chars(error: GithubException) -> int | None:
    found = _MAXIMUM.search(str(error.data))
    return int(found.group(1)) if found else None


class DryRunClient:
    """No credentials: record and log what would be posted; post nothing."""

    def __init__(self, store):  # store: bot.jobs.Store
        self._store = store

    def find_bot_comment(self, repo: str, number: int, marker: str) -> BotComment | None:
        return None  # the answers table already holds what the dry run "posted"

    def create_comment(self, repo: str, number: int, body: str) -> int:
        """The dry-run record's id stands for the comment's: unique, and what later edits name."""
        record = self._store.record_dry_run(f"{repo}#{number}", "comment", body)
        log.info("dry run: would comment on %s#%d (dry-run record %d):\n%s", repo, number, record, body)
        return record

    def edit_comment(self, repo: str, comment_id: int, body: str) -> None:
        log.info("dry run: would edit comment %d in %s:\n%s", comment_id, repo, body)
        self._store.record_dry_run(f"{repo}@{comment_id}", "edit", body)

    def delete_comment(self, repo: str, comment_id: int) -> None:
        log.info("dry run: would delete comment %d in %s", comment_id, repo)
        self._store.record_dry_run(f"{repo}@{comment_id}", "delete", None)

    def add_labels(self, repo: str, number: int, labels: tuple[str, ...]) -> None:
        log.info("dry run: would label %s#%d with %s", repo, number, ", ".join(labels))
        self._store.record_dry_run(f"{repo}#{number}", "labels", None, labels)

    def remove_label(self, repo: str, number: int, label: str) -> None:
        log.info("dry run: would remove label %s from %s#%d", label, repo, number)
        self._store.record_dry_run(f"{repo}#{number}", "unlabel", None, (label,))

    def get_permission(self, repo: str, user: str) -> Permission:
        return Permission("none")  # cannot ask: only the payload's author_association counts

    def get_file(self, repo: str, path: str) -> str | None:
        return None  # cannot read: every repository gets the service's defaults


def reader_for(settings: Settings, repo: str) -> PyGithubClient:
    """A client that reads ``repo`` (replays): with the token, the App's installation on the repository,
    or, with neither, anonymously (public repositories, 60 requests an hour)."""
    policy = RetryPolicy(settings.retry_base_delay, settings.max_attempts, settings.rate_limit_max_wait)
    pacer = Pacer(settings.write_interval)
    if settings.app_id:
        credentials = AppCredentials(settings)
        return PyGithubClient(credentials, credentials.installation_of(repo), pacer, policy)
    credentials = TokenCredentials(settings) if settings.github_token else AnonymousCredentials(settings)
    return PyGithubClient(credentials, None, pacer, policy)


def client_factory(settings: Settings, store) -> Callable[[int | None], IssueClient]:
    """installation id -> IssueClient, sharing credentials (and their token cache) and one pacer, which
    paces each installation (or the token) through ``store``: across every worker that shares it."""
    if settings.dry_run:
        dry = DryRunClient(store)
        return lambda installation_id: dry
    credentials = AppCredentials(settings) if settings.app_id else TokenCredentials(settings)
    pacer = Pacer(settings.write_interval, store)
    policy = RetryPolicy(settings.retry_base_delay, settings.max_attempts, settings.rate_limit_max_wait)
    return lambda installation_id: PyGithubClient(credentials, installation_id, pacer, policy)
