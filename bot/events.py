"""Which deliveries become which work: an issue opened or edited, a maintainer's `/faq` command.

Pure: a delivery (event name + parsed JSON) goes in, a small dataclass (or None: not for us) comes
out. A payload lacking what its event needs raises PayloadError, which the web front turns into a
4xx. Who may run `/faq` is decided later by the worker (it may need to ask GitHub).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.reply import is_bot_comment

MAINTAINER_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
HANDLED_ISSUE_ACTIONS = frozenset({"opened", "edited"})

# `/faq` or `/faq RULE-ID` at the start of a line (up to 3 spaces: 4 make a Markdown code block);
# `/faqs` is not the command.
_COMMAND = re.compile(r"^ {0,3}/faq(?:[ \t]+(?P<rule_id>\S{1,100}))?(?:[ \t].*)?$")
_FENCE_OR_QUOTE = re.compile(r"^ {0,3}(```|~~~|>)")


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
    rule_id: str | None = None

    @property
    def by_known_maintainer(self) -> bool:
        """The payload alone proves the commenter may run it; otherwise GitHub is asked."""
        return self.author_association in MAINTAINER_ASSOCIATIONS


Work = IssueChanged | FaqCommand


def parse_delivery(event: str, payload: Any) -> Work | None:
    """The work a delivery asks for, None when it asks for nothing the bot does."""
    if not isinstance(payload, dict):
        raise PayloadError("the delivery's body is not a JSON object")
    action = payload.get("action")
    if event == "issues" and action in HANDLED_ISSUE_ACTIONS:
        return _issue_changed(payload, opened=action == "opened")
    if event == "issue_comment" and action == "created":
        return _faq_command(payload)
    return None


def _issue_changed(payload: dict, opened: bool) -> IssueChanged | None:
    raw_issue = _object(payload, "issue")
    if raw_issue.get("pull_request"):
        return None
    return IssueChanged(_ref(payload, raw_issue), _snapshot(raw_issue), opened)


def _faq_command(payload: dict) -> FaqCommand | None:
    raw_issue = _object(payload, "issue")
    comment = _object(payload, "comment")
    body = _text(comment, "body", "comment")
    user = _object(comment, "user", "comment.user")
    login = _text(user, "login", "comment.user")
    if raw_issue.get("pull_request") or _is_bot(user, login, body):
        return None
    command = parse_command(body)
    if command is None:
        return None
    association = comment.get("author_association") or "NONE"
    return FaqCommand(_ref(payload, raw_issue), _snapshot(raw_issue), login, str(association), command or None)


def essentials(payload: dict) -> dict:
    """The part of a delivery's payload that parse_delivery reads: what a job needs to store.

    A 15 kB issues payload shrinks to its title, body and a few ids, so the job table (and its
    write-ahead log) grows by a tenth as much per delivery.
    """
    kept: dict = {"action": payload.get("action")}
    for key, fields in _ESSENTIAL_FIELDS.items():
        if isinstance(payload.get(key), dict):
            kept[key] = {name: payload[key][name] for name in fields if name in payload[key]}
    issue, comment = kept.get("issue", {}), kept.get("comment", {})
    if isinstance(issue.get("labels"), list):
        issue["labels"] = [{"name": label.get("name")} for label in issue["labels"] if isinstance(label, dict)]
    if isinstance(comment.get("user"), dict):
        comment["user"] = {name: comment["user"].get(name) for name in ("login", "type")}
    return kept


_ESSENTIAL_FIELDS = {
    "issue": ("number", "title", "body", "labels", "pull_request"),
    "comment": ("body", "user", "author_association"),
    "repository": ("full_name",),
    "installation": ("id",),
}


def parse_command(body: str) -> str | None:
    """For a `/faq` command: the rule id given, or "" for none. None when the comment is no command.

    Only the first non-empty line counts, and not when it opens a code block or a quote: quoting
    someone's `/faq` or showing it in an example must not run it.
    """
    for line in body.splitlines():
        if not line.strip():
            continue
        if _FENCE_OR_QUOTE.match(line):
            return None
        match = _COMMAND.match(line.rstrip())
        return (match["rule_id"] or "") if match else None
    return None


def _is_bot(user: dict, login: str, body: str) -> bool:
    # The bot's own comments (they carry its marker) matter most: with a personal token they come from a "User".
    return user.get("type") == "Bot" or login.endswith("[bot]") or is_bot_comment(body)


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
    return IssueSnapshot(title, body, names)


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
