"""What the bot does for each piece of work: answer an issue, run a maintainer's `/faq` command, note a
removed label, read the author's follow-up comment.

Each handler reads as guard clauses, one decision, then the writes. Handlers see GitHub only through
the narrow IssueClient protocol and their memory only through AnswerStore, so their tests use small
in-memory fakes (tests/test_handlers.py) besides the end-to-end tests over HTTP.

What the handlers promise:
- One answer comment per issue. An opened issue costs two requests (the comment, the labels). Only a
  job that runs again (a retry, a worker that died) first looks for the bot's own comment on GitHub.
- Humans win. A label the bot added, or a person removed, is never added again. An answer a
  maintainer chose with `/faq RULE-ID` is replaced only by another maintainer command, not by the
  reporter's edit. An answer a maintainer deleted stays deleted until a maintainer runs `/faq`.
- An edit that makes the issue match nothing leaves the answer as it was.
- The repository's config (`.github/faq-bot.yml`, read only when a rule matches, so a silent verdict
  costs no request) decides what the bot may do on its own: `off` does nothing, `shadow` records
  what it would post and posts nothing, `skip` leaves issues alone; enabled rules, min_score,
  language and label names shape the answer. Maintainers' commands: `/faq`, `/faq RULE-ID`,
  `/faq off` (withdraw the answer and the bot's labels; the rule counts as wrong for the issue),
  `/faq unmute RULE-ID`, `/faq help`. A rule withdrawn too often is muted in the repository.
- The conversation: while the answer asks for the environment, the issue carries the
  needs-environment label. When the author answers in a comment, the bot replies once with what the
  environment shows, stops asking in its answer and removes the label. An author's comment showing
  an FAQ error gets the answer (when the bot had none) or a follow-up answer (a different entry,
  once per entry). At most MAX_FOLLOW_UPS replies per issue.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from rapidfuzz import fuzz

from bot import metrics, policy, reply
from bot.config_source import DEFAULT_LOADED, LoadedConfig
from bot.control_store import ANSWERED, LABEL_REMOVED, WITHDRAWN, FeedbackStore
from bot.conversation import MAX_FOLLOW_UPS, adds_environment, adds_input, own_words
from bot.events import AuthorComment, FaqCommand, IssueChanged, IssueRef, IssueSnapshot, LabelRemoved, Work
from bot.github import BotComment, CommentGone, IssueClient, Unprocessable
from bot.issue import Issue, reporter_language
from bot.jobs import AnswerStore, Conversation
from bot.marker import MARKER
from bot.repo_config import OFF, SHADOW
from bot.rules import RuleSet
from bot.triage import Options, Verdict, answer_rule, triage

log = logging.getLogger(__name__)
T = TypeVar("T")

TRIAGE, MAINTAINER = "triage", "maintainer"  # who chose the answer on an issue
# A word after `/faq` that is shaped like a rule id (dashed words), or close to a known one, is
# taken for a rule id; anything else ("/faq please") is an ordinary word and the command a re-run.
_RULE_ID_SHAPE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)+")
_TYPO_SCORE = 80
HELP, WITHDRAW, UNMUTE = "help", "off", "unmute"  # `/faq WORD` subcommands; any other word is a rule id or nothing


def _default_config() -> LoadedConfig:
    return DEFAULT_LOADED


@dataclass(frozen=True)
class Context:
    client: IssueClient
    answers: AnswerStore
    rules: RuleSet
    recovering: bool  # an earlier run of this job may already have written to GitHub
    needs_environment_label: str | None = "needs-environment"  # None: no label while waiting
    # The repository's config, asked for only when needed: bot/config_source.py (the worker caches it).
    repo_config: Callable[[], LoadedConfig] = _default_config
    feedback: FeedbackStore | None = None  # per-rule feedback, mutes, shadow records; None: none kept


@dataclass(frozen=True)
class _Setup:
    """What the repository's config and feedback make of this job's triage."""

    loaded: LoadedConfig
    rules: RuleSet  # those that may answer on their own here
    options: Options

    @property
    def mode(self) -> str:
        return self.loaded.config.mode

    def labels(self, labels: tuple[str, ...]) -> tuple[str, ...]:
        return policy.rename_labels(labels, self.loaded.config)


def _setup(context: Context, ref: IssueRef) -> _Setup:
    loaded = context.repo_config()
    feedback = context.feedback
    muted = feedback.muted_rules(ref.repo) if feedback else frozenset()
    withdrawn = feedback.withdrawn_rules(ref.key) if feedback else frozenset()
    return _Setup(loaded, policy.repo_rules(context.rules, loaded.config, muted, withdrawn),
                  policy.options(loaded.config))


def _triage(issue: Issue, rules: RuleSet, options: Options = Options()) -> Verdict:
    started = time.perf_counter()
    try:
        return triage(issue, rules, options)
    finally:
        metrics.TRIAGE_SECONDS.observe(time.perf_counter() - started)


def handle(work: Work, context: Context) -> str:
    """Act on one piece of work; returns what was done, for the job's record."""
    if isinstance(work, FaqCommand):
        return handle_command(work, context)
    if isinstance(work, LabelRemoved):
        return handle_label_removed(work, context)
    if isinstance(work, AuthorComment):
        return handle_author_comment(work, context)
    return handle_issue_changed(work, context)


