"""What a store shared by many processes adds: FAQBOT_DB as a URL whose password is never shown,
migrations, pacing shared by every worker, and retention. Each runs on SQLite and on PostgreSQL
where it takes ``database`` (tests/conftest.py)."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.database import STORE_ERRORS
from bot.github import Pacer
from bot.jobs import MIGRATIONS, Store
from bot.settings import DatabaseUrl, Settings, SettingsError
from bot.worker import Worker
from tests.botservice import run_service
from tests.conftest import POSTGRES
from tests.fakegithub import REPO, issue_payload

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pa55-w0rd-never-shown"


# -- FAQBOT_DB ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value, kind, path", [
    ("faqbot.sqlite3", "sqlite", "faqbot.sqlite3"),
    ("/var/lib/faq-bot/db.sqlite3", "sqlite", "/var/lib/faq-bot/db.sqlite3"),
    ("sqlite:///relative.sqlite3", "sqlite", "relative.sqlite3"),
    ("sqlite:////var/lib/faq-bot/db.sqlite3", "sqlite", "/var/lib/faq-bot/db.sqlite3"),
    (f"postgresql://faqbot:{PASSWORD}@db.internal:5432/faqbot", "postgresql", ""),
    ("postgres://faqbot@/faqbot?host=/cloudsql/project:region:instance", "postgresql", ""),
])
def test_faqbot_db_is_a_path_or_a_url(value, kind, path):
    database = DatabaseUrl.parse(value)
    assert (database.kind, database.path, database.url) == (kind, path, value)
    assert Settings.from_env({"FAQBOT_DB": value}).database == database


def test_the_password_is_masked_wherever_the_url_is_shown():
    url = f"postgresql://faqbot:{PASSWORD}@db.internal:5432/faqbot?sslmode=require"
    database = DatabaseUrl.parse(url)
    assert str(database) == database.masked == "postgresql://faqbot:***@db.internal:5432/faqbot?sslmode=require"
    assert PASSWORD not in repr(database) and PASSWORD not in repr(Settings(db_path=url))
    assert PASSWORD not in repr(Settings.from_env({"FAQBOT_DB": url}))
    in_query = DatabaseUrl.parse(f"postgresql://faqbot@/faqbot?host=/cloudsql/p:r:i&password={PASSWORD}")
    assert PASSWORD not in str(in_query) and str(in_query).endswith("password=***")
    assert database.scrub(f"could not parse {PASSWORD!r} in {url}") == f"could not parse '***' in {database.masked}"


def test_an_unknown_scheme_is_refused_without_showing_the_password():
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"FAQBOT_DB": f"mysql://faqbot:{PASSWORD}@db/faqbot"})
    assert "mysql" in str(refused.value) and PASSWORD not in str(refused.value)


def _bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


def test_a_database_that_refuses_the_password_is_named_masked():
    # Nothing listens on port 1: the connection fails, and the message must not carry the password.
    url = f"postgresql://faqbot:{PASSWORD}@127.0.0.1:1/faqbot?connect_timeout=2"
    done = _bot("jobs", env={"FAQBOT_DB": url})
    assert done.returncode == 2 and "error: database postgresql://faqbot:***@127.0.0.1:1/faqbot" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def test_a_badly_escaped_password_is_not_quoted_back():
    bad = "p%zzsecret-" + PASSWORD  # libpq quotes a token it cannot decode
    with pytest.raises(STORE_ERRORS) as refused:
        Store(f"postgresql://faqbot:{bad}@127.0.0.1:1/faqbot")
    assert "secret-" not in str(refused.value)


def test_the_startup_line_and_logs_show_the_database_masked(settings, caplog):
    if not POSTGRES:
        pytest.skip("needs FAQBOT_TEST_POSTGRES")
    from tests.conftest import postgres_schema

    caplog.set_level(logging.INFO)
    with postgres_schema() as url:
        masked_url = url.replace("faqbot@", f"faqbot:{PASSWORD}@", 1)  # trust auth: any password does
        for service in run_service(dataclasses.replace(settings, db_path=masked_url)):
            service.send("issues", issue_payload(), "d-1")
            service.settle()
        service.store.close()
    assert "faqbot:***@" in caplog.text and PASSWORD not in caplog.text


# -- migrations --------------------------------------------------------------------------------


def test_migrations_run_once_and_db_upgrade_says_so(database):
    env = {"FAQBOT_DB": database}
    first = _bot("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    latest = MIGRATIONS[-1][0]
    assert "ran migration 1: " in first.stdout and f"schema at version {latest} (was 0)" in first.stdout
    again = _bot("db", "upgrade", env=env)
    assert again.returncode == 0 and "ran migration" not in again.stdout and "(already current)" in again.stdout
    store = Store(database)
    assert store.schema_version() == latest and store.upgrade() == []
    store.close()


def test_processes_starting_together_migrate_once(database):
    stores, errors = [], []

    def start():
        try:
            stores.append(Store(database))
        except Exception as error:  # noqa: BLE001 - the test reports it
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(stores) == 6
    assert stores[0].enqueue("d-1", "issues", "o/r#1", b"{}")
    rows = stores[0]._connection().execute("SELECT version FROM schema_version").fetchall()
    assert [version for (version,) in rows] == [version for version, _, _ in MIGRATIONS]
    for store in stores:
        store.close()


def test_a_github_comment_id_beyond_32_bits_is_kept(database):
    store = Store(database)
    store.remember_answer("o/r#1", 3_456_789_012, "answer")
    assert store.answer("o/r#1").comment_id == 3_456_789_012
    store.close()


# -- pacing across workers ---------------------------------------------------------------------


def test_writes_for_one_key_are_paced_across_processes(database):
    # Two "processes" (a store and a pacer each) writing for one installation: together, never closer
    # than the interval; another installation is not held up by them.
    interval, writes = 0.05, 6
    stores = [Store(database), Store(database)]
    moments: dict[str, list[float]] = {"installation:1": [], "installation:2": []}
    lock = threading.Lock()

    def write(store: Store, key: str) -> None:
        pacer = Pacer(interval, store)
        for _ in range(writes):
            pacer.wait(key)
            with lock:
                moments[key].append(time.time())

    threads = [threading.Thread(target=write, args=(store, "installation:1")) for store in stores]
    threads.append(threading.Thread(target=write, args=(stores[0], "installation:2")))
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shared = sorted(moments["installation:1"])
    assert len(shared) == 2 * writes
    gaps = [later - earlier for earlier, later in zip(shared, shared[1:])]
    assert min(gaps) >= interval * 0.8, gaps  # sleep's own jitter aside
    assert shared[-1] - started >= (2 * writes - 1) * interval * 0.95
    assert max(moments["installation:2"]) - started < (2 * writes - 1) * interval  # its own pace only
    for store in stores:
        store.close()


def test_without_a_store_a_pacer_keeps_the_pace_in_its_process():
    pacer = Pacer(0.05)
    started = time.monotonic()
    for _ in range(4):
        pacer.wait("token:x")
    assert time.monotonic() - started >= 0.15
    assert Pacer(0).wait("anything") is None


# -- retention ---------------------------------------------------------------------------------


def test_finished_jobs_are_pruned_and_what_the_bot_answered_is_kept(database):
    store = Store(database)
    for number in (1, 2, 3):
        store.enqueue(f"d-{number}", "issues", f"o/r#{number}", b"x" * 10_000)
    store.complete(store.claim(60), "posted comment 7")
    store.fail(store.claim(60), "GitHub said 410")
    store.remember_answer("o/r#1", 7, "the answer")
    store.remember_labels_added("o/r#1", ("faq",))
    store.worker_alive("gone-host:1")
    assert store.prune(older_than=3600) == 0  # finished just now: kept
    time.sleep(0.05)
    assert store.prune(older_than=0.01) == 2
    assert store.job_status("d-1") is None and store.job_status("d-2") is None
    assert store.job_status("d-3") == ("pending", None, None)  # unfinished work is never pruned
    assert store.answer("o/r#1").comment_id == 7 and store.labels_not_to_add("o/r#1") == {"faq"}
    assert store.queue_health().worker_seen_age is None  # the silent worker's row went too
    assert store.enqueue("d-1", "issues", "o/r#1", b"{}")  # an old delivery id is new again
    store.close()


def test_pruning_works_through_a_backlog_in_batches(database, monkeypatch):
    monkeypatch.setattr("bot.jobs.PRUNE_BATCH", 7)
    store = Store(database)
    for number in range(30):
        store.enqueue(f"d-{number}", "issues", f"o/r#{number}", b"{}")
        store.complete(store.claim(60), "ok")
    time.sleep(0.05)
    assert store.prune(older_than=0.01) == 30 and store.counts() == {}
    store.close()


def test_the_worker_prunes_at_start_and_a_later_delivery_edits_the_one_answer(settings, fake):
    edited = issue_payload("edited", body=issue_payload()["issue"]["body"] + "\n\nStill failing after pip install.")
    for service in run_service(settings):
        service.send("issues", issue_payload(), "d-open")
        service.settle()
        [answer] = fake.issue_comments(REPO, 1)
        time.sleep(0.05)
        # A worker started with a retention this short prunes the finished job as it starts.
        short = dataclasses.replace(settings, retention_days=0.01 / 86400)
        worker = Worker(short, Store(settings.db_path), service.worker.rules)
        stop = worker.start_thread()
        deadline = time.monotonic() + 5
        while service.store.job_status("d-open") is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        assert service.store.job_status("d-open") is None
        service.send("issues", edited, "d-edit")
        service.settle()
    [still] = fake.issue_comments(REPO, 1)
    assert still["id"] == answer["id"]
    assert len(fake.calls("POST", rf"/repos/{REPO}/issues/1/comments")) == 1


def test_connections_the_server_dropped_are_replaced_without_an_error(database):
    # A PostgreSQL restart or failover (Cloud SQL maintenance) closes every pooled connection: the
    # next statements must not fail for it, or the web front would answer 503 to deliveries.
    if not database.startswith("postgresql"):
        pytest.skip("an SQLite file has no server to drop connections")
    store = Store(database)
    with ThreadPoolExecutor(4) as pool:  # several connections in the pool
        list(pool.map(lambda n: store.enqueue(f"d-{n}", "issues", f"o/r#{n}", b"{}"), range(8)))
    import psycopg

    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE application_name = 'faq-bot' AND pid <> pg_backend_pid()")
    for n in range(8, 20):
        assert store.enqueue(f"d-{n}", "issues", f"o/r#{n}", b"{}")
    assert store.counts() == {"pending": 20}
    store.close()
