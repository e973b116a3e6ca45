"""The two databases the job store runs on, and the little that differs between them.

bot/jobs.py is one store, written once in SQL both understand (`?` and `:name` placeholders,
`ON CONFLICT` upserts, `RETURNING`). What each says differently lives here, in a `Dialect`:

| | SQLite (the embedded default: one machine) | PostgreSQL (every machine shares it) |
| --- | --- | --- |
| connecting | a file, WAL, `synchronous`, a busy timeout | libpq URL, autocommit, `statement_timeout` |
| placeholders | as written | `?` and `:name` become `%s` and `%(name)s` |
| column types | as written | INTEGER is BIGINT (GitHub's ids outgrew 32 bits), REAL is DOUBLE PRECISION, BLOB is BYTEA, AUTOINCREMENT is an identity |
| a claim's reads | plain: the one write lock orders the claims | `FOR UPDATE SKIP LOCKED`, in a transaction with the write |
| one issue's claims | the write lock | a transaction-scoped advisory lock on the issue key |
| migrations | `BEGIN IMMEDIATE` | a transaction holding an advisory lock |
| a process's threads storing deliveries | one at a time: a lock in the process (SQLite lets one connection write) | all at once |
| errors | sqlite3.Error | psycopg.Error |

`STORE_ERRORS` is what the web front, the worker and the metrics catch as "the database failed".
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache

from bot.settings import DatabaseUrl

try:
    import psycopg
except ImportError:  # pragma: no cover - requirements.txt installs it; SQLite needs none of it
    psycopg = None

STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,) + ((psycopg.Error,) if psycopg else ())
# The key of the advisory lock that serialises migrations (any number: the same in every process).
_MIGRATION_LOCK = 0x66617162  # "faqb"


def dialect_for(database: DatabaseUrl, synchronous: str = "NORMAL", busy_timeout: float = 10.0) -> Dialect:
    if database.kind == "postgresql":
        return Postgres(database, busy_timeout)
    return Sqlite(database, synchronous, busy_timeout)


def statements(script: str) -> list[str]:
    """A schema script's statements, comments taken out (a comment may hold a semicolon)."""
    text = re.sub(r"--[^\n]*", "", script)
    return [statement.strip() for statement in text.split(";") if statement.strip()]


class Dialect:
    name = ""
    lock_rows = ""  # appended to a claim's reads: lock the row found, pass over rows others hold

    def __init__(self, database: DatabaseUrl, busy_timeout: float):
        self.database = database
        self.busy_timeout = busy_timeout
        # Held around storing a delivery (`with dialect.writer:`), by the many threads of a web process.
        self.writer = nullcontext()

    def connect(self):
        raise NotImplementedError

    def close(self, db) -> None:
        db.close()

    def usable(self, db) -> bool:
        """Whether a connection may go back to the pool after a block (a broken one is closed instead)."""
        return True

    def rollback_open_transaction(self, db) -> None:
        raise NotImplementedError

    def transaction(self, db):
        """A block whose statements commit together (a claim's read and write)."""
        return nullcontext()

    def lock_issue(self, db, issue_key: str) -> None:
        """Until the transaction ends, no other claim of this issue's jobs goes on."""

    @contextmanager
    def migration_lock(self, db) -> Iterator[None]:
        raise NotImplementedError
        yield

    def ddl(self, script: str) -> list[str]:
        return statements(script)

    def has_table(self, db, table: str) -> bool:
        raise NotImplementedError

    def columns(self, db, table: str) -> set[str]:
        raise NotImplementedError

    def error(self, message: str) -> Exception:
        raise NotImplementedError

    def check(self) -> None:
        """Raise one of STORE_ERRORS when the database answers but is not the one the service stores in."""


