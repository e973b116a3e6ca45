"""The durable job store: deliveries waiting to be acted on, and what the bot remembers per issue.

One store on either database FAQBOT_DB names: an SQLite file in WAL mode, shared by the processes of
one machine (gunicorn workers, `python -m bot worker`), or PostgreSQL, shared by every process on
every machine. The SQL is written once; bot/database.py's `Dialect` says the little that differs.
A few connections per process, each lent to one thread for one operation, and one short statement
per transaction. A claim finds its job with reads (in WAL they wait for no writer and hold up none;
on PostgreSQL they lock the row found and pass over rows another claim holds, `FOR UPDATE SKIP
LOCKED`), then takes it with one conditional `UPDATE ... RETURNING` on its primary key: two workers
never get the same job. A claim is a lease, so a job held by a worker that died is claimed again
once the lease runs out. Jobs of one issue run one at a time and in delivery order (a later job
waits while an earlier one is pending or running, and no job starts while another of its issue
runs), so "opened" is answered before "edited" updates the answer, and two deliveries for one issue
never post two answers. On PostgreSQL the claims of one issue are serialised by an advisory lock on
its key, since there two claims do not wait for one write lock.

The schema is migrated at start (every store) or with `python -m bot db upgrade`: `MIGRATIONS`.
`JobStore` and `AnswerStore` are the interfaces the rest of the bot uses.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.control_store import CONTROL_SCHEMA, ControlTables
from bot.database import STORE_ERRORS, dialect_for
from bot.settings import DatabaseUrl, Settings

# A job whose workers died this many times is a poison pill: fail it instead of crashing a fifth worker.
MAX_CLAIMS = 5
# Connections a store keeps open, per process. Fewer made gunicorn's threads queue here behind a
# connection whose thread waits for SQLite's write lock or the interpreter lock (bench/RESULTS-webhook.md).
POOL_SIZE = 8
# Finished jobs deleted per statement when pruning: short transactions, whatever the backlog.
PRUNE_BATCH = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL UNIQUE,
    event       TEXT NOT NULL,
    issue_key   TEXT NOT NULL,
    payload     BLOB NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',  -- pending | running | done | failed
    attempts    INTEGER NOT NULL DEFAULT 0,       -- claims so far
    run_after   REAL NOT NULL,
    lease_until REAL,
    claim       TEXT,
    error       TEXT,
    result      TEXT,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);
-- (status, id): the claim walks pending jobs in delivery order and stops at the first ready one;
-- the index it replaces, (status, run_after), had every pending job sorted for each claim.
DROP INDEX IF EXISTS jobs_ready;
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, id);
CREATE INDEX IF NOT EXISTS jobs_issue ON jobs (issue_key, status);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (status, updated_at);  -- pruning finished jobs (step 2: only them)
CREATE TABLE IF NOT EXISTS answers (
    issue_key    TEXT PRIMARY KEY,
    comment_id   INTEGER NOT NULL,
    body         TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT 'triage',  -- triage | maintainer (a `/faq RULE-ID`)
    deleted      INTEGER NOT NULL DEFAULT 0,      -- a maintainer deleted the comment
    updated_at   REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS issue_labels (  -- labels the bot must not add (again) to an issue
    issue_key  TEXT NOT NULL,
    label      TEXT NOT NULL,
    state      TEXT NOT NULL,                    -- added (by the bot) | removed (by a person)
    updated_at REAL NOT NULL,
    PRIMARY KEY (issue_key, label)
);
CREATE TABLE IF NOT EXISTS notes (  -- short notes already posted, once per issue and note
    issue_key  TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (issue_key, note)
);
CREATE TABLE IF NOT EXISTS conversations (  -- the bot's exchange with an issue's author
    issue_key               TEXT PRIMARY KEY,
    waiting_for_environment INTEGER NOT NULL DEFAULT 0,  -- the answer asks for collect_env
    follow_ups              INTEGER NOT NULL DEFAULT 0,  -- replies to the author's comments so far
    rules_answered          TEXT NOT NULL DEFAULT '[]',  -- rule ids the bot has answered on the issue
    updated_at              REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS author_inputs (  -- what the author's comments added (environment, errors)
    issue_key  TEXT NOT NULL,
    comment_id INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (issue_key, comment_id)
);
CREATE TABLE IF NOT EXISTS workers (  -- each worker's last sign of life, for /healthz
    name    TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dry_run_comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_key  TEXT NOT NULL,
    action     TEXT NOT NULL,
    body       TEXT,
    labels     TEXT,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS write_slots (  -- GitHub pacing shared by every worker: per installation or token
    pace_key TEXT PRIMARY KEY,
    next_at  REAL NOT NULL                 -- the earliest moment (epoch seconds) of the next write
);
"""

