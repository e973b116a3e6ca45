"""The job store's connections: a few per process, however many threads come and go.

werkzeug's threaded server (`python -m bot serve`) starts a thread per request. A connection per
thread left a file descriptor open on the database for every request thread; these tests count the
descriptors the process holds on the database file, the way an operator would see them.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from werkzeug.serving import make_server

from bot.app import create_app
from bot.jobs import POOL_SIZE, Store
from tests.conftest import SECRET
from tests.fakegithub import deliver, issue_payload

MOST_DESCRIPTORS = 8


def descriptors_on(path: str | Path) -> int:
    """How many of this process's open file descriptors point at the file ``path``."""
    target = os.path.realpath(path)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == target
        except OSError:  # closed while listing (the listing's own descriptor, among others)
            pass
    return count


class Watch:
    """Samples descriptors_on(path) in a thread until stopped; keeps the highest count seen."""

    def __init__(self, path: str | Path):
        self.path, self.most = path, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.most = max(self.most, descriptors_on(self.path))

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.most = max(self.most, descriptors_on(self.path))


def test_200_short_lived_threads_leave_no_descriptors_behind(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    store = Store(path)
    start = threading.Barrier(50)

    def deliver_one(n: int) -> None:
        if n < 50:
            start.wait()  # the first 50 all at once, as a burst of requests would come
        assert store.enqueue(f"d-{n}", "issues", f"o/r#{n}", b"{}")
        store.counts()

    with Watch(path) as watch:
        threads = [threading.Thread(target=deliver_one, args=(n,)) for n in range(200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert store.counts() == {"pending": 200}
    assert watch.most <= MOST_DESCRIPTORS, f"{watch.most} descriptors open on the database at once"
    assert descriptors_on(path) <= POOL_SIZE


def test_deliveries_to_the_threaded_server_leave_no_descriptors_behind(settings, fake):
    app = create_app(settings, start_worker=True)  # as `python -m bot serve` runs it: worker thread included
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.server_port}/webhook"
    try:
        with Watch(settings.db_path) as watch, ThreadPoolExecutor(16) as senders:
            statuses = list(senders.map(lambda n: deliver(url, "issues", issue_payload(number=n), SECRET)[0],
                                        range(1, 201)))
    finally:
        server.shutdown()
        app.extensions["faqbot"]["worker"].wake()
    assert statuses == [202] * 200
    assert watch.most <= MOST_DESCRIPTORS, f"{watch.most} descriptors open on the database at once"


def test_a_store_method_inside_a_block_uses_the_block_s_connection(tmp_path):
    # Every connection lent out, each holder calling another store method: nesting must not wait.
    store = Store(tmp_path / "jobs.sqlite3")
    all_lent = threading.Barrier(POOL_SIZE)

    def nested(n: int) -> bool:
        with store._connection() as db:
            all_lent.wait(timeout=5)
            db.execute("SELECT 1")
            return store.enqueue(f"d-{n}", "issues", f"o/r#{n}", b"{}")

    with ThreadPoolExecutor(POOL_SIZE) as pool:
        assert all(pool.map(nested, range(POOL_SIZE)))


def test_a_block_that_raises_gives_its_connection_back_without_its_transaction(tmp_path):
    store = Store(tmp_path / "jobs.sqlite3")
    try:
        with store._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO answers (issue_key, comment_id, body, updated_at) VALUES ('o/r#1', 1, 'x', 0)")
            raise RuntimeError("a bug between BEGIN and COMMIT")
    except RuntimeError:
        pass
    assert store.answer("o/r#1") is None
    store.remember_answer("o/r#1", 2, "y")  # the write lock was let go
    assert store.answer("o/r#1").comment_id == 2
