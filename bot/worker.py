"""The worker: claims stored deliveries and acts on them (triage, then one comment and labels per issue).

Each handler reads as guard clauses, one decision, then the writes. The normal path of an opened
issue costs exactly two requests (create the comment, add labels): the issue's title, body and
labels come from the delivery. Only when a job is run again (a retry, or a worker died holding it)
does the handler first look for the bot's marker among the issue's comments, so that a comment
posted just before a crash is updated instead of posted twice.

Labels are only ever added (those the delivery does not already show) and never removed: the bot
records which labels it added, but a maintainer may have come to rely on one, so it leaves them.
When an edit makes the issue match nothing, the bot's comment is left as it was.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot import reply
from bot.events import FaqCommand, IssueChanged, IssueRef, IssueSnapshot, PayloadError, Work, parse_delivery
from bot.github import BotComment, GitHubError, IssueClient, RateLimited, Unprocessable, client_factory
from bot.issue import Issue, detect_language
from bot.jobs import AnswerStore, Job, SqliteStore
from bot.rules import RuleSet, load_rules
from bot.settings import Settings
from bot.triage import answer_rule, triage

log = logging.getLogger(__name__)
T = TypeVar("T")

# GitHub's limit on a comment body when its 422 does not say.
MAX_COMMENT_CHARS = 65_536


@dataclass(frozen=True)
class Context:
    client: IssueClient
    answers: AnswerStore
    rules: RuleSet
    recovering: bool  # an earlier run of this job may already have written to GitHub


def handle(work: Work, context: Context) -> str:
    """Act on one piece of work; returns what was done, for the job's record."""
    if isinstance(work, FaqCommand):
        return handle_command(work, context)
    return handle_issue_changed(work, context)


def handle_issue_changed(work: IssueChanged, context: Context) -> str:
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
    done = _post_or_update(context, work.ref, existing, verdict.comment, verdict.language)
    return done + _add_labels(context, work.ref, work.issue, verdict.labels)


def handle_command(work: FaqCommand, context: Context) -> str:
    if not work.by_known_maintainer and not context.client.get_permission(work.ref.repo, work.commenter).may_maintain:
        return f"ignored: /faq from {work.commenter}, who is no maintainer"
    issue = _issue(work.ref, work.issue)
    if work.rule_id and context.rules.get(work.rule_id) is None:
        # A note of its own: a typo in a command must not replace the answer already given.
        note = reply.render_unknown_rule(detect_language(issue), work.rule_id, context.rules.ids)
        context.client.create_comment(work.ref.repo, work.ref.number, note)
        return f"noted: unknown rule {work.rule_id!r}"
    verdict = answer_rule(issue, context.rules, work.rule_id) if work.rule_id else triage(issue, context.rules)
    body = verdict.comment or reply.render_nothing_found(verdict.language)
    existing = _find_answer(context, work.ref, look_on_github=True)
    done = _post_or_update(context, work.ref, existing, body, verdict.language)
    return done + _add_labels(context, work.ref, work.issue, verdict.labels)


def _issue(ref: IssueRef, snapshot: IssueSnapshot) -> Issue:
    # The repository goes along: a rule's context may be met by the project an issue is filed on.
    return Issue(snapshot.title, snapshot.body, ref.repo)


def _find_answer(context: Context, ref: IssueRef, look_on_github: bool) -> BotComment | None:
    stored = context.answers.answer(ref.key)
    if stored is not None:
        return BotComment(stored.comment_id, stored.body)
    if not look_on_github:
        return None
    found = context.client.find_bot_comment(ref.repo, ref.number, reply.MARKER)
    if found is not None:
        context.answers.remember_answer(ref.key, found.id, found.body)
    return found


def _post_or_update(context: Context, ref: IssueRef, existing: BotComment | None, body: str, language: str) -> str:
    client = context.client
    if existing is not None and existing.body == body:
        return f"unchanged comment {existing.id}"
    if existing is not None:
        posted, _ = _within_limit(lambda text: client.edit_comment(ref.repo, existing.id, text), body, language)
        context.answers.remember_answer(ref.key, existing.id, posted)
        return f"edited comment {existing.id}"
    posted, comment_id = _within_limit(lambda text: client.create_comment(ref.repo, ref.number, text), body, language)
    # Remembered at once: if labelling fails now, the retry edits this comment instead of posting another.
    context.answers.remember_answer(ref.key, comment_id, posted)
    return f"posted comment {comment_id}"