# Step 3 (SQLite only): `jobs` rebuilt without AUTOINCREMENT, which keeps the highest id ever given
# in sqlite_sequence and so writes that table's page at every insert, one page more per stored
# delivery. A new job now takes the highest id in the table plus one: ids still grow in delivery
# order, which is all the claims read from them. (An id can come back only after the newest job
# was pruned, that is when no job is left that could be confused with it.) PostgreSQL's identity
# column has no such table.
_JOBS_TABLE = re.search(r"CREATE TABLE IF NOT EXISTS jobs \(.*?\n\);", _SCHEMA, re.S)[0]
_JOBS_WITHOUT_AUTOINCREMENT = f"""
{_JOBS_TABLE.replace("IF NOT EXISTS jobs (", "jobs_rebuilt (").replace(" AUTOINCREMENT", "")}
INSERT INTO jobs_rebuilt SELECT * FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_rebuilt RENAME TO jobs;
CREATE INDEX jobs_status ON jobs (status, id);
CREATE INDEX jobs_issue ON jobs (issue_key, status);
CREATE INDEX jobs_finished ON jobs (status, updated_at) WHERE status IN ('done', 'failed');
"""

# The schema's versions, in order. A database records in schema_version the steps it ran; at start
# (every store) or with `python -m bot db upgrade` it runs the ones it has not, once, in order, while
# holding the database's migration lock. A step is never changed once released: a change is a new step.
# Step 1 is idempotent: databases made before schema_version existed get it too. A step's script is
# the same on both databases, or given per dialect ({"sqlite": ..., "postgresql": ...}).
MIGRATIONS: tuple[tuple[int, str, str | dict[str, str]], ...] = (
    (1, "jobs, per-issue memory, workers, dry runs, control tables, write slots", _SCHEMA + CONTROL_SCHEMA),
    # Pruning reads only finished jobs, so its index holds only those: storing a delivery (a pending
    # job) no longer writes it, one page fewer per acknowledgement. Pruning names the index's
    # condition word for word (SQLite uses a partial index only then).
    (2, "pruning's index holds finished jobs only", """
DROP INDEX IF EXISTS jobs_finished;
CREATE INDEX jobs_finished ON jobs (status, updated_at) WHERE status IN ('done', 'failed');
"""),
    (3, "job ids without SQLite's AUTOINCREMENT: one page fewer per stored delivery",
     {"sqlite": _JOBS_WITHOUT_AUTOINCREMENT, "postgresql": ""}),
)

# An earlier job of the same issue still to run (or running) holds a job back, and so does another
# job of the issue that runs now (a failed earlier job retried while a later one runs; on PostgreSQL,
# an earlier delivery whose insert committed after a later one's).
_EARLIER_UNFINISHED = """NOT EXISTS (SELECT 1 FROM jobs e WHERE e.issue_key = jobs.issue_key AND e.id < jobs.id
                                                    AND e.status IN ('pending', 'running'))
  AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.issue_key = jobs.issue_key AND r.id <> jobs.id
                                         AND r.status = 'running' AND r.lease_until >= :now)"""

