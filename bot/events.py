"""Which deliveries become which work: an issue opened or edited, a label removed, a `/faq` command
(in a new comment, or added by a comment's edit), a comment by the issue's author.

Pure: a delivery (event name + parsed JSON) goes in, a small dataclass (or None: not for us) comes
out. A payload lacking what its event needs raises PayloadError, which the web front turns into a
4xx. A delivery is parsed once, by the web front: the job store keeps the parsed work
(`encode_work`), and the worker reads it back (`decode_work`) without looking at the payload again.
Who may run `/faq`, and what its word means, is decided later by the handlers (they may need to ask
GitHub, and they know the rules).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from bot.marker import carries_marker

MAINTAINER_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
HANDLED_ISSUE_ACTIONS = frozenset({"opened", "edited"})

# `/faq`, `/faq WORD` or `/faq WORD TARGET` at the start of a line (up to 3 spaces: 4 make a Markdown
# code block); `/faqs` is not the command.
_COMMAND = re.compile(r"^ {0,3}/faq(?:[ \t]+(?P<argument>\S{1,100})(?:[ \t]+(?P<target>\S{1,100}))?)?(?:[ \t].*)?$")
_QUOTE = re.compile(r"^ {0,3}>")
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")


class PayloadError(ValueError):
    """The delivery's JSON lacks a field its event needs (the message names it)."""


@dataclass(frozen=True)
class IssueRef:
    repo: str  # owner/name
    number: int
    installation_id: int | None = None

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True)
class IssueSnapshot:
    """The issue as the delivery shows it: enough to triage without reading it from GitHub."""

    title: str
    body: str
    labels: tuple[str, ...] = ()
    author: str = ""  # the reporter's login
    author_association: str = ""  # the reporter's association with the repository (OWNER, NONE, ...)


@dataclass(frozen=True)
class IssueChanged:
    ref: IssueRef
    issue: IssueSnapshot
    opened: bool  # False: edited, which only updates an answer already given


@dataclass(frozen=True)
class FaqCommand:
    ref: IssueRef
    issue: IssueSnapshot
    commenter: str
    author_association: str
    argument: str = ""  # the word after `/faq`: a rule id, a typo of one, a subcommand, or an ordinary word
    target: str = ""  # the word after that, for subcommands that take one (`/faq unmute RULE-ID`)

    @property
    def by_known_maintainer(self) -> bool:
        """The payload alone proves the commenter may run it; otherwise GitHub is asked."""
        return self.author_association in MAINTAINER_ASSOCIATIONS


@dataclass(frozen=True)
class LabelRemoved:
    """A person took a label off an issue: the bot must never put that label back."""

    ref: IssueRef
    label: str
    remover: str


@dataclass(frozen=True)
class AuthorComment:
    """The issue's author commented on their open issue (not a command): it may answer the bot."""

    ref: IssueRef
    issue: IssueSnapshot
    comment_id: int
    body: str


Work = IssueChanged | FaqCommand | LabelRemoved | AuthorComment
_KINDS: dict[str, type] = {"issue_changed": IssueChanged, "faq_command": FaqCommand, "label_removed": LabelRemoved,
                           "author_comment": AuthorComment}
_KIND_OF: dict[type, str] = {cls: kind for kind, cls in _KINDS.items()}


def parse_delivery(event: str, payload: Any) -> Work | None:
    """The work a delivery asks for, None when it asks for nothing the bot does."""
    if not isinstance(payload, dict):
        raise PayloadError("the delivery's body is not a JSON object")
    action = payload.get("action")
    if event == "issues" and action in HANDLED_ISSUE_ACTIONS:
        return _issue_changed(payload, opened=action == "opened")
    if event == "issues" and action == "unlabeled":
        return _label_removed(payload)
    if event == "issue_comment" and action == "created":
        return _comment(payload)
    if event == "issue_comment" and action == "edited":
        return _edited_comment(payload)
    return None