def handle_issue_changed(work: IssueChanged, context: Context) -> str:
    stored = context.answers.answer(work.ref.key)
    if stored is not None and stored.deleted:
        return "silent: a maintainer deleted the bot's answer"
    if stored is not None and stored.source == MAINTAINER and not work.opened:
        return "kept: a maintainer chose this answer with /faq RULE-ID"
    issue = _issue(work.ref, work.issue)
    verdict = _triage(issue, context.rules)
    setup = None
    if verdict.comment is not None:  # else nothing matches whatever the config says: no need to read it
        setup = _setup(context, work.ref)
        held = policy.held_back(setup.loaded.config, work.issue)
        if held:
            return held
        verdict = _triage(issue, setup.rules, setup.options)
        if setup.mode == SHADOW:
            return _shadow(context, work.ref, "opened" if work.opened else "edited", work.issue, verdict, setup)
    if work.opened:
        if verdict.comment is None:
            return "silent: no rule matches"
        existing = _find_answer(context, work.ref, look_on_github=context.recovering)
    else:
        existing = _find_answer(context, work.ref, look_on_github=True)
        if existing is None:
            return "silent: edited, and the bot had not answered"
        if verdict.comment is None:
            return "kept: edited, no rule matches now; the answer is left as it was"
    done = _post_or_update(context, work.ref, existing, verdict.comment, verdict.language, TRIAGE, repost_if_gone=False)
    if done is None:
        return "silent: a maintainer deleted the bot's answer"
    return done + _answered(context, work.ref, work.issue, verdict, setup)


def handle_command(work: FaqCommand, context: Context) -> str:
    if not work.by_known_maintainer and not context.client.get_permission(work.ref.repo, work.commenter).may_maintain:
        return f"ignored: /faq from {work.commenter}, who is no maintainer"
    issue = _issue(work.ref, work.issue)
    setup = _setup(context, work.ref)
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
        _triage(issue, setup.rules, setup.options)
    if setup.mode == SHADOW:
        _shadow(context, work.ref, "command", work.issue, verdict, setup)
        return _note_mode(context, work.ref, setup, language)
    body = verdict.comment or reply.render_nothing_found(verdict.language)
    body = reply.with_config_problem(body, verdict.language, setup.loaded.problem)
    existing = _find_answer(context, work.ref, look_on_github=True)
    source = MAINTAINER if rule_id else TRIAGE
    # Edited even when unchanged: the 404 of a deleted answer is how the bot learns to post anew.
    done = _post_or_update(context, work.ref, existing, body, verdict.language, source, repost_if_gone=True,
                           skip_unchanged=False)
    return done + _answered(context, work.ref, work.issue, verdict, setup)


def _note_mode(context: Context, ref: IssueRef, setup: _Setup, language: str) -> str:
    """Why a maintainer's /faq posted no answer: the bot is off, or in shadow mode, here (once per issue)."""
    note = reply.render_note(language, f"mode_{setup.mode}", source=setup.loaded.source)
    return _note_once(context, ref, f"mode:{setup.mode}", note, f"mode {setup.mode}")


def _reply_help(context: Context, ref: IssueRef, setup: _Setup, language: str) -> str:
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
    _create_once(context, ref, reply.with_config_problem(body, language, setup.loaded.problem))
    return "replied with help"


def _withdraw(context: Context, ref: IssueRef, issue: IssueSnapshot, setup: _Setup) -> str:
    """`/faq off`: the answer and the bot's own labels go, and its rules count as wrong for this issue."""
    done = []
    existing = _find_answer(context, ref, look_on_github=True)
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
    rules = _answer_rules(context, ref)
    if rules:
        done.append(f"recorded {', '.join(rules)} as wrong here" + _record_withdrawal(context, ref, rules, setup))
    return "withdrawn: " + ("; ".join(done) if done else "the bot had nothing on this issue")


def _record_withdrawal(context: Context, ref: IssueRef, rules: tuple[str, ...], setup: _Setup) -> str:
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


def _unmute(context: Context, ref: IssueRef, word: str, setup: _Setup, language: str) -> str:
    rule_id = word.strip().lower()
    if context.rules.get(rule_id) is None:
        return _note_unknown_rule(context, ref, language, rule_id or "?")
    changed = context.feedback is not None and context.feedback.set_muted(ref.repo, rule_id, False)
    _create_once(context, ref, reply.render_note(language, "unmuted" if changed else "not_muted", rule=rule_id))
    return f"unmuted {rule_id}" if changed else f"noted: {rule_id} was not muted"


def handle_label_removed(work: LabelRemoved, context: Context) -> str:
    feedback = _label_feedback(work, context)
    context.answers.remember_label_removed(work.ref.key, work.label)
    return f"noted: {work.remover} removed label {work.label!r}; the bot will not add it again" + feedback


def _label_feedback(work: LabelRemoved, context: Context) -> str:
    """A person removing a label the bot added for a rule says that rule was wrong: counted per rule."""
    if context.feedback is None or work.label not in context.answers.labels_added(work.ref.key):
        return ""
    config = context.repo_config().config
    blamed = [rule_id for rule_id in _answer_rules(context, work.ref)
              if (rule := context.rules.get(rule_id)) is not None
              and work.label in policy.rename_labels(rule.labels, config)]
    for rule_id in blamed:
        context.feedback.record_rule_event(work.ref.repo, work.ref.key, rule_id, LABEL_REMOVED)
    return f"; counted against {', '.join(blamed)}" if blamed else ""


def _answer_rules(context: Context, ref: IssueRef) -> tuple[str, ...]:
    """The rules of the issue's answer comment (those of the whole conversation when none are recorded)."""
    recorded = context.feedback.answer_rules(ref.key) if context.feedback else ()
    return recorded or tuple(sorted(context.answers.conversation(ref.key).rules_answered))


def _shadow(context: Context, ref: IssueRef, kind: str, issue: IssueSnapshot, verdict: Verdict, setup: _Setup) -> str:
    """Shadow mode: what the bot would have posted is recorded, for `python -m bot shadow report`."""
    if verdict.comment is None:
        return "shadow: no enabled rule matches; nothing recorded"
    rules = tuple(m.rule.id for m in verdict.matches[: reply.MAX_ANSWERS])
    if context.feedback is not None:
        context.feedback.record_shadow(ref.repo, ref.key, kind, issue.title, rules, setup.labels(verdict.labels),
                                       verdict.comment)
    else:
        log.info("%s: shadow mode, would post (%s):\n%s", ref.key, ", ".join(rules), verdict.comment)
    return f"shadow: recorded the {kind} answer ({', '.join(rules)}); posted nothing"


def handle_author_comment(work: AuthorComment, context: Context) -> str:
    ref, answers = work.ref, context.answers
    conversation = answers.conversation(ref.key)
    if conversation.follow_ups >= MAX_FOLLOW_UPS:
        return f"ignored: the bot has replied {MAX_FOLLOW_UPS} times on this issue; the rest is the maintainers'"
    stored = answers.answer(ref.key)
    if stored is not None and stored.deleted:
        return "ignored: a maintainer deleted the bot's answer"
    new = own_words(work.body, () if stored is None else (stored.body,))
    if not adds_input(new):
        return "ignored: the author's comment adds no environment or error"
    setup = _setup(context, ref)
    held = policy.held_back(setup.loaded.config, work.issue)
    if held:
        return held
    earlier = [text for comment_id, text in answers.author_inputs(ref.key) if comment_id != work.comment_id]
    answers.remember_author_input(ref.key, work.comment_id, new)
    whole = Issue(work.issue.title, "\n\n".join([work.issue.body, *earlier, new]), ref.repo)
    if setup.mode == SHADOW:
        return _shadow(context, ref, "author-comment", work.issue, _triage(whole, setup.rules, setup.options), setup)
    if stored is None:
        return _answer_from_comment(work, context, _triage(whole, setup.rules, setup.options), setup)
    if conversation.waiting_for_environment and adds_environment(new):
        return _reply_with_environment(work, context, stored.comment_id, whole, conversation, setup)
    return _answer_another_error(work, context, Issue(work.issue.title, new, ref.repo), whole, conversation, setup)


def _answer_from_comment(work: AuthorComment, context: Context, verdict: Verdict, setup: _Setup) -> str:
    # The bot had said nothing: the comment completes the issue, and gets the answer the issue would have.
    if verdict.comment is None:
        return "silent: no rule matches the issue with the author's comments"
    existing = _find_answer(context, work.ref, look_on_github=context.recovering)
    done = _post_or_update(context, work.ref, existing, verdict.comment, verdict.language, TRIAGE, repost_if_gone=False)
    _count_follow_up(context, work.ref)
    return (done or "silent") + _answered(context, work.ref, work.issue, verdict, setup)


def _reply_with_environment(work: AuthorComment, context: Context, answer_id: int, whole: Issue,
                            conversation: Conversation, setup: _Setup) -> str:
    """The author answered the bot's question: say what their environment shows, stop asking."""
    verdict = _triage(whole, context.rules, setup.options)
    answered = [m for m in verdict.matches if m.rule.id in conversation.rules_answered]
    diagnoses = verdict.diagnoses if answered else ()
    note = reply.render_environment_reply(verdict.language, diagnoses)
    _create_once(context, work.ref, note)
    done = f"replied with {len(diagnoses)} finding(s)"
    if answered and verdict.comment is not None:
        existing = BotComment(answer_id, context.answers.answer(work.ref.key).body)
        edited = _post_or_update(context, work.ref, existing, verdict.comment, verdict.language, TRIAGE,
                                 repost_if_gone=False)
        done += f", {edited or 'answer deleted'}"
    _stop_waiting(context, work.ref)
    _count_follow_up(context, work.ref)
    return done


def _answer_another_error(work: AuthorComment, context: Context, comment_only: Issue, whole: Issue,
                          conversation: Conversation, setup: _Setup) -> str:
    """The first fix worked and the next step fails: a new answer, once per FAQ entry and issue."""
    shown = [m.rule.id for m in _triage(comment_only, setup.rules, setup.options).matches]
    new = [rule_id for rule_id in shown if rule_id not in conversation.rules_answered]
    if not new:
        return "ignored: the author's comment shows no FAQ error the bot has not answered"
    # Answered from the whole conversation, so the environment the author gave earlier counts; the new
    # comment comes first, so the line the answer quotes is the line of that comment.
    verdict = answer_rule(Issue(whole.title, comment_only.body + "\n\n" + whole.body, whole.repo), context.rules,
                          new[0], setup.options)
    _create_once(context, work.ref, reply.render_follow_up_answer(verdict.comment, verdict.language))
    _count_follow_up(context, work.ref, frozenset(shown))
    _record_answered(context, work.ref, (new[0],))
    return f"followed up with {new[0]}" + _add_labels(context, work.ref, work.issue, setup.labels(verdict.labels))


def _create_once(context: Context, ref: IssueRef, body: str) -> None:
    """Post ``body`` unless a run of this job that died already did."""
    if context.recovering and context.client.find_bot_comment(ref.repo, ref.number, body) is not None:
        return
    context.client.create_comment(ref.repo, ref.number, body)


def _count_follow_up(context: Context, ref: IssueRef, rules: frozenset[str] = frozenset()) -> None:
    before = context.answers.conversation(ref.key)
    context.answers.save_conversation(ref.key, Conversation(
        before.waiting_for_environment, before.follow_ups + 1, before.rules_answered | rules))


def _answered(context: Context, ref: IssueRef, issue: IssueSnapshot, verdict: Verdict, setup: _Setup) -> str:
    """After an answer was posted or edited: its labels, its rules' feedback, and whether the bot now
    waits for the environment."""
    before = context.answers.conversation(ref.key)
    rules = before.rules_answered | {m.rule.id for m in verdict.matches}
    context.answers.save_conversation(ref.key, Conversation(verdict.asks_environment, before.follow_ups, rules))
    answered = tuple(m.rule.id for m in verdict.matches[: reply.MAX_ANSWERS])
    if context.feedback is not None:
        context.feedback.set_answer_rules(ref.key, answered)
    _record_answered(context, ref, answered)
    labels = setup.labels(verdict.labels)
    if verdict.asks_environment and context.needs_environment_label:
        labels += (context.needs_environment_label,)
    done = _add_labels(context, ref, issue, labels)
    if before.waiting_for_environment and not verdict.asks_environment:
        done += _remove_waiting_label(context, ref)
    return done


def _record_answered(context: Context, ref: IssueRef, rules: tuple[str, ...]) -> None:
    if context.feedback is not None:
        for rule_id in rules:
            context.feedback.record_rule_event(ref.repo, ref.key, rule_id, ANSWERED)


def _stop_waiting(context: Context, ref: IssueRef) -> None:
    before = context.answers.conversation(ref.key)
    context.answers.save_conversation(ref.key, Conversation(False, before.follow_ups, before.rules_answered))
    _remove_waiting_label(context, ref)


def _remove_waiting_label(context: Context, ref: IssueRef) -> str:
    label = context.needs_environment_label
    if not label:
        return ""
    context.client.remove_label(ref.repo, ref.number, label)
    return f", unlabelled {label}"


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


def _issue(ref: IssueRef, snapshot: IssueSnapshot) -> Issue:
    # The repository goes along: a rule's context may be met by the project an issue is filed on.
    return Issue(snapshot.title, snapshot.body, ref.repo)


def _note_unknown_rule(context: Context, ref: IssueRef, language: str, word: str) -> str:
    # A note of its own, once per issue and word: a typo must not replace the answer already given.
    note = reply.render_unknown_rule(language, word, context.rules.ids)
    return _note_once(context, ref, f"unknown-rule:{word}", note, f"unknown rule {word!r}")


def _note_once(context: Context, ref: IssueRef, key: str, note: str, what: str) -> str:
    """Post ``note`` unless this issue already has the note ``key``."""
    if context.answers.note_posted(ref.key, key):
        return f"ignored: {what} was already noted on this issue"
    if context.recovering and context.client.find_bot_comment(ref.repo, ref.number, note) is not None:
        context.answers.remember_note(ref.key, key)
        return f"noted before: {what}"
    context.client.create_comment(ref.repo, ref.number, note)
    context.answers.remember_note(ref.key, key)
    return f"noted: {what}"


def _find_answer(context: Context, ref: IssueRef, look_on_github: bool) -> BotComment | None:
    stored = context.answers.answer(ref.key)
    if stored is not None:
        return None if stored.deleted else BotComment(stored.comment_id, stored.body)
    if not look_on_github:
        return None
    found = context.client.find_bot_comment(ref.repo, ref.number, MARKER)
    if found is not None:
        context.answers.remember_answer(ref.key, found.id, found.body)
    return found


def _post_or_update(context: Context, ref: IssueRef, existing: BotComment | None, body: str, language: str,
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


def _add_labels(context: Context, ref: IssueRef, issue: IssueSnapshot, labels: tuple[str, ...]) -> str:
    # Never again: a label the bot added once (a person may have removed it since) or a person removed.
    refused = context.answers.labels_not_to_add(ref.key)
    missing = tuple(label for label in labels if label not in issue.labels and label not in refused)
    if not missing:
        return ""
    context.client.add_labels(ref.repo, ref.number, missing)
    context.answers.remember_labels_added(ref.key, missing)
    return f", labelled {', '.join(missing)}"