# The claim's reads: the first job ready to run, in delivery order, and a lease that ran out.
_NEXT_READY = f"""
SELECT id, issue_key FROM jobs WHERE status = 'pending' AND run_after <= :now AND {_EARLIER_UNFINISHED}
ORDER BY id LIMIT 1
"""
_ANY_EXPIRED = "SELECT 1 FROM jobs WHERE status = 'running' AND lease_until < :now LIMIT 1"
_EXPIRED = f"""
SELECT id, issue_key FROM jobs WHERE status = 'running' AND lease_until < :now AND {_EARLIER_UNFINISHED}
ORDER BY id LIMIT 1
"""
# Looks at most this many times: each miss means another worker has just taken a job.
_CLAIM_TRIES = 50

# The claim's one write: the job, if it is still there to take when the write lock is held.
_CLAIM = f"""
UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = :lease_until,
                claim = :claim, updated_at = :now
WHERE id = :id AND ((status = 'pending' AND run_after <= :now) OR (status = 'running' AND lease_until < :now))
  AND {_EARLIER_UNFINISHED}
RETURNING id, delivery_id, event, issue_key, payload, attempts, claim
"""

_ABANDON = """
UPDATE jobs SET status = 'failed', error = :error, claim = NULL, updated_at = :now
WHERE status = 'running' AND lease_until < :now AND attempts >= :max_claims
"""


@dataclass(frozen=True)
class Job:
    id: int
    delivery_id: str
    event: str
    issue_key: str
    payload: bytes
    attempts: int = 1
    claim: str = ""

    @property
    def recovering(self) -> bool:
        """Claimed before (a retry, or a worker died): earlier attempts may have written to GitHub."""
        return self.attempts > 1


@dataclass(frozen=True)
class FailedJob:
    id: int
    delivery_id: str
    event: str
    issue_key: str
    attempts: int
    error: str
    updated_at: float


@dataclass(frozen=True)
class Answer:
    comment_id: int
    body: str
    source: str = "triage"  # "maintainer": chosen with `/faq RULE-ID`, so only a maintainer replaces it
    deleted: bool = False  # a maintainer deleted it: an edit of the issue does not bring it back


@dataclass(frozen=True)
class Conversation:
    waiting_for_environment: bool = False
    follow_ups: int = 0
    rules_answered: frozenset[str] = frozenset()


@dataclass(frozen=True)
class QueueHealth:
    depth: int  # jobs pending or running
    oldest_ready_age: float  # seconds the longest-waiting ready job has waited (0: none waits)
    worker_seen_age: float | None  # seconds since a worker last showed life (None: never)


class JobStore(Protocol):
    def enqueue(self, delivery_id: str, event: str, issue_key: str, payload: bytes) -> bool: ...
    def claim(self, lease_seconds: float) -> Job | None: ...
    def complete(self, job: Job, result: str) -> bool: ...
    def fail(self, job: Job, error: str) -> bool: ...
    def reschedule(self, job: Job, run_after: float, reason: str) -> bool: ...
    def list_failed(self) -> list[FailedJob]: ...
    def retry(self, job_id: int | None = None) -> int: ...


class AnswerStore(Protocol):
    """What the bot remembers per issue: its answer, the labels it must not add, the notes it posted."""

    def answer(self, issue_key: str) -> Answer | None: ...
    def remember_answer(self, issue_key: str, comment_id: int, body: str, source: str = "triage") -> None: ...
    def mark_answer_deleted(self, issue_key: str) -> None: ...
    def labels_not_to_add(self, issue_key: str) -> frozenset[str]: ...
    def labels_added(self, issue_key: str) -> frozenset[str]: ...
    def remember_labels_added(self, issue_key: str, labels: tuple[str, ...]) -> None: ...
    def remember_label_removed(self, issue_key: str, label: str) -> None: ...
    def note_posted(self, issue_key: str, note: str) -> bool: ...
    def remember_note(self, issue_key: str, note: str) -> None: ...
    def conversation(self, issue_key: str) -> Conversation: ...
    def save_conversation(self, issue_key: str, conversation: Conversation) -> None: ...
    def author_inputs(self, issue_key: str) -> list[tuple[int, str]]: ...
    def remember_author_input(self, issue_key: str, comment_id: int, body: str) -> None: ...


