"""Shadow mode: what the bot would have posted is recorded, and nothing is posted."""

from __future__ import annotations

import logging

from bot import reply
from bot.events import IssueRef, IssueSnapshot
from bot.handlers.context import Context, Setup
from bot.triage import Verdict

log = logging.getLogger(__package__)  # "bot.handlers": log lines name the package, as before the split


def record_shadow(context: Context, ref: IssueRef, kind: str, issue: IssueSnapshot, verdict: Verdict,
                  setup: Setup) -> str:
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