def _within_limit(send: Callable[[str], T], body: str, language: str) -> tuple[str, T]:
    """Send ``body``; on a 422 (too long), once more shortened. Returns the text GitHub took, and its answer."""
    try:
        return body, send(body)
    except Unprocessable as error:
        limit = error.max_chars or (MAX_COMMENT_CHARS if len(body) > MAX_COMMENT_CHARS else len(body) // 2)
        shorter = reply.shorten(body, limit, language)
        log.warning("GitHub refused a %d-character comment (%s); sending %d characters", len(body), error, len(shorter))
        return shorter, send(shorter)


def _add_labels(context: Context, ref: IssueRef, issue: IssueSnapshot, labels: tuple[str, ...]) -> str:
    missing = tuple(label for label in labels if label not in issue.labels)
    if not missing:
        return ""
    context.client.add_labels(ref.repo, ref.number, missing)
    context.answers.remember_labels(ref.key, missing)
    return f", labelled {', '.join(missing)}"


class Worker:
    """Runs stored jobs one at a time; several may run (threads or processes) on one database."""

    def __init__(self, settings: Settings, store: SqliteStore, rules: RuleSet | None = None):
        self.settings = settings
        self.store = store
        self.rules = rules if rules is not None else load_rules(settings.rules_dir)
        self._clients = client_factory(settings, store)
        self._wake = threading.Event()

    def wake(self) -> None:
        """A job was just stored: look now instead of at the next poll."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        log.info("worker started (%d rules)", len(self.rules.ids))
        while not stop.is_set():
            if not self.run_once():
                self._wake.wait(self.settings.poll_interval)
                self._wake.clear()

    def run_once(self) -> bool:
        """Claim and run one job; False when none is ready."""
        job = self.store.claim(self.settings.lease_seconds)
        if job is None:
            return False
        try:
            work = parse_delivery(job.event, json.loads(job.payload))
            result = "ignored" if work is None else handle(work, self._context(job, work))
        except RateLimited as error:
            log.warning("job %d (%s) rescheduled: %s", job.id, job.issue_key, error)
            self.store.reschedule(job, error.until, str(error))
        except (GitHubError, PayloadError, ValueError) as error:
            log.error("job %d (%s) failed: %s", job.id, job.issue_key, error)
            self.store.fail(job, str(error))
        except Exception as error:  # a bug must not stop the worker or lose the job
            log.exception("job %d (%s) failed unexpectedly", job.id, job.issue_key)
            self.store.fail(job, f"{type(error).__name__}: {error}")
        else:
            log.info("job %d (%s): %s", job.id, job.issue_key, result)
            self.store.complete(job, result)
        return True

    def _context(self, job: Job, work: Work) -> Context:
        return Context(self._clients(work.ref.installation_id), self.store, self.rules, job.recovering)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="faqbot-worker", daemon=True)
        thread.start()
        return thread, stop


def run_worker(settings: Settings | None = None) -> int:
    """`python -m bot worker`: run jobs until SIGTERM or Ctrl-C."""
    from bot.app import configure_logging

    settings = settings or Settings.from_env()
    configure_logging(settings)
    worker = Worker(settings, SqliteStore(settings.db_path, settings.db_synchronous))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        pass
    return 0


def jobs_command(action: str = "list", job_id: int | None = None, every: bool = False,
                 settings: Settings | None = None) -> int:
    """`python -m bot jobs [list | retry ID | retry --all]`."""
    settings = settings or Settings.from_env()
    store = SqliteStore(settings.db_path, settings.db_synchronous)
    if action == "retry":
        if job_id is None and not every:
            print("jobs retry: give a job id or --all")
            return 2
        count = store.retry(None if every else job_id)
        print(f"{count} job(s) queued again")
        return 0 if count or every else 1
    failed = store.list_failed()
    for job in failed:
        print(f"{job.id}\t{job.event}\t{job.issue_key}\tattempts={job.attempts}\t{job.error}")
    print(f"{len(failed)} failed job(s); counts: {json.dumps(store.counts())}")
    return 0