class _Rows:
    """A statement's whole result, read before its connection went back: what a cursor would give."""

    def __init__(self, cursor):
        self._rows = iter(cursor.fetchall() if cursor.description is not None else ())
        self.rowcount = cursor.rowcount

    def fetchone(self) -> tuple | None:
        return next(self._rows, None)

    def fetchall(self) -> list[tuple]:
        return list(self._rows)

    def __iter__(self) -> Iterator[tuple]:
        return self._rows


class _Lent:
    """What `Store._connection()` gives: a statement on a lent connection, or a block of them."""

    def __init__(self, lend, broken=lambda db: False):
        self._lend = lend
        self._broken = broken
        self._block = None

    def execute(self, sql: str, parameters: tuple | dict = ()) -> _Rows:
        # A pooled connection the server has dropped since (a restart, a failover) fails its next
        # statement: that statement runs once more, on a new connection. Every single statement
        # here may run twice (the upserts and conditional updates change nothing the second time).
        for attempt in (1, 2):
            with self._lend() as db:
                try:
                    return _Rows(db.execute(sql, parameters))
                except STORE_ERRORS:
                    if attempt == 2 or not self._broken(db):
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def __enter__(self):
        self._block = self._lend()
        return self._block.__enter__()

    def __exit__(self, *exc) -> bool | None:
        return self._block.__exit__(*exc)


class _Loan:
    """`Store._lend()`: a pooled connection for this thread until the block ends, or the one it holds
    already. A class rather than a contextlib generator: every statement of the store takes one, and
    the generator's machinery ran more Python than the loan itself."""

    __slots__ = ("_store", "_db", "_nested")

    def __init__(self, store: Store):
        self._store = store

    def __enter__(self):
        store = self._store
        held = getattr(store._local, "db", None)
        self._nested = held is not None
        if held is not None:  # this thread holds one already: nesting must not wait on itself
            return held
        if not store._free.acquire(timeout=store._busy_timeout):
            raise store._dialect.error(f"no connection to {store.database} free after {store._busy_timeout:.0f} s")
        try:
            with store._idle_lock:
                db = store._idle.pop() if store._idle else None
            db = db or store._dialect.connect()
        except BaseException:
            store._free.release()
            raise
        store._local.db = self._db = db
        return db

    def __exit__(self, *exc: object) -> None:
        if self._nested:
            return
        store = self._store
        store._local.db = None
        try:
            store._give_back(self._db)
        finally:
            store._free.release()