def encode_work(work: Work) -> bytes:
    """What the job store keeps of a delivery: the parsed work, as UTF-8 JSON.

    Raises PayloadError when the work cannot be stored: text that is not Unicode (a lone surrogate
    such as "\\ud800" is valid JSON but no character) or an integer over 64 bits. A delivery the
    web front read never holds either (orjson.loads refuses the one and reads the other as a float,
    which parse_delivery refuses); a payload read with json.loads may.
    """
    # What dataclasses.asdict(work) gives, without its deep copy of every field (half of this
    # function's time per delivery in the web front): the work's fields are strings, numbers and a
    # tuple of strings, with the issue reference and snapshot one level down.
    fields = {"kind": _KIND_OF[type(work)], **vars(work), "ref": vars(work.ref)}
    if "issue" in fields:
        fields["issue"] = vars(work.issue)
    try:
        return orjson.dumps(fields)  # compact UTF-8 JSON, in a fifth of json.dumps' time; decode_work reads both
    except orjson.JSONEncodeError as error:
        raise PayloadError(f"the delivery cannot be stored: {error}") from None


def decode_work(stored: bytes, event: str) -> Work | None:
    """The work ``encode_work`` stored for an ``event`` delivery.

    A job stored by an earlier version holds the delivery's payload instead: that is parsed as the
    delivery was. Raises PayloadError when the stored bytes are neither.
    """
    try:
        data = json.loads(stored)
    except ValueError as error:
        raise PayloadError(f"stored work is not JSON: {error}") from None
    if not isinstance(data, dict) or "kind" not in data:
        return parse_delivery(event, data)
    try:
        cls = _KINDS[data.pop("kind")]
        ref = IssueRef(**data.pop("ref"))
        if "issue" in data:
            issue = data.pop("issue")
            data["issue"] = IssueSnapshot(issue["title"], issue["body"], tuple(issue["labels"]),
                                          issue.get("author", ""), issue.get("author_association", ""))
        return cls(ref=ref, **data)
    except (KeyError, TypeError, AttributeError) as error:
        raise PayloadError(f"stored work is not readable: {type(error).__name__}: {error}") from None


def _issue_changed(payload: dict, opened: bool) -> IssueChanged | None:
    raw_issue = _object(payload, "issue")
    if raw_issue.get("pull_request"):
        return None
    return IssueChanged(_ref(payload, raw_issue), _snapshot(raw_issue), opened)


def _comment(payload: dict) -> FaqCommand | AuthorComment | None:
    raw_issue = _object(payload, "issue")
    comment = _object(payload, "comment")
    body = _text(comment, "body", "comment")
    user = _object(comment, "user", "comment.user")
    login = _text(user, "login", "comment.user")
    if raw_issue.get("pull_request") or _is_bot(user, login, body):
        return None
    command = read_command(body)
    if command is not None:
        association = comment.get("author_association") or "NONE"
        return FaqCommand(_ref(payload, raw_issue), _snapshot(raw_issue), login, str(association), *command)
    reporter = raw_issue.get("user")
    if not isinstance(reporter, dict) or reporter.get("login") != login:
        return None  # someone else's comment ("me too", a traceback of theirs) is the maintainers' business
    if raw_issue.get("state") != "open" or raw_issue.get("locked"):
        return None
    comment_id = comment.get("id")
    if not isinstance(comment_id, int) or isinstance(comment_id, bool):
        raise PayloadError("comment.id is missing or not an integer")
    return AuthorComment(_ref(payload, raw_issue), _snapshot(raw_issue), comment_id, body)


