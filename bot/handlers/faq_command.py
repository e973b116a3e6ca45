"""A maintainer's `/faq` command: a re-run, `/faq RULE-ID`, `help`, `off` (withdraw) and `unmute`."""

from __future__ import annotations

import logging
import re

from rapidfuzz import fuzz

from bot import policy, reply
from bot.control_store import WITHDRAWN
from bot.events import FaqCommand, IssueRef, IssueSnapshot
from bot.handlers.answering import (
    MAINTAINER, TRIAGE, after_answer, answer_rules, create_once, find_answer, note_once, post_or_update,
)
from bot.handlers.context import Context, Setup, issue_of, setup_for, timed_triage
from bot.handlers.shadow_mode import record_shadow
from bot.issue import reporter_language
from bot.jobs import Conversation
from bot.repo_config import OFF, SHADOW
from bot.rules import RuleSet
from bot.triage import answer_rule

log = logging.getLogger(__package__)  # "bot.handlers": log lines name the package, as before the split

# A word after `/faq` that is shaped like a rule id (dashed words), or close to a known one, is
# taken for a rule id; anything else ("/faq please") is an ordinary word and the command a re-run.
_RULE_ID_SHAPE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)+")
_TYPO_SCORE = 80
HELP, WITHDRAW, UNMUTE = "help", "off", "unmute"  # `/faq WORD` subcommands; any other word is a rule id or nothing


def handle_command(work: FaqCommand, context: Context) -> str:
    if not work.by_known_maintainer and not context.client.get_permission(work.ref.repo, work.commenter).may_maintain:
        return f"ignored: /faq from {work.commenter}, who is no maintainer"
    issue = issue_of(work.ref, work.issue)
    setup = setup_for(context, work.ref)
    language = reporter_language(issue, setup.loaded.config.language)
    word = work.argument.strip().lower()
    if word == HELP:
        return _reply_help(context, work.ref, setup, language)
    if word == WITHDRAW:
        return _withdraw(context, work.ref, work.issue, setup)
    if word == UNMUTE:
        return _unmute(context, work.ref, work.target, setup, language)
    rule_id, unknown = read_command_word(work.argument, context.rules)
    if unknown:
        return _note_unknown_rule(context, work.ref, language, unknown)
    if setup.mode == OFF:
        return _note_mode(context, work.ref, setup, language)
    # A maintainer's rule is answered whatever the config and the mutes say; a plain re-run uses the repository's rules.
    verdict = answer_rule(issue, context.rules, rule_id, setup.options) if rule_id else \
        timed_triage(issue, setup.rules, setup.options)
    if setup.mode == SHADOW:
        record_shadow(context, work.ref, "command", work.issue, verdict, setup)
        return _note_mode(context, work.ref, setup, language)
    body = verdict.comment or reply.render_nothing_found(verdict.language)
    body = reply.with_config_problem(body, verdict.language, setup.loaded.problem)
    existing = find_answer(context, work.ref, look_on_github=True)
    source = MAINTAINER if rule_id else TRIAGE
    # Edited even when unchanged: the 404 of a deleted answer is how the bot learns to post anew.
    done = post_or_update(context, work.ref, existing, body, verdict.language, source, repost_if_gone=True,
                          skip_unchanged=False)
    return done + after_answer(context, work.ref, work.issue, verdict, setup)


def _note_mode(context: Context, ref: IssueRef, setup: Setup, language: str) -> str:
    """Why a maintainer's /faq posted no answer: the bot is off, or in shadow mode, here (once per issue)."""
    note = reply.render_note(language, f"mode_{setup.mode}", source=setup.loaded.source)
    return note_once(context, ref, f"mode:{setup.mode}", note, f"mode {setup.mode}")


