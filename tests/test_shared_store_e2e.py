"""Two bot processes (each `python -m bot serve`: web front + worker) on one PostgreSQL, against the
fake GitHub, as two App Engine instances run: the work is shared and every issue is answered once.

Skipped, saying why, when FAQBOT_TEST_POSTGRES is unset (scripts/test sets it).
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.jobs import Store
from tests.conftest import NO_POSTGRES, POSTGRES, SECRET, TOKEN, postgres_schema
from tests.fakegithub import REPO, comment_payload, deliver, issue_payload

ROOT = Path(__file__).resolve().parent.parent
BURST = 1000
QUESTION = "How do I train on my own dataset? I am not sure which config to change."
COMMENTS = rf"/repos/{REPO}/issues/\d+/comments"

pytestmark = pytest.mark.skipif(not POSTGRES, reason=NO_POSTGRES)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Bot:
    """One `python -m bot serve` process on a port of its own, on the shared database."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.port, self.log = env, _free_port(), log
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        self.process: subprocess.Popen | None = None

    def start(self) -> Bot:
        # Its log goes to a file: a pipe nobody reads would fill and stop the bot mid-burst.
        with self.log.open("a") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(self.port)],
                                            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the bot did not start listening")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def shared(fake, tmp_path):
    """(store, two started bots) on a fresh PostgreSQL schema; both bots race to migrate it."""
    with postgres_schema() as url:
        env = {**os.environ, "FAQBOT_DB": url, "GITHUB_TOKEN": TOKEN, "GITHUB_WEBHOOK_SECRET": SECRET,
               "GITHUB_API_URL": fake.url, "FAQBOT_WRITE_INTERVAL": "0", "FAQBOT_LEASE_SECONDS": "3",
               "FAQBOT_RETRY_BASE_DELAY": "0.01", "FAQBOT_POLL_INTERVAL": "0.05", "FAQBOT_HTTP_TIMEOUT": "30",
               "FAQBOT_LOG_LEVEL": "WARNING"}
        bots = [Bot(env, tmp_path / "bot-1.log"), Bot(env, tmp_path / "bot-2.log")]
        starting = [threading.Thread(target=bot.start) for bot in bots]
        for thread in starting:
            thread.start()
        for thread in starting:
            thread.join()
        store = Store(url)
        try:
            yield store, bots
        finally:
            for bot in bots:
                bot.stop()
            store.close()


def settle(store: Store, timeout: float = 60) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = store.counts()
        if not counts.get("pending") and not counts.get("running"):
            return counts
        time.sleep(0.05)
    raise AssertionError(f"jobs still unfinished after {timeout} s: {store.counts()}")


def burst_delivery(n: int) -> tuple[str, dict]:
    """Delivery n of the burst: issue n opened with an FAQ error, every tenth an edit of an issue opened
    just before (which may reach a bot before the opening does)."""
    if n % 10 == 9:
        return f"burst-{n}", issue_payload("edited", body=issue_payload()["issue"]["body"] + "\n\nStill failing.",
                                           number=n - 4)
    return f"burst-{n}", issue_payload(number=n)


def test_a_burst_split_across_two_bots_redelivered_and_one_killed_is_answered_once_per_issue(shared, fake):
    store, bots = shared
    # Each delivery twice (GitHub's redelivery, or a duplicate), to one bot and then to the other, shuffled.
    sends = [(n, copy) for n in range(1, BURST + 1) for copy in (0, 1)]
    random.Random(11).shuffle(sends)
    sent = 0
    lock = threading.Lock()
    killed = threading.Event()
    refused: list[tuple] = []

    def send(item: tuple[int, int]) -> int:
        nonlocal sent
        n, copy = item
        delivery, payload = burst_delivery(n)
        first = bots[(n + copy) % 2]
        for bot in (first, bots[1 - bots.index(first)]) * 3:
            try:
                status, answer = deliver(bot.url, "issues", payload, SECRET, delivery)
            except (OSError, http.client.HTTPException):  # killed: GitHub shows it failed; it goes to the other
                continue
            if status in (200, 202):
                break
            refused.append((delivery, bots.index(bot), status, answer))
        else:
            raise AssertionError(f"{delivery}: no bot took it; {refused[-3:]}")
        with lock:
            sent += 1
            if sent == len(sends) // 3 and not killed.is_set():
                killed.set()
                bots[0].kill()  # mid-burst: its acknowledged deliveries and its running jobs must not be lost
                bots[0].start()  # the instance comes back, on the same database
        return status

    started = time.monotonic()
    with ThreadPoolExecutor(16) as senders:
        statuses = list(senders.map(send, sends))
    counts = settle(store, timeout=90)
    elapsed = time.monotonic() - started
    assert killed.is_set() and not refused, refused[:5]
    # Each stored once (202), its copy a duplicate (200); an answer the kill cut off was redelivered.
    assert set(statuses) <= {200, 202} and statuses.count(202) <= BURST
    assert counts == {"done": BURST}
    opened = [n for n in range(1, BURST + 1) if n % 10 != 9]
    answers = {n: fake.issue_comments(REPO, n) for n in opened}
    assert all(len(comments) == 1 for comments in answers.values()), \
        {n: len(comments) for n, comments in answers.items() if len(comments) != 1}
    # One comment per issue and none posted twice: a job the killed bot was running when it died was
    # taken over after its lease and found the comment it had already posted.
    assert len(fake.calls("POST", COMMENTS)) == len(opened)
    assert elapsed < 60, f"the burst took {elapsed:.0f} s"


def test_concurrent_deliveries_for_one_issue_on_two_bots_leave_one_comment(shared, fake):
    store, bots = shared
    issues = range(2001, 2011)
    # GitHub takes its time to create a comment: a second worker on the issue would look for the
    # answer meanwhile, find none, and post another.
    fake.fail("POST", COMMENTS, perform=True, before=0.3, times=len(issues) * 2)

    def at_once(first: tuple[str, callable], second: tuple[str, callable], phase: str) -> None:
        """For every issue, ``first`` to one bot and ``second`` to the other, all sent at the same moment."""
        start = threading.Barrier(2 * len(issues))

        def send(bot: Bot, event: str, payload: dict, delivery: str) -> int:
            start.wait()
            return deliver(bot.url, event, payload, SECRET, delivery)[0]

        with ThreadPoolExecutor(2 * len(issues)) as senders:
            sent = [senders.submit(send, bot, event, make(number), f"{phase}-{bot.port}-{number}")
                    for number in issues for bot, (event, make) in zip(bots, (first, second))]
            assert [future.result() for future in sent] == [202] * len(sent)
        settle(store)

    faq = ("issue_comment", lambda number: comment_payload("/faq", number=number))
    # The issue is opened with an FAQ error and a maintainer asks /faq at once: each alone would post.
    at_once(("issues", lambda number: issue_payload(number=number)), faq, "opened")
    assert {number: len(fake.issue_comments(REPO, number)) for number in issues} == dict.fromkeys(issues, 1)
    # The reporter edits the issue while a maintainer asks /faq again: both update the one answer.
    edited = issue_payload()["issue"]["body"] + "\n\nStill failing after reinstalling."
    at_once(("issues", lambda number: issue_payload("edited", body=edited, number=number)), faq, "edited")
    assert {number: len(fake.issue_comments(REPO, number)) for number in issues} == dict.fromkeys(issues, 1)
    assert store.counts() == {"done": 4 * len(issues)}