class Store(ControlTables):
    """JobStore and AnswerStore on one database (and FeedbackStore, with bot/control_store.py's tables).

    ``database``: an SQLite file (a path, or `sqlite:///PATH`) or a `postgresql://` URL; see
    bot/settings.py's DatabaseUrl. Every method reaches the database through `self._connection()`,
    in one of two ways, with SQL written for SQLite (`?` and `:name`), which the PostgreSQL dialect
    translates:

    - one statement: `self._connection().execute(sql, parameters)`. Its rows are read in full and
      the connection goes back at once; the result answers `fetchone()`, `fetchall()` and
      `rowcount` as a cursor would.
    - several statements on one connection (a transaction, or reads and a write that belong
      together): `with self._connection() as db:`, where `db` is the sqlite3.Connection (or the
      dialect's PostgreSQL connection, which answers `execute` and `executemany` the same way), this
      thread's until the block ends. A store method called inside the block uses the same one.

    At most POOL_SIZE connections are open per store, lent to one thread at a time and kept open
    for the store's life. A connection per thread piled up: werkzeug's threaded server starts a
    thread per request, and SQLite does not close the file of a connection closed while another
    connection of the process holds a lock on it, so even closing them at thread end leaked.
    """

    def __init__(self, database: str | Path | DatabaseUrl, synchronous: str = "NORMAL", busy_timeout: float = 10.0,
                 upgrade: bool = True):
        # busy_timeout: seconds to wait for a free connection, and for another process's lock
        # (SQLite's write lock; on PostgreSQL, a statement's limit).
        self.database = DatabaseUrl.parse(database)
        self._dialect = dialect_for(self.database, synchronous, busy_timeout)
        self._busy_timeout = busy_timeout
        self._idle: list = []  # open, lent to no thread
        self._free = threading.BoundedSemaphore(POOL_SIZE)
        self._idle_lock = threading.Lock()
        self._local = threading.local()  # .db: the connection this thread holds, while it holds one
        if upgrade:  # False only for `python -m bot db upgrade`, which says what it ran
            self.upgrade()

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(settings.database, settings.db_synchronous, settings.db_busy_timeout)

    def schema_version(self) -> int:
        """The last migration step this database ran (0: none, or made before schema_version existed)."""
        with self._connection() as db:
            if not self._dialect.has_table(db, "schema_version"):
                return 0
            return db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]

    def upgrade(self) -> list[int]:
        """Run the migration steps this database has not run yet; the versions run (none when current)."""
        latest = MIGRATIONS[-1][0]
        if self.schema_version() >= latest:
            return []
        ran = []
        with self._connection() as db, self._dialect.migration_lock(db):
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                       " description TEXT NOT NULL, applied_at REAL NOT NULL)")
            (current,) = db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
            for version, description, script in MIGRATIONS:
                if version <= current:
                    continue
                if isinstance(script, dict):
                    script = script[self._dialect.name]
                for statement in self._dialect.ddl(script):
                    db.execute(statement)
                if version == 1:
                    self._add_answer_columns(db)
                db.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                           (version, description, time.time()))
                ran.append(version)
        return ran

    def _add_answer_columns(self, db) -> None:
        """The columns `answers` gained after its first release (SQLite files made before them)."""
        columns = self._dialect.columns(db, "answers")
        for column, definition in (("source", "TEXT NOT NULL DEFAULT 'triage'"), ("deleted", "INTEGER NOT NULL DEFAULT 0")):
            if column not in columns:
                db.execute(f"ALTER TABLE answers ADD COLUMN {column} {definition}")

    def close(self) -> None:
        """Close the connections no thread holds (the store opens new ones if used again)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for db in idle:
            self._dialect.close(db)

    def _connection(self) -> _Lent:
        return _Lent(self._lend, lambda db: not self._dialect.usable(db))

    def _lend(self) -> _Loan:
        """A block holding one of the pool's connections (`with self._lend() as db:`)."""
        return _Loan(self)

    def _give_back(self, db) -> None:
        try:
            if self._dialect.usable(db):
                self._dialect.rollback_open_transaction(db)  # a block that raised between BEGIN and COMMIT
        except STORE_ERRORS:
            pass
        if not self._dialect.usable(db):  # the server went away, or a rollback failed: a new one next time
            self._dialect.close(db)
            self.close()  # the idle ones talked to the same server: most likely dropped too
            return
        with self._idle_lock:
            self._idle.append(db)

    def ping(self) -> None:
        """Raise one of STORE_ERRORS unless the database answers, and is the one the service stores in
        (an SQLite file deleted or replaced under the open connections is not)."""
        self._connection().execute("SELECT count(*) FROM jobs WHERE id = 0")
        self._dialect.check()

    # -- jobs --------------------------------------------------------------------------------

    def enqueue(self, delivery_id: str, event: str, issue_key: str, payload: bytes) -> bool:
        """Store a delivery; False when this delivery id is already stored (a redelivery)."""
        now = time.time()
        with self._dialect.writer:  # SQLite: this process's threads one at a time (bot/database.py)
            cursor = self._connection().execute(
                "INSERT INTO jobs (delivery_id, event, issue_key, payload, run_after, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING",
                (delivery_id, event, issue_key, payload, now, now, now),
            )
        return cursor.rowcount == 1

    def claim(self, lease_seconds: float) -> Job | None:
        now = time.time()
        values = {"now": now, "lease_until": now + lease_seconds, "claim": uuid.uuid4().hex}
        with self._connection() as db:
            looks = (_NEXT_READY,)
            if db.execute(_ANY_EXPIRED, values).fetchone():  # rare: a worker died or hung
                db.execute(_ABANDON, {"now": now, "max_claims": MAX_CLAIMS,
                                      "error": f"abandoned: {MAX_CLAIMS} workers died or hung while running it"})
                looks = (_EXPIRED, _NEXT_READY)
            looks = tuple(look + self._dialect.lock_rows for look in looks)
            # Another worker may take the job between the look and the write; then look again.
            for _ in range(_CLAIM_TRIES):
                with self._dialect.transaction(db):
                    candidate = _first(db, looks, values)
                    if candidate is None:
                        return None
                    self._dialect.lock_issue(db, candidate[1])
                    row = db.execute(_CLAIM, {**values, "id": candidate[0]}).fetchone()
                if row:
                    return Job(*row[:4], bytes(row[4]), row[5], row[6])
        return None

    def extend(self, job: Job, lease_seconds: float) -> bool:
        """Keep a long job (sleeping through a rate limit) from being claimed by another worker."""
        return self._finish(job, "lease_until = ?", time.time() + lease_seconds)

    def complete(self, job: Job, result: str) -> bool:
        return self._finish(job, "status = 'done', result = ?, error = NULL, lease_until = NULL", result)

    def fail(self, job: Job, error: str) -> bool:
        return self._finish(job, "status = 'failed', error = ?, lease_until = NULL", error)

    def reschedule(self, job: Job, run_after: float, reason: str) -> bool:
        return self._finish(job, "status = 'pending', error = ?, run_after = ?, lease_until = NULL", reason, run_after)

    def _finish(self, job: Job, assignments: str, *values: object) -> bool:
        # Only the holder of the claim may change the job: if its lease ran out and another worker
        # took the job over, this worker's late answer must not overwrite the new owner's state.
        cursor = self._connection().execute(
            f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ? AND claim = ? AND status = 'running'",
            (*values, time.time(), job.id, job.claim),
        )
        return cursor.rowcount == 1

    def list_failed(self) -> list[FailedJob]:
        rows = self._connection().execute(
            "SELECT id, delivery_id, event, issue_key, attempts, coalesce(error, ''), updated_at"
            " FROM jobs WHERE status = 'failed' ORDER BY id"
        ).fetchall()
        return [FailedJob(*row) for row in rows]

    def retry(self, job_id: int | None = None) -> int:
        """Put one failed job (or all, with None) back in the queue; returns how many."""
        condition, values = ("id = ?", (job_id,)) if job_id is not None else ("TRUE", ())
        cursor = self._connection().execute(
            f"UPDATE jobs SET status = 'pending', run_after = ?, updated_at = ? WHERE status = 'failed' AND {condition}",
            (time.time(), time.time(), *values),
        )
        return cursor.rowcount

    def counts(self) -> dict[str, int]:
        rows = self._connection().execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall()
        return dict(rows)

    def prune(self, older_than: float) -> int:
        """Delete jobs finished (done or failed) more than ``older_than`` seconds ago, payloads and all;
        how many. What the bot remembers per issue (its answer, labels, notes, conversation) stays, so a
        later delivery for the issue still edits the one answer. Also forgets workers silent that
        long and dry-run records that old."""
        cutoff = time.time() - older_than
        db = self._connection()
        pruned = 0
        while True:
            deleted = db.execute(
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status IN ('done', 'failed')"
                " AND updated_at < ? LIMIT ?)", (cutoff, PRUNE_BATCH)).rowcount
            pruned += deleted
            if deleted < PRUNE_BATCH:
                break
        db.execute("DELETE FROM workers WHERE seen_at < ?", (cutoff,))
        db.execute("DELETE FROM dry_run_comments WHERE created_at < ?", (cutoff,))
        return pruned

    def job_status(self, delivery_id: str) -> tuple[str, str | None, str | None] | None:
        """(status, result, error) of a delivery's job, for tests and the jobs command."""
        return self._connection().execute(
            "SELECT status, result, error FROM jobs WHERE delivery_id = ?", (delivery_id,)
        ).fetchone()

    # -- answers ----------------------------------------------------------------------------

    def answer(self, issue_key: str) -> Answer | None:
        row = self._connection().execute(
            "SELECT comment_id, body, source, deleted FROM answers WHERE issue_key = ?", (issue_key,)
        ).fetchone()
        return Answer(row[0], row[1], row[2], bool(row[3])) if row else None

    def remember_answer(self, issue_key: str, comment_id: int, body: str, source: str = "triage") -> None:
        self._connection().execute(
            "INSERT INTO answers (issue_key, comment_id, body, source, deleted, updated_at) VALUES (?, ?, ?, ?, 0, ?)"
            " ON CONFLICT (issue_key) DO UPDATE SET comment_id = excluded.comment_id, body = excluded.body,"
            " source = excluded.source, deleted = 0, updated_at = excluded.updated_at",
            (issue_key, comment_id, body, source, time.time()),
        )

    def mark_answer_deleted(self, issue_key: str) -> None:
        self._connection().execute(
            "UPDATE answers SET deleted = 1, updated_at = ? WHERE issue_key = ?", (time.time(), issue_key)
        )

    def labels_not_to_add(self, issue_key: str) -> frozenset[str]:
        """Labels the bot added once (a person may have removed them since) or a person removed."""
        rows = self._connection().execute("SELECT label FROM issue_labels WHERE issue_key = ?", (issue_key,))
        return frozenset(label for (label,) in rows)

    def labels_added(self, issue_key: str) -> frozenset[str]:
        """Labels the bot itself added to the issue (a person's own labels are never among them)."""
        rows = self._connection().execute(
            "SELECT label FROM issue_labels WHERE issue_key = ? AND state = 'added'", (issue_key,))
        return frozenset(label for (label,) in rows)

    def remember_labels_added(self, issue_key: str, labels: tuple[str, ...]) -> None:
        with self._connection() as db:
            db.executemany(
                "INSERT INTO issue_labels (issue_key, label, state, updated_at) VALUES (?, ?, 'added', ?)"
                " ON CONFLICT (issue_key, label) DO NOTHING",
                [(issue_key, label, time.time()) for label in labels],
            )

    def remember_label_removed(self, issue_key: str, label: str) -> None:
        self._connection().execute(
            "INSERT INTO issue_labels (issue_key, label, state, updated_at) VALUES (?, ?, 'removed', ?)"
            " ON CONFLICT (issue_key, label) DO UPDATE SET state = 'removed', updated_at = excluded.updated_at",
            (issue_key, label, time.time()),
        )

    def note_posted(self, issue_key: str, note: str) -> bool:
        row = self._connection().execute(
            "SELECT 1 FROM notes WHERE issue_key = ? AND note = ?", (issue_key, note)
        ).fetchone()
        return row is not None

    def remember_note(self, issue_key: str, note: str) -> None:
        self._connection().execute(
            "INSERT INTO notes (issue_key, note, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (issue_key, note, time.time()),
        )

    def conversation(self, issue_key: str) -> Conversation:
        row = self._connection().execute(
            "SELECT waiting_for_environment, follow_ups, rules_answered FROM conversations WHERE issue_key = ?",
            (issue_key,),
        ).fetchone()
        return Conversation(bool(row[0]), row[1], frozenset(json.loads(row[2]))) if row else Conversation()

    def save_conversation(self, issue_key: str, conversation: Conversation) -> None:
        self._connection().execute(
            "INSERT INTO conversations (issue_key, waiting_for_environment, follow_ups, rules_answered, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (issue_key) DO UPDATE SET"
            " waiting_for_environment = excluded.waiting_for_environment, follow_ups = excluded.follow_ups,"
            " rules_answered = excluded.rules_answered, updated_at = excluded.updated_at",
            (issue_key, int(conversation.waiting_for_environment), conversation.follow_ups,
             json.dumps(sorted(conversation.rules_answered)), time.time()),
        )

    def author_inputs(self, issue_key: str) -> list[tuple[int, str]]:
        """(comment id, text) of the author's comments that added environment or errors, in order."""
        rows = self._connection().execute(
            "SELECT comment_id, body FROM author_inputs WHERE issue_key = ? ORDER BY comment_id", (issue_key,)
        )
        return [(comment_id, body) for comment_id, body in rows]

    def remember_author_input(self, issue_key: str, comment_id: int, body: str) -> None:
        self._connection().execute(
            "INSERT INTO author_inputs (issue_key, comment_id, body, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (issue_key, comment_id, body, time.time()),
        )

    # -- health ------------------------------------------------------------------------------

    def worker_alive(self, name: str) -> None:
        """A worker's sign of life (it calls this every few seconds while it runs)."""
        self._connection().execute(
            "INSERT INTO workers (name, seen_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
            (name, time.time()),
        )

    def queue_health(self) -> QueueHealth:
        now = time.time()
        db = self._connection()
        depth, oldest_ready = db.execute(
            "SELECT count(*), min(CASE WHEN status = 'pending' AND run_after <= :now THEN run_after END)"
            " FROM jobs WHERE status IN ('pending', 'running')", {"now": now}
        ).fetchone()
        (seen,) = db.execute("SELECT max(seen_at) FROM workers").fetchone()
        return QueueHealth(depth, now - oldest_ready if oldest_ready else 0.0, now - seen if seen else None)

    # -- pacing ------------------------------------------------------------------------------

    def reserve_write_slot(self, key: str, interval: float) -> float:
        """Reserve the next write for ``key`` (an installation or a token): the moment (epoch seconds)
        it may go out, at least ``interval`` after the one reserved before it by any process."""
        now = time.time()
        (next_at,) = self._connection().execute(
            "INSERT INTO write_slots (pace_key, next_at) VALUES (:key, :now + :interval)"
            " ON CONFLICT (pace_key) DO UPDATE SET next_at ="
            " CASE WHEN write_slots.next_at > :now THEN write_slots.next_at ELSE :now END + :interval"
            " RETURNING next_at", {"key": key, "now": now, "interval": interval},
        ).fetchone()
        return next_at - interval

    # -- dry run -----------------------------------------------------------------------------

    def record_dry_run(self, issue_key: str, action: str, body: str | None, labels: tuple[str, ...] = ()) -> int:
        (record,) = self._connection().execute(
            "INSERT INTO dry_run_comments (issue_key, action, body, labels, created_at) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id", (issue_key, action, body, json.dumps(list(labels)), time.time()),
        ).fetchone()
        return record

    def dry_run_records(self) -> list[tuple[str, str, str | None, tuple[str, ...]]]:
        rows = self._connection().execute(
            "SELECT issue_key, action, body, labels FROM dry_run_comments ORDER BY id"
        ).fetchall()
        return [(key, action, body, tuple(json.loads(labels))) for key, action, body, labels in rows]


def _first(db, looks: tuple[str, ...], values: dict) -> tuple | None:
    """The first row that one of these reads gives, tried in their order."""
    for look in looks:
        row = db.execute(look, values).fetchone()
        if row:
            return row
    return None
