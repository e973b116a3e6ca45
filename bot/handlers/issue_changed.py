"""An issue opened or edited: the one answer posted, edited, kept or left alone."""

from __future__ import annotations

from bot import policy
from bot.events import IssueChanged
from bot.handlers.answering import MAINTAINER, TRIAGE, after_answer, find_answer, post_or_update
from bot.handlers.context import Context, issue_of, setup_for, timed_triage
from bot.handlers.shadow_mode import record_shadow
from bot.repo_config import SHADOW


def handle_issue_changed(work: IssueChanged, context: Context) -> str:
    stored = context.answers.answer(work.ref.key)
    if stored is not None and stored.deleted:
        return "silent: a maintainer deleted the bot's answer"
    if stored is not None and stored.source == MAINTAINER and not work.opened:
        return "kept: a maintainer chose this answer with /faq RULE-ID"
    issue = issue_of(work.ref, work.issue)
    verdict = timed_triage(issue, context.rules)
    setup = None
    if verdict.comment is not None:  # else nothing matches whatever the config says: no need to read it
        setup = setup_for(context, work.ref)
        held = policy.held_back(setup.loaded.config, work.issue)
        if held:
            return held
        if setup.changes_triage_of(context.rules):
            verdict = timed_triage(issue, setup.rules, setup.options)
        if setup.mode == SHADOW:
            return record_shadow(context, work.ref, "opened" if work.opened else "edited", work.issue, verdict, setup)
    if work.opened:
        if verdict.comment is None:
            return "silent: no rule matches"
        existing = find_answer(context, work.ref, look_on_github=context.recovering)
    else:
        existing = find_answer(context, work.ref, look_on_github=True)
        if existing is None:
            return "silent: edited, and the bot had not answered"
        if verdict.comment is None:
            return "kept: edited, no rule matches now; the answer is left as it was"
    done = post_or_update(context, work.ref, existing, verdict.comment, verdict.language, TRIAGE, repost_if_gone=False)
    if done is None:
        return "silent: a maintainer deleted the bot's answer"
    return done + after_answer(context, work.ref, work.issue, verdict, setup)