class Sqlite(Dialect):
    name = "sqlite"

    def __init__(self, database: DatabaseUrl, synchronous: str, busy_timeout: float):
        super().__init__(database, busy_timeout)
        self.path = database.path
        # NORMAL (with WAL): an acknowledged delivery survives any crash of the process, SIGKILL
        # included; FULL also survives a power cut, at an fsync per delivery.
        self.synchronous = synchronous
        self._file: tuple[int, int] | None = None
        self.writer = _OneWriter(busy_timeout, self.error)

    def connect(self) -> sqlite3.Connection:
        # timeout=0: no SQLite busy handler; _Connection waits for another writer itself, in finer steps.
        db = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False,
                             factory=_Connection)
        db.waits_up_to = self.busy_timeout
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self.synchronous}")
        if self._file is None:
            self._file = _identity(self.path)
        return db

    def rollback_open_transaction(self, db: sqlite3.Connection) -> None:
        if db.in_transaction:  # a block that raised between BEGIN and COMMIT
            db.rollback()

    @contextmanager
    def migration_lock(self, db: sqlite3.Connection) -> Iterator[None]:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.rollback()
            raise
        db.execute("COMMIT")

    def has_table(self, db, table: str) -> bool:
        return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None

    def columns(self, db, table: str) -> set[str]:
        return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}

    def error(self, message: str) -> Exception:
        return sqlite3.OperationalError(message)

    def check(self) -> None:
        """Open connections keep answering from a file deleted or replaced under them, and deliveries
        stored there would be gone at the next start: that is no healthy service either."""
        try:
            same = _identity(self.path) == self._file
        except OSError as error:
            raise sqlite3.OperationalError(f"database file {self.path}: {error.strerror}") from None
        if not same:
            raise sqlite3.OperationalError(f"database file {self.path} was replaced under the open connections")


class _Connection(sqlite3.Connection):
    """An SQLite connection that waits for another connection's write lock in short steps.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15 ms... between tries, so a statement that met
    another process's write of a tenth of a millisecond (the worker's, or the other web process's
    insert) waited a millisecond or more, and with it every delivery queued behind it. Here a
    statement run outside a transaction (all the store's single statements, and the BEGIN of a
    block) is tried again after 0.1 ms, then after twice as long each time up to 5 ms, for at most
    ``waits_up_to`` seconds (FAQBOT_DB_BUSY_TIMEOUT), and then fails as SQLite's timeout did. Inside
    a transaction it fails at once, as SQLite asks (the transaction must be rolled back first).
    """

    waits_up_to = 5.0

    def execute(self, sql: str, parameters=()):
        return self._waiting(super().execute, sql, parameters)

    def executemany(self, sql: str, rows):
        return self._waiting(super().executemany, sql, list(rows))  # a list: it may go through them again

    def _waiting(self, run, sql: str, parameters):
        deadline, pause = None, 0.0001
        while True:
            try:
                return run(sql, parameters)
            except sqlite3.OperationalError as error:
                if not _busy(error) or self.in_transaction:
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.waits_up_to
                elif now >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.005)


def _busy(error: sqlite3.OperationalError) -> bool:
    """Another connection holds the lock this statement needs (SQLITE_BUSY and its extended codes)."""
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