def _edited_comment(payload: dict) -> FaqCommand | None:
    """An edit runs a command only when it added one: fixing a typo elsewhere must not run it again."""
    raw_issue = _object(payload, "issue")
    comment = _object(payload, "comment")
    body = _text(comment, "body", "comment")
    user = _object(comment, "user", "comment.user")
    login = _text(user, "login", "comment.user")
    command = read_command(body)
    if command is None or raw_issue.get("pull_request") or _is_bot(user, login, body):
        return None
    before = payload.get("changes", {}).get("body", {}).get("from") if isinstance(payload.get("changes"), dict) else None
    if not isinstance(before, str):
        return None  # the edit did not change the text (GitHub sends `changes.body.from` when it did)
    if _same_command(read_command(before), command):
        return None
    association = comment.get("author_association") or "NONE"
    return FaqCommand(_ref(payload, raw_issue), _snapshot(raw_issue), login, str(association), *command)


def _same_command(before: tuple[str, str] | None, after: tuple[str, str]) -> bool:
    return before is not None and tuple(word.lower() for word in before) == tuple(word.lower() for word in after)


def _label_removed(payload: dict) -> LabelRemoved | None:
    raw_issue = _object(payload, "issue")
    label = _text(_object(payload, "label"), "name", "label")
    sender = _object(payload, "sender")
    login = _text(sender, "login", "sender")
    if raw_issue.get("pull_request") or _is_bot(sender, login, ""):
        return None  # the bot's own removals (and other bots') are not a person's decision
    return LabelRemoved(_ref(payload, raw_issue), label, login)


def parse_command(body: str) -> str | None:
    """For a `/faq` command: the word after it, or "" for none. None when the comment is no command."""
    command = read_command(body)
    return None if command is None else command[0]


def read_command(body: str) -> tuple[str, str] | None:
    """For a `/faq` command: (the word after it, the word after that), "" for none. None when no command.

    Only the first line of the commenter's own words counts: quoted lines (a reply quoting the
    reporter) and code blocks before it are skipped, and a `/faq` inside them never runs. Quoting
    someone's `/faq` or showing it in an example must not run it.
    """
    fence = None
    for line in body.splitlines():
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened["fence"][0] == fence[0] and len(opened["fence"]) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = None
            continue
        if opened:
            fence = opened["fence"]
        elif line.strip() and not _QUOTE.match(line):
            match = _COMMAND.match(line.rstrip())
            return (match["argument"] or "", match["target"] or "") if match else None
    return None


def _is_bot(user: dict, login: str, body: str) -> bool:
    # The bot's own comments (they carry its marker) matter most: with a personal token they come from a "User".
    return user.get("type") == "Bot" or login.endswith("[bot]") or carries_marker(body)


def _ref(payload: dict, raw_issue: dict) -> IssueRef:
    repository = _object(payload, "repository")
    full_name = _text(repository, "full_name", "repository")
    number = raw_issue.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        raise PayloadError("issue.number is missing or not a positive integer")
    installation = payload.get("installation")
    installation_id = installation.get("id") if isinstance(installation, dict) else None
    if installation_id is not None and not isinstance(installation_id, int):
        raise PayloadError("installation.id is not an integer")
    return IssueRef(full_name, number, installation_id)


def _snapshot(raw_issue: dict) -> IssueSnapshot:
    title = _text(raw_issue, "title", "issue")
    body = raw_issue.get("body") or ""  # GitHub sends null for an empty body
    if not isinstance(body, str):
        raise PayloadError("issue.body is not a string")
    labels = raw_issue.get("labels") or []
    if not isinstance(labels, list):
        raise PayloadError("issue.labels is not a list")
    names = tuple(label["name"] for label in labels if isinstance(label, dict) and isinstance(label.get("name"), str))
    user = raw_issue.get("user")
    author = user.get("login") if isinstance(user, dict) and isinstance(user.get("login"), str) else ""
    association = raw_issue.get("author_association")
    return IssueSnapshot(title, body, names, author, association if isinstance(association, str) else "")


def _object(parent: dict, key: str, where: str | None = None) -> dict:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise PayloadError(f"{where or key} is missing or not an object")
    return value


def _text(parent: dict, key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str):
        raise PayloadError(f"{where}.{key} is missing or not a string")
    return value