def _reply_help(context: Context, ref: IssueRef, setup: Setup, language: str) -> str:
    """`/faq help`: the commands and what this repository's live config and feedback make of the rules."""
    config = setup.loaded.config
    muted = context.feedback.muted_rules(ref.repo) if context.feedback else frozenset()
    facts = [
        ("help_enabled", [rule_id for rule_id in context.rules.ids if config.rule_enabled(rule_id)
                          and rule_id not in muted]),
        ("help_not_enabled", [rule_id for rule_id in context.rules.ids if not config.rule_enabled(rule_id)]),
        ("help_muted", sorted(muted)),
        ("help_labels", [f"{name} -> {renamed or '(none)'}" for name, renamed in config.labels]),
        ("help_skip", [*(f"label {name}" for name in config.skip.labels),
                       *(f"author {name}" for name in config.skip.authors),
                       *(f"author association {name}" for name in config.skip.author_associations)]),
    ]
    body = reply.render_help(language, config.mode, setup.loaded.source, facts)
    create_once(context, ref, reply.with_config_problem(body, language, setup.loaded.problem))
    return "replied with help"


def _withdraw(context: Context, ref: IssueRef, issue: IssueSnapshot, setup: Setup) -> str:
    """`/faq off`: the answer and the bot's own labels go, and its rules count as wrong for this issue."""
    done = []
    existing = find_answer(context, ref, look_on_github=True)
    if existing is not None:
        context.client.delete_comment(ref.repo, existing.id)
        context.answers.mark_answer_deleted(ref.key)
        done.append(f"deleted comment {existing.id}")
    added = context.answers.labels_added(ref.key)
    for label in (label for label in issue.labels if label in added):  # a person's own labels stay
        context.client.remove_label(ref.repo, ref.number, label)
        done.append(f"unlabelled {label}")
    before = context.answers.conversation(ref.key)
    if before.waiting_for_environment:
        context.answers.save_conversation(ref.key, Conversation(False, before.follow_ups, before.rules_answered))
    rules = answer_rules(context, ref)
    if rules:
        done.append(f"recorded {', '.join(rules)} as wrong here" + _record_withdrawal(context, ref, rules, setup))
    return "withdrawn: " + ("; ".join(done) if done else "the bot had nothing on this issue")


def _record_withdrawal(context: Context, ref: IssueRef, rules: tuple[str, ...], setup: Setup) -> str:
    feedback = context.feedback
    if feedback is None:
        return ""
    muted = []
    for rule_id in rules:
        feedback.record_rule_event(ref.repo, ref.key, rule_id, WITHDRAWN)
        counts = feedback.rule_counts(ref.repo, rule_id)
        if policy.should_mute(counts, setup.loaded.config.mute) and feedback.set_muted(
                ref.repo, rule_id, True, f"withdrawn on {counts.withdrawn} of {counts.answered} answers"):
            log.warning("%s: rule %s muted in %s: withdrawn on %d of %d answers", ref.key, rule_id, ref.repo,
                        counts.withdrawn, counts.answered)
            muted.append(rule_id)
    return f"; muted {', '.join(muted)} in {ref.repo}" if muted else ""


def _unmute(context: Context, ref: IssueRef, word: str, setup: Setup, language: str) -> str:
    rule_id = word.strip().lower()
    if context.rules.get(rule_id) is None:
        return _note_unknown_rule(context, ref, language, rule_id or "?")
    changed = context.feedback is not None and context.feedback.set_muted(ref.repo, rule_id, False)
    create_once(context, ref, reply.render_note(language, "unmuted" if changed else "not_muted", rule=rule_id))
    return f"unmuted {rule_id}" if changed else f"noted: {rule_id} was not muted"


def read_command_word(word: str, rules: RuleSet) -> tuple[str | None, str | None]:
    """(rule id to answer with, unknown rule id to say so about) for the word after `/faq`."""
    word = word.strip().lower()
    if not word:
        return None, None
    if rules.get(word) is not None:
        return word, None
    if _RULE_ID_SHAPE.fullmatch(word) or any(fuzz.ratio(word, known) >= _TYPO_SCORE for known in rules.ids):
        return None, word
    return None, None


def _note_unknown_rule(context: Context, ref: IssueRef, language: str, word: str) -> str:
    # A note of its own, once per issue and word: a typo must not replace the answer already given.
    note = reply.render_unknown_rule(language, word, context.rules.ids)
    return note_once(context, ref, f"unknown-rule:{word}", note, f"unknown rule {word!r}")
