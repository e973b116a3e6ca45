"""The writes the handlers share: the one answer within GitHub's limit, its labels and rules, notes posted once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from bot import reply
from bot.control_store import ANSWERED
from bot.events import IssueRef, IssueSnapshot
from bot.github import BotComment, CommentGone, Unprocessable
from bot.handlers.context import Context, Setup
from bot.jobs import Conversation
from bot.marker import MARKER
from bot.triage import Verdict

log = logging.getLogger(__package__)  # "bot.handlers": log lines name the package, as before the split
T = TypeVar("T")

TRIAGE, MAINTAINER = "triage", "maintainer"  # who chose the answer on an issue


def find_answer(context: Context, ref: IssueRef, look_on_github: bool) -> BotComment | None:
    stored = context.answers.answer(ref.key)
    if stored is not None:
        return None if stored.deleted else BotComment(stored.comment_id, stored.body)
    if not look_on_github:
        return None
    found = context.client.find_bot_comment(ref.repo, ref.number, MARKER)
    if found is not None:
        context.answers.remember_answer(ref.key, found.id, found.body)
    return found


def post_or_update(context: Context, ref: IssueRef, existing: BotComment | None, body: str, language: str,
                   source: str, repost_if_gone: bool, skip_unchanged: bool = True) -> str | None:
    """Edit the answer, or post it; None when it was deleted and must not come back."""
    client = context.client
    if existing is not None and skip_unchanged and existing.body == body:
        return f"unchanged comment {existing.id}"
    if existing is not None:
        try:
            posted, _ = _within_limit(lambda text: client.edit_comment(ref.repo, existing.id, text), body, language)
        except CommentGone:
            log.info("%s: the bot's answer %d was deleted", ref.key, existing.id)
            context.answers.mark_answer_deleted(ref.key)
            if not repost_if_gone:
                return None
        else:
            context.answers.remember_answer(ref.key, existing.id, posted, source)
            return f"edited comment {existing.id}"
    posted, comment_id = _within_limit(lambda text: client.create_comment(ref.repo, ref.number, text), body, language)
    # Remembered at once: if labelling fails now, the retry edits this comment instead of posting another.
    context.answers.remember_answer(ref.key, comment_id, posted, source)
    return f"posted comment {comment_id}"


def _within_limit(send: Callable[[str], T], body: str, language: str) -> tuple[str, T]:
    """Send ``body``; on a 422 (too long), once more shortened. Returns the text GitHub took, and its answer."""
    try:
        return body, send(body)
    except Unprocessable as error:
        limit = error.max_chars or (
            reply.GITHUB_COMMENT_LIMIT if len(body) > reply.GITHUB_COMMENT_LIMIT else len(body) // 2)
        shorter = reply.shorten(body, limit, language)
        log.warning("GitHub refused a %d-character comment (%s); sending %d characters", len(body), error, len(shorter))
        return shorter, send(shorter)


def after_answer(context: Context, ref: IssueRef, issue: IssueSnapshot, verdict: Verdict, setup: Setup) -> str:
    """After an answer was posted or edited: its labels, its rules' feedback, and whether the bot now
    waits for the environment."""
    before = context.answers.conversation(ref.key)
    rules = before.rules_answered | {m.rule.id for m in verdict.matches}
    context.answers.save_conversation(ref.key, Conversation(verdict.asks_environment, before.follow_ups, rules))
    answered = tuple(m.rule.id for m in verdict.matches[: reply.MAX_ANSWERS])
    if context.feedback is not None:
        context.feedback.set_answer_rules(ref.key, answered)
    record_answered(context, ref, answered)
    labels = setup.labels(verdict.labels)
    if verdict.asks_environment and context.needs_environment_label:
        labels += (context.needs_environment_label,)
    done = add_labels(context, ref, issue, labels)
    if before.waiting_for_environment and not verdict.asks_environment:
        done += remove_waiting_label(context, ref)
    return done


def record_answered(context: Context, ref: IssueRef, rules: tuple[str, ...]) -> None:
    if context.feedback is not None:
        for rule_id in rules:
            context.feedback.record_rule_event(ref.repo, ref.key, rule_id, ANSWERED)


def add_labels(context: Context, ref: IssueRef, issue: IssueSnapshot, labels: tuple[str, ...]) -> str:
    # Never again: a label the bot added once (a person may have removed it since) or a person removed.
    refused = context.answers.labels_not_to_add(ref.key)
    missing = tuple(label for label in labels if label not in issue.labels and label not in refused)
    if not missing:
        return ""
    context.client.add_labels(ref.repo, ref.number, missing)
    context.answers.remember_labels_added(ref.key, missing)
    return f", labelled {', '.join(missing)}"


def remove_waiting_label(context: Context, ref: IssueRef) -> str:
    label = context.needs_environment_label
    if not label:
        return ""
    context.client.remove_label(ref.repo, ref.number, label)
    return f", unlabelled {label}"


def answer_rules(context: Context, ref: IssueRef) -> tuple[str, ...]:
    """The rules of the issue's answer comment (those of the whole conversation when none are recorded)."""
    recorded = context.feedback.answer_rules(ref.key) if context.feedback else ()
    return recorded or tuple(sorted(context.answers.conversation(ref.key).rules_answered))


def create_once(context: Context, ref: IssueRef, body: str) -> None:
    """Post ``body`` unless a run of this job that died already did."""
    if context.recovering and context.client.find_bot_comment(ref.repo, ref.number, body) is not None:
        return
    context.client.create_comment(ref.repo, ref.number, body)


def note_once(context: Context, ref: IssueRef, key: str, note: str, what: str) -> str:
    """Post ``note`` unless this issue already has the note ``key``."""
    if context.answers.note_posted(ref.key, key):
        return f"ignored: {what} was already noted on this issue"
    if context.recovering and context.client.find_bot_comment(ref.repo, ref.number, note) is not None:
        context.answers.remember_note(ref.key, key)
        return f"noted before: {what}"
    context.client.create_comment(ref.repo, ref.number, note)
    context.answers.remember_note(ref.key, key)
    return f"noted: {what}"