class _OneWriter:
    """SQLite lets one connection write at a time, and a connection that finds the write lock taken
    backs off in its busy handler and tries again. The threads of one process that store
    deliveries at once (gunicorn's 16 per process) queue here for their insert instead. With 16
    threads calling the web front in one process, colliding inside SQLite cost 18 context switches
    per delivery against 4 with this lock, and 0.70 against 0.49 ms of CPU; under gunicorn, 5-7% of
    the web front's CPU. Waits at most ``timeout`` seconds, then fails as SQLite's busy timeout
    does (the web front answers 503); the insert then waits for other processes as before."""

    __slots__ = ("_lock", "_timeout", "_error")

    def __init__(self, timeout: float, error):
        self._lock = threading.Lock()
        self._timeout, self._error = timeout, error

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=self._timeout):
            raise self._error(f"another thread of this process kept storing for {self._timeout:.0f} s")

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class Postgres(Dialect):
    name = "postgresql"
    lock_rows = " FOR UPDATE SKIP LOCKED"

    def __init__(self, database: DatabaseUrl, busy_timeout: float):
        if psycopg is None:  # pragma: no cover
            raise RuntimeError("FAQBOT_DB is a PostgreSQL URL but psycopg is not installed: pip install -r "
                               "requirements.txt")
        super().__init__(database, busy_timeout)

    def connect(self) -> _PgConnection:
        options = {"autocommit": True, "application_name": "faq-bot"}
        given = _conninfo(self.database)
        if "connect_timeout" not in given:
            options["connect_timeout"] = max(2, round(self.busy_timeout))
        try:
            raw = psycopg.connect(self.database.url, **options)
        except psycopg.Error as error:
            # libpq quotes what it could not parse (a badly escaped password, say): never the password.
            raise type(error)(self.database.scrub(str(error))) from None
        # A statement that waits longer than this for a lock fails (the web front answers 503, the
        # worker backs off) instead of holding a delivery past GitHub's 10 s.
        raw.execute(f"SET statement_timeout = {max(1, round(self.busy_timeout * 1000))}")
        return _PgConnection(raw)

    def close(self, db: _PgConnection) -> None:
        db.raw.close()

    def usable(self, db: _PgConnection) -> bool:
        return not db.raw.closed and not db.raw.broken

    def rollback_open_transaction(self, db: _PgConnection) -> None:
        if not db.raw.closed and db.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            db.raw.rollback()

    def transaction(self, db: _PgConnection):
        return db.raw.transaction()

    def lock_issue(self, db: _PgConnection, issue_key: str) -> None:
        db.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (issue_key,))

    @contextmanager
    def migration_lock(self, db: _PgConnection) -> Iterator[None]:
        # Every process that starts migrates: the first one does the work, the others wait and find it done.
        with db.raw.transaction():
            db.execute(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            yield

    def ddl(self, script: str) -> list[str]:
        for sqlite_type, postgres_type in _POSTGRES_TYPES:
            script = re.sub(sqlite_type, postgres_type, script)
        return statements(script)

    def has_table(self, db, table: str) -> bool:
        return db.execute("SELECT to_regclass(?) IS NOT NULL", (table,)).fetchone()[0]

    def columns(self, db, table: str) -> set[str]:
        rows = db.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                          " AND table_name = ?", (table,))
        return {name for (name,) in rows}

    def error(self, message: str) -> Exception:
        return psycopg.OperationalError(message)


_POSTGRES_TYPES = (
    (r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (r"\bINTEGER\b", "BIGINT"),
    (r"\bREAL\b", "DOUBLE PRECISION"),
    (r"\bBLOB\b", "BYTEA"),
)


class _PgConnection:
    """A psycopg connection that takes the store's SQL as written for SQLite (its placeholders)."""

    def __init__(self, raw):
        self.raw = raw

    def execute(self, sql: str, parameters: tuple | dict = ()):
        return self.raw.execute(_postgres_sql(sql), parameters)

    def executemany(self, sql: str, rows) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(_postgres_sql(sql), rows)


_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|(?<!:):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=512)
def _postgres_sql(sql: str) -> str:
    """`?` -> `%s`, `:name` -> `%(name)s`, `%` -> `%%`, leaving quoted literals' text alone."""

    def swap(match: re.Match) -> str:
        token = match[0]
        if token.startswith("'"):
            return token.replace("%", "%%")
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({match[1]})s"

    return _TOKENS.sub(swap, sql)


def _conninfo(database: DatabaseUrl) -> dict:
    try:
        return psycopg.conninfo.conninfo_to_dict(database.url)
    except psycopg.Error as error:
        raise type(error)(database.scrub(str(error))) from None


def _identity(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino
