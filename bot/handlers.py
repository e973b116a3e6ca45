"""What the bot does for each piece of work: answer an issue, run a maintainer's `/faq`, note a removed
label, read the author's follow-up comment.

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
- The conversation: while the answer asks for the environment, the issue carries the
  needs-environment label. When the author answers in a comment, the bot replies once with what the
  environment shows, stops asking in its answer and removes the label. An author's comment showing
  an FAQ error gets the answer (when the bot had none) or a follow-up answer (a different entry,
  once per entry). At most MAX_FOLLOW_UPS replies per issue.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from rapidfuzz import fuzz

from bot import reply
from bot.conversation import MAX_FOLLOW_UPS, adds_environment, adds_input, own_words
from bot.events import AuthorComment, FaqCommand, IssueChanged, IssueRef, IssueSnapshot, LabelRemoved, Work
from bot.github import BotComment, CommentGone, IssueClient, Unprocessable
from bot.issue import Issue, detect_language
from bot.jobs import AnswerStore, Conversation
from bot.marker import MARKER
from bot.rules import RuleSet
from bot.triage import Verdict, answer_rule, triage

log = logging.getLogger(__name__)
T = TypeVar("T")

TRIAGE, MAINTAINER = "triage", "maintainer"  # who chose the answer on an issue
# A word after `/faq` that is shaped like a rule id (dashed words), or close to a known one, is
# taken for a rule id; anything else ("/faq please") is an ordinary word and the command a re-run.
_RULE_ID_SHAPE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)+")
_TYPO_SCORE = 80


@dataclass(frozen=True)
class Context:
    client: IssueClient
    answers: AnswerStore
    rules: RuleSet
    recovering: bool  # an earlier run of this job may already have written to GitHub
    needs_environment_label: str | None = "needs-environment"  # None: no label while waiting


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
    verdict = triage(_issue(work.ref, work.issue), context.rules)
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
    return done + _answered(context, work.ref, work.issue, verdict)


def handle_command(work: FaqCommand, context: Context) -> str:
    if not work.by_known_maintainer and not context.client.get_permission(work.ref.repo, work.commenter).may_maintain:
        return f"ignored: /faq from {work.commenter}, who is no maintainer"
    issue = _issue(work.ref, work.issue)
    rule_id, unknown = read_command_word(work.argument, context.rules)
    if unknown:
        return _note_unknown_rule(context, work.ref, issue, unknown)
    verdict = answer_rule(issue, context.rules, rule_id) if rule_id else triage(issue, context.rules)
    body = verdict.comment or reply.render_nothing_found(verdict.language)
    existing = _find_answer(context, work.ref, look_on_github=True)
    source = MAINTAINER if rule_id else TRIAGE
    # Edited even when unchanged: the 404 of a deleted answer is how the bot learns to post anew.
    done = _post_or_update(context, work.ref, existing, body, verdict.language, source, repost_if_gone=True,
                           skip_unchanged=False)
    return done + _answered(context, work.ref, work.issue, verdict)


def handle_label_removed(work: LabelRemoved, context: Context) -> str:
    context.answers.remember_label_removed(work.ref.key, work.label)
    return f"noted: {work.remover} removed label {work.label!r}; the bot will not add it again"


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
    earlier = [text for comment_id, text in answers.author_inputs(ref.key) if comment_id != work.comment_id]
    answers.remember_author_input(ref.key, work.comment_id, new)
    whole = Issue(work.issue.title, "\n\n".join([work.issue.body, *earlier, new]), ref.repo)
    if stored is None:
        return _answer_from_comment(work, context, triage(whole, context.rules), conversation)
    if conversation.waiting_for_environment and adds_environment(new):
        return _reply_with_environment(work, context, stored.comment_id, whole, conversation)
    return _answer_another_error(work, context, Issue(work.issue.title, new, ref.repo), whole, conversation)


def _answer_from_comment(work: AuthorComment, context: Context, verdict: Verdict, conversation: Conversation) -> str:
    # The bot had said nothing: the comment completes the issue, and gets the answer the issue would have.
    if verdict.comment is None:
        return "silent: no rule matches the issue with the author's comments"
    existing = _find_answer(context, work.ref, look_on_github=context.recovering)
    done = _post_or_update(context, work.ref, existing, verdict.comment, verdict.language, TRIAGE, repost_if_gone=False)
    _count_follow_up(context, work.ref)
    return (done or "silent") + _answered(context, work.ref, work.issue, verdict)


def _reply_with_environment(work: AuthorComment, context: Context, answer_id: int, whole: Issue,
                            conversation: Conversation) -> str:
    """The author answered the bot's question: say what their environment shows, stop asking."""
    verdict = triage(whole, context.rules)
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
                          conversation: Conversation) -> str:
    """The first fix worked and the next step fails: a new answer, once per FAQ entry and issue."""
    shown = [m.rule.id for m in triage(comment_only, context.rules).matches]
    new = [rule_id for rule_id in shown if rule_id not in conversation.rules_answered]
    if not new:
        return "ignored: the author's comment shows no FAQ error the bot has not answered"
    # Answered from the whole conversation, so the environment the author gave earlier counts; the new
    # comment comes first, so the line the answer quotes is the line of that comment.
    verdict = answer_rule(Issue(whole.title, comment_only.body + "\n\n" + whole.body, whole.repo), context.rules,
                          new[0])
    _create_once(context, work.ref, reply.render_follow_up_answer(verdict.comment, verdict.language))
    _count_follow_up(context, work.ref, frozenset(shown))
    return f"followed up with {new[0]}" + _add_labels(context, work.ref, work.issue, verdict.labels)


