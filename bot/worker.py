"""The worker: claims a stored job, runs its handler, records the outcome. Nothing else.

It never dies of its job store. A "database is locked" that outlasts the busy timeout (an
operator's backup), a full disk, a PostgreSQL server restarting, any of STORE_ERRORS: logged, backed
off, polled again. A job whose
outcome could not be recorded keeps its claim until the lease runs out, then runs again, and the
handlers' recovery path finds the answer it already posted.

It never runs a job twice at once. While a job runs, its lease is extended (a heartbeat), and every
write to GitHub first confirms the lease is still this worker's: a worker that lost its job to
another (it hung longer than the lease) stops before it writes.

It keeps the database from growing without bound: at start and about once a minute it deletes the
jobs that finished more than FAQBOT_RETENTION_DAYS ago (Store.prune).
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import threading
import time

from bot import metrics
from bot.config_source import RepoConfigs
from bot.database import STORE_ERRORS
from bot.events import PayloadError, Work, decode_work
from bot.github import GitHubError, IssueClient, RateLimited, client_factory
from bot.handlers import Context, handle
from bot.jobs import Job, Store
from bot.logs import configure_logging, log_context
from bot.repo_config import RepoConfig
from bot.rules import RuleSet, load_rules
from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_STORE_BACKOFF = 30.0  # seconds between looks at a job store that keeps failing
ALIVE_EVERY = 5.0  # seconds between a worker's signs of life in the store, read by /healthz
PRUNE_EVERY = 60.0  # seconds between deletions of jobs finished longer ago than FAQBOT_RETENTION_DAYS
_WRITES = frozenset({"create_comment", "edit_comment", "add_labels", "remove_label", "delete_comment"})


class LeaseLost(Exception):
    """Another worker took this job over (its lease ran out): this worker must not write."""


class Lease:
    """Keeps a claimed job's lease alive while it runs, and confirms it before each write."""

    def __init__(self, store: Store, job: Job, seconds: float, on_beat=lambda: None):
        self._store, self._job, self._seconds, self._on_beat = store, job, seconds, on_beat
        self._done = threading.Event()
        self._lost = False
        self._thread = threading.Thread(target=self._beat, name=f"faqbot-lease-{job.id}", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def confirm(self) -> None:
        """Raise LeaseLost unless the job is still this worker's (and extend it while at it)."""
        if self._lost or not self._store.extend(self._job, self._seconds):
            self._lost = True
            raise LeaseLost(f"job {self._job.id} ({self._job.issue_key}) was taken over by another worker")

    def _beat(self) -> None:
        while not self._done.wait(self._seconds / 3):
            try:
                if not self._store.extend(self._job, self._seconds):
                    self._lost = True
                    return
                self._on_beat()
            except STORE_ERRORS as error:  # the next beat, or the lease's end, settles it
                log.warning("job %d: could not extend its lease: %s", self._job.id, error)


class FencedClient:
    """An IssueClient whose writes go out only while the job's lease is still this worker's."""

    def __init__(self, client: IssueClient, lease: Lease):
        self._client, self._lease = client, lease

    def __getattr__(self, name: str):
        attribute = getattr(self._client, name)
        if name not in _WRITES:
            return attribute

        def fenced(*args, **kwargs):
            self._lease.confirm()
            return attribute(*args, **kwargs)

        return fenced


class Worker:
    """Runs stored jobs one at a time; several may run (threads or processes) on one database."""

    def __init__(self, settings: Settings, store: Store, rules: RuleSet | None = None):
        self.settings = settings
        self.store = store
        self.rules = rules if rules is not None else load_rules(settings.rules_dir)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.thread: threading.Thread | None = None
        self._clients = client_factory(settings, store)
        self.configs = RepoConfigs(store, self.rules, RepoConfig(mode=settings.default_mode), settings.config_ttl)
        self._wake = threading.Event()
        self._last_alive = 0.0
        self._last_prune: float | None = None

    def wake(self) -> None:
        """A job was just stored: look now instead of at the next poll."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        log.info("worker %s started (%d rules) on %s", self.name, len(self.rules.ids), self.settings.database)
        failures = 0
        while not stop.is_set():
            try:
                self._say_alive()
                self._prune_when_due()
                ran = self.run_once()
                failures = 0
            except STORE_ERRORS as error:
                failures += 1
                delay = min(MAX_STORE_BACKOFF, self.settings.poll_interval * 2 ** failures)
                log.error("job store failing (%s: %s); looking again in %.1f s", type(error).__name__, error, delay)
                stop.wait(delay)
                continue
            if not ran:
                self._wake.wait(self.settings.poll_interval)
                self._wake.clear()

    def run_once(self) -> bool:
        """Claim and run one job; False when none is ready. Raises one of STORE_ERRORS when the store fails."""
        job = self.store.claim(self.settings.lease_seconds)
        if job is None:
            return False
        with log_context(job.delivery_id, job.issue_key), \
                Lease(self.store, job, self.settings.lease_seconds, self._say_alive) as lease:
            metrics.JOBS.inc(event=job.event, outcome=self._run(job, lease))
        return True

    def _run(self, job: Job, lease: Lease) -> str:
        """Run the job and record its outcome; returns the outcome's name, for the metrics."""
        try:
            work = decode_work(job.payload, job.event)
            result = "ignored" if work is None else handle(work, self._context(job, work, lease))
        except LeaseLost as error:
            log.warning("%s; leaving it to that worker", error)
            return "lease_lost"
        except RateLimited as error:
            log.warning("job %d (%s) rescheduled: %s", job.id, job.issue_key, error)
            self.store.reschedule(job, error.until, str(error))
            return "rescheduled"
        except (GitHubError, PayloadError) as error:
            log.error("job %d (%s) failed: %s", job.id, job.issue_key, error)
            self.store.fail(job, str(error))
            return "failed"
        except STORE_ERRORS:
            raise  # not recorded: the job runs again when its lease runs out
        except Exception as error:  # a bug must not stop the worker or lose the job
            log.exception("job %d (%s) failed unexpectedly", job.id, job.issue_key)
            self.store.fail(job, f"{type(error).__name__}: {error}")
            return "failed"
        log.info("job %d (%s): %s", job.id, job.issue_key, result)
        self.store.complete(job, result)
        return "done"

    def _context(self, job: Job, work: Work, lease: Lease) -> Context:
        client = FencedClient(self._clients(work.ref.installation_id), lease)
        repo_config = functools.cache(lambda: self.configs.load(work.ref.repo, client))
        return Context(client, self.store, self.rules, job.recovering, self.settings.needs_environment_label,
                       repo_config=repo_config, feedback=self.store)

    def _say_alive(self) -> None:
        if time.monotonic() - self._last_alive >= ALIVE_EVERY:
            self.store.worker_alive(self.name)
            self._last_alive = time.monotonic()

    def _prune_when_due(self) -> None:
        """At start, then every PRUNE_EVERY seconds: forget jobs finished FAQBOT_RETENTION_DAYS ago."""
        if self.settings.retention_days <= 0:
            return
        if self._last_prune is not None and time.monotonic() - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = time.monotonic()
        pruned = self.store.prune(self.settings.retention_days * 86400)
        if pruned:
            log.info("pruned %d job(s) finished more than %g day(s) ago", pruned, self.settings.retention_days)

    def start_thread(self) -> threading.Event:
        """Run in a daemon thread (the web front's in-process worker); returns the event that stops it."""
        stop = threading.Event()
        self.thread = threading.Thread(target=self.run, args=(stop,), name="faqbot-worker", daemon=True)
        self.thread.start()
        return stop


def run_worker(settings: Settings | None = None) -> int:
    """`python -m bot worker`: run jobs until SIGTERM or Ctrl-C."""
    settings = settings or Settings.from_env()
    configure_logging(settings)
    if settings.worker_nice:
        # Acknowledging a delivery has GitHub's 10 s to meet; an answer can wait a moment. On a
        # machine shared with the web front, the worker yields the CPU to it.
        os.nice(settings.worker_nice)
    worker = Worker(settings, Store.from_settings(settings))
    if settings.metrics_port:
        metrics.serve_metrics(settings.metrics_port, worker.store)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        pass
    return 0
