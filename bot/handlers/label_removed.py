"""A label a person removed: never added again, and counted against the rules whose answer added it."""

from __future__ import annotations

from bot import policy
from bot.control_store import LABEL_REMOVED
from bot.events import LabelRemoved
from bot.handlers.answering import answer_rules
from bot.handlers.context import Context


def handle_label_removed(work: LabelRemoved, context: Context) -> str:
    feedback = _label_feedback(work, context)
    context.answers.remember_label_removed(work.ref.key, work.label)
    return f"noted: {work.remover} removed label {work.label!r}; the bot will not add it again" + feedback


def _label_feedback(work: LabelRemoved, context: Context) -> str:
    """A person removing a label the bot added for a rule says that rule was wrong: counted per rule."""
    if context.feedback is None or work.label not in context.answers.labels_added(work.ref.key):
        return ""
    config = context.repo_config().config
    blamed = [rule_id for rule_id in answer_rules(context, work.ref)
              if (rule := context.rules.get(rule_id)) is not None
              and work.label in policy.rename_labels(rule.labels, config)]
    for rule_id in blamed:
        context.feedback.record_rule_event(work.ref.repo, work.ref.key, rule_id, LABEL_REMOVED)
    return f"; counted against {', '.join(blamed)}" if blamed else ""
