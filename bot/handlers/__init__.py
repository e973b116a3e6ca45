"""What the bot does for each piece of work: answer an issue, run a maintainer's `/faq` command, note a
removed label, read the author's follow-up comment.

Each handler reads as guard clauses, one decision, then the writes. Handlers see GitHub only through
the narrow IssueClient protocol and their memory only through AnswerStore, so their tests use small
in-memory fakes (tests/test_handlers.py) besides the end-to-end tests over HTTP.

This module only routes work to its handler, one module each (issue_changed, faq_command,
label_removed, author_comment); what they share lies below them: answering (the writes on the
answer, its labels, notes), shadow_mode, and context (Context, the repository's setup, triage).

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

from bot.events import AuthorComment, FaqCommand, LabelRemoved, Work
from bot.handlers.author_comment import handle_author_comment
from bot.handlers.context import Context
from bot.handlers.faq_command import handle_command, read_command_word
from bot.handlers.issue_changed import handle_issue_changed
from bot.handlers.label_removed import handle_label_removed

__all__ = ["Context", "handle", "read_command_word"]


def handle(work: Work, context: Context) -> str:
    """Act on one piece of work; returns what was done, for the job's record."""
    if isinstance(work, FaqCommand):
        return handle_command(work, context)
    if isinstance(work, LabelRemoved):
        return handle_label_removed(work, context)
    if isinstance(work, AuthorComment):
        return handle_author_comment(work, context)
    return handle_issue_changed(work, context)