def _create_once(context: Context, ref: IssueRef, body: str) -> None:
    """Post ``body`` unless a run of this job that died already did."""
    if context.recovering and context.client.find_bot_comment(ref.repo, ref.number, body) is not None:
        return
    context.client.create_comment(ref.repo, ref.number, body)


def _count_follow_up(context: Context, ref: IssueRef, rules: frozenset[str] = frozenset()) -> None:
    before = context.answers.conversation(ref.key)
    context.answers.save_conversation(ref.key, Conversation(
        before.waiting_for_environment, before.follow_ups + 1, before.rules_answered | rules))


def _answered(context: Context, ref: IssueRef, issue: IssueSnapshot, verdict: Verdict) -> str:
    """After an answer was posted or edited: its labels, and whether the bot now waits for the environment."""
    before = context.answers.conversation(ref.key)
    rules = before.rules_answered | {m.rule.id for m in verdict.matches}
    context.answers.save_conversation(ref.key, Conversation(verdict.asks_environment, before.follow_ups, rules))
    labels = verdict.labels
    if verdict.asks_environment and context.needs_environment_label:
        labels += (context.needs_environment_label,)
    done = _add_labels(context, ref, issue, labels)
    if before.waiting_for_environment and not verdict.asks_environment:
        done += _remove_waiting_label(context, ref)
    return done


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


def _note_unknown_rule(context: Context, ref: IssueRef, issue: Issue, word: str) -> str:
    # A note of its own, once per issue and word: a typo must not replace the answer already given.
    key = f"unknown-rule:{word}"
    if context.answers.note_posted(ref.key, key):
        return f"ignored: unknown rule {word!r} was already noted on this issue"
    note = reply.render_unknown_rule(detect_language(issue), word, context.rules.ids)
    if context.recovering and context.client.find_bot_comment(ref.repo, ref.number, note) is not None:
        context.answers.remember_note(ref.key, key)
        return f"noted before: unknown rule {word!r}"
    context.client.create_comment(ref.repo, ref.number, note)
    context.answers.remember_note(ref.key, key)
    return f"noted: unknown rule {word!r}"


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
