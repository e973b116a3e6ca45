"""The issue author's later comments: the reply to their environment, the answer, a follow-up answer."""

from __future__ import annotations

from bot import policy, reply
from bot.conversation import MAX_FOLLOW_UPS, adds_environment, adds_input, own_words
from bot.events import AuthorComment, IssueRef
from bot.github import BotComment
from bot.handlers.answering import (
    TRIAGE, add_labels, after_answer, create_once, find_answer, post_or_update, record_answered, remove_waiting_label,
)
from bot.handlers.context import Context, Setup, setup_for, timed_triage
from bot.handlers.shadow_mode import record_shadow
from bot.issue import Issue
from bot.jobs import Conversation
from bot.repo_config import SHADOW
from bot.triage import Verdict, answer_rule


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
    setup = setup_for(context, ref)
    held = policy.held_back(setup.loaded.config, work.issue)
    if held:
        return held
    earlier = [text for comment_id, text in answers.author_inputs(ref.key) if comment_id != work.comment_id]
    answers.remember_author_input(ref.key, work.comment_id, new)
    whole = Issue(work.issue.title, "\n\n".join([work.issue.body, *earlier, new]), ref.repo)
    if setup.mode == SHADOW:
        return record_shadow(context, ref, "author-comment", work.issue,
                             timed_triage(whole, setup.rules, setup.options), setup)
    if stored is None:
        return _answer_from_comment(work, context, timed_triage(whole, setup.rules, setup.options), setup)
    if conversation.waiting_for_environment and adds_environment(new):
        return _reply_with_environment(work, context, stored.comment_id, whole, conversation, setup)
    return _answer_another_error(work, context, Issue(work.issue.title, new, ref.repo), whole, conversation, setup)


def _answer_from_comment(work: AuthorComment, context: Context, verdict: Verdict, setup: Setup) -> str:
    # The bot had said nothing: the comment completes the issue, and gets the answer the issue would have.
    if verdict.comment is None:
        return "silent: no rule matches the issue with the author's comments"
    existing = find_answer(context, work.ref, look_on_github=context.recovering)
    done = post_or_update(context, work.ref, existing, verdict.comment, verdict.language, TRIAGE, repost_if_gone=False)
    _count_follow_up(context, work.ref)
    return (done or "silent") + after_answer(context, work.ref, work.issue, verdict, setup)


def _reply_with_environment(work: AuthorComment, context: Context, answer_id: int, whole: Issue,
                            conversation: Conversation, setup: Setup) -> str:
    """The author answered the bot's question: say what their environment shows, stop asking."""
    verdict = timed_triage(whole, setup.rules, setup.options)
    answered = [m for m in verdict.matches if m.rule.id in conversation.rules_answered]
    diagnoses = verdict.diagnoses if answered else ()
    note = reply.render_environment_reply(verdict.language, diagnoses)
    create_once(context, work.ref, note)
    done = f"replied with {len(diagnoses)} finding(s)"
    if answered and verdict.comment is not None:
        existing = BotComment(answer_id, context.answers.answer(work.ref.key).body)
        edited = post_or_update(context, work.ref, existing, verdict.comment, verdict.language, TRIAGE,
                                repost_if_gone=False)
        done += f", {edited or 'answer deleted'}"
    _stop_waiting(context, work.ref)
    _count_follow_up(context, work.ref)
    return done


def _answer_another_error(work: AuthorComment, context: Context, comment_only: Issue, whole: Issue,
                          conversation: Conversation, setup: Setup) -> str:
    """The first fix worked and the next step fails: a new answer, once per FAQ entry and issue."""
    shown = [m.rule.id for m in timed_triage(comment_only, setup.rules, setup.options).matches]
    new = [rule_id for rule_id in shown if rule_id not in conversation.rules_answered]
    if not new:
        return "ignored: the author's comment shows no FAQ error the bot has not answered"
    # Answered from the whole conversation, so the environment the author gave earlier counts; the new
    # comment comes first, so the line the answer quotes is the line of that comment.
    verdict = answer_rule(Issue(whole.title, comment_only.body + "\n\n" + whole.body, whole.repo), setup.rules,
                          new[0], setup.options)
    create_once(context, work.ref, reply.render_follow_up_answer(verdict.comment, verdict.language))
    _count_follow_up(context, work.ref, frozenset(shown))
    record_answered(context, work.ref, (new[0],))
    return f"followed up with {new[0]}" + add_labels(context, work.ref, work.issue, setup.labels(verdict.labels))


def _count_follow_up(context: Context, ref: IssueRef, rules: frozenset[str] = frozenset()) -> None:
    before = context.answers.conversation(ref.key)
    context.answers.save_conversation(ref.key, Conversation(
        before.waiting_for_environment, before.follow_ups + 1, before.rules_answered | rules))


def _stop_waiting(context: Context, ref: IssueRef) -> None:
    before = context.answers.conversation(ref.key)
    context.answers.save_conversation(ref.key, Conversation(False, before.follow_ups, before.rules_answered))
    remove_waiting_label(context, ref)
