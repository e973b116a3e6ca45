"""The durable job store: redelivery, claims and leases, failure and retry, per-issue memory.

Each test that takes ``store`` or ``database`` runs on SQLite and on PostgreSQL (tests/conftest.py).
"""

import sqlite3
import threading
import time

import pytest

from bot.jobs import MAX_CLAIMS, Answer, Store


@pytest.fixture
def store(database):
    store = Store(database)
    yield store
    store.close()


def test_redelivery_is_stored_once(store):
    assert store.enqueue("d-1", "issues", "o/r#1", b"{}") is True
    assert store.enqueue("d-1", "issues", "o/r#1", b"{}") is False
    assert store.counts() == {"pending": 1}


def test_claimed_job_is_not_claimed_twice(store):
    store.enqueue("d-1", "issues", "o/r#1", b"{}")
    job = store.claim(lease_seconds=60)
    assert job.delivery_id == "d-1" and job.payload == b"{}" and not job.recovering
    assert store.claim(lease_seconds=60) is None


def test_job_of_a_dead_worker_is_claimed_again_after_its_lease(store):
    store.enqueue("d-1", "issues", "o/r#1", b"{}")
    first = store.claim(lease_seconds=0.05)
    time.sleep(0.1)
    second = store.claim(lease_seconds=60)
    assert second.id == first.id and second.recovering
    # The dead worker's late answer must not clobber the new owner's claim.
    assert store.complete(first, "late") is False
    assert store.complete(second, "posted") is True
    assert store.job_status("d-1") == ("done", "posted", None)


def test_poison_job_is_failed_after_too_many_dead_workers(store):
    store.enqueue("d-1", "issues", "o/r#1", b"{}")
    for _ in range(MAX_CLAIMS):
        assert store.claim(lease_seconds=0.01) is not None
        time.sleep(0.02)
    assert store.claim(lease_seconds=60) is None
    assert "abandoned" in store.list_failed()[0].error


def test_jobs_of_one_issue_run_in_delivery_order(store):
    store.enqueue("opened", "issues", "o/r#1", b"1")
    store.enqueue("edited", "issues", "o/r#1", b"2")
    store.enqueue("other", "issues", "o/r#2", b"3")
    first = store.claim(60)
    assert first.delivery_id == "opened"
    assert store.claim(60).delivery_id == "other"  # o/r#1's edit waits for its opening
    assert store.claim(60) is None
    store.complete(first, "posted")
    assert store.claim(60).delivery_id == "edited"


def test_failed_job_is_listed_and_retried(store):
    store.enqueue("d-1", "issues", "o/r#1", b"{}")
    store.enqueue("d-2", "issues", "o/r#2", b"{}")
    for _ in range(2):
        store.fail(store.claim(60), "GitHub said 404 Not Found")
    failed = store.list_failed()
    assert [job.delivery_id for job in failed] == ["d-1", "d-2"]
    assert failed[0].error == "GitHub said 404 Not Found"
    assert store.retry(failed[0].id) == 1
    job = store.claim(60)
    assert job.delivery_id == "d-1" and job.recovering
    assert store.retry() == 1  # --all: the one still failed
    assert store.retry(12345) == 0


def test_rescheduled_job_waits_until_its_time(store):
    store.enqueue("d-1", "issues", "o/r#1", b"{}")
    store.reschedule(store.claim(60), time.time() + 0.2, "rate limited")
    assert store.claim(60) is None
    time.sleep(0.25)
    assert store.claim(60).delivery_id == "d-1"


def test_concurrent_claims_never_share_a_job(database):
    path = database
    store = Store(path)
    for n in range(200):
        store.enqueue(f"d-{n}", "issues", f"o/r#{n}", b"{}")
    claimed: list[str] = []
    run_workers(path, lambda job: claimed.append(job.delivery_id))
    assert sorted(claimed) == sorted(f"d-{n}" for n in range(200))


def run_workers(path, run, workers: int = 4) -> None:
    """Workers in threads, each claiming with a store of its own (as another process would), running
    each job with ``run`` and completing it, until none is left."""

    def work():
        mine = Store(path)
        while (job := mine.claim(60)) is not None:
            run(job)
            mine.complete(job, "ok")
        mine.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_answer_memory(store):
    assert store.answer("o/r#1") is None
    store.remember_answer("o/r#1", 42, "text")
    store.remember_answer("o/r#1", 42, "new text", "maintainer")
    assert store.answer("o/r#1") == Answer(42, "new text", "maintainer", deleted=False)
    store.mark_answer_deleted("o/r#1")
    assert store.answer("o/r#1").deleted
    store.remember_answer("o/r#1", 43, "posted anew")
    assert store.answer("o/r#1") == Answer(43, "posted anew", "triage", deleted=False)


def test_labels_the_bot_added_or_a_person_removed_are_never_added_again(store):
    store.remember_labels_added("o/r#1", ("faq", "installation"))
    store.remember_label_removed("o/r#1", "installation")
    store.remember_label_removed("o/r#1", "usage")
    assert store.labels_not_to_add("o/r#1") == {"faq", "installation", "usage"}
    assert store.labels_not_to_add("o/r#2") == frozenset()


def test_notes_are_remembered_per_issue(store):
    store.remember_note("o/r#1", "unknown-rule:segfalt")
    store.remember_note("o/r#1", "unknown-rule:segfalt")
    assert store.note_posted("o/r#1", "unknown-rule:segfalt") and not store.note_posted("o/r#2", "unknown-rule:segfalt")


def test_a_database_from_the_earlier_schema_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE answers (issue_key TEXT PRIMARY KEY, comment_id INTEGER NOT NULL, body TEXT NOT NULL,"
                   " labels_added TEXT NOT NULL DEFAULT '[]', updated_at REAL NOT NULL)")
        db.execute("INSERT INTO answers VALUES ('o/r#1', 7, 'old answer', '[]', 0)")
    assert Store(path).answer("o/r#1") == Answer(7, "old answer", "triage", deleted=False)


def test_concurrent_workers_keep_each_issue_in_delivery_order(database):
    # The claim looks for its job first and takes it after: between the two, another worker may
    # take it, or finish the job ahead of it. Neither may let a job of an issue overtake another.
    path = database
    store = Store(path)
    for n in range(240):
        store.enqueue(f"d-{n}", "issues", f"o/r#{n % 12}", str(n).encode())
    running: set[str] = set()
    order: dict[str, list[int]] = {}
    lock = threading.Lock()
    broken: list[str] = []

    def run(job):
        with lock:
            if job.issue_key in running:
                broken.append(f"two jobs of {job.issue_key} at once")
            running.add(job.issue_key)
            order.setdefault(job.issue_key, []).append(int(job.payload))
        time.sleep(0.0005)
        with lock:
            running.discard(job.issue_key)

    run_workers(path, run)
    assert not broken
    assert order == {f"o/r#{i}": list(range(i, 240, 12)) for i in range(12)}


def test_a_retried_earlier_job_runs_before_a_later_one_whose_lease_ran_out(store):
    store.enqueue("opened", "issues", "o/r#1", b"1")
    store.enqueue("edited", "issues", "o/r#1", b"2")
    store.fail(store.claim(60), "GitHub said 502")
    store.claim(lease_seconds=0.05)  # "edited" starts, and its worker dies
    assert store.retry() == 1  # "opened" is queued again
    time.sleep(0.1)
    first = store.claim(60)
    assert first.delivery_id == "opened"
    assert store.claim(60) is None  # "edited" waits for it, lease run out or not
    store.complete(first, "posted")
    second = store.claim(60)
    assert second.delivery_id == "edited" and second.recovering


def test_a_claim_that_finds_nothing_does_not_wait_for_the_write_lock(tmp_path):
    # An idle worker looks every poll interval: looking must not queue behind (or hold up) enqueues.
    path = tmp_path / "jobs.sqlite3"
    store = Store(path)
    store.enqueue("d-1", "issues", "o/r#1", b"{}")
    store.complete(store.claim(60), "ok")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        started = time.monotonic()
        assert store.claim(60) is None
        assert time.monotonic() - started < 1
    finally:
        writer.rollback()
        writer.close()


def test_no_job_starts_while_another_of_its_issue_runs(store):
    # A failed earlier job retried while a later one runs waits for it: two jobs of one issue never run at once.
    store.enqueue("opened", "issues", "o/r#1", b"1")
    store.enqueue("edited", "issues", "o/r#1", b"2")
    store.fail(store.claim(60), "GitHub said 502")
    edited = store.claim(60)
    assert edited.delivery_id == "edited"
    assert store.retry() == 1
    assert store.claim(60) is None  # "opened" waits while "edited" runs
    store.complete(edited, "posted")
    assert store.claim(60).delivery_id == "opened"


def test_an_earlier_delivery_stored_late_does_not_run_beside_a_later_one(database):
    # On PostgreSQL an insert may commit after a later one's (two web processes at the same moment):
    # the later job is claimed first, and the earlier one must wait until it is done.
    if not database.startswith("postgresql"):
        pytest.skip("SQLite commits inserts in id order: one write lock")
    import psycopg

    store = Store(database)
    with psycopg.connect(database) as late:  # not autocommit: its insert stays uncommitted
        late.execute("INSERT INTO jobs (delivery_id, event, issue_key, payload, run_after, created_at, updated_at)"
                     " VALUES ('opened', 'issues', 'o/r#1', '\\x31', 0, 0, 0)")
        store.enqueue("edited", "issues", "o/r#1", b"2")
        edited = store.claim(60)
        assert edited.delivery_id == "edited"
        late.commit()
    assert store.claim(60) is None
    store.complete(edited, "posted")
    assert store.claim(60).delivery_id == "opened"
    store.close()
