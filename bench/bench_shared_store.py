"""Shared-store benchmark: the bot on SQLite (one instance) and on PostgreSQL (one and two instances),
with 1 to N workers per instance, each against the same 1,000-delivery burst.

An *instance* is what one machine (or one App Engine instance) runs: `gunicorn -c gunicorn.conf.py
'bot.app:create_app()'` with FAQBOT_WEB_PROCESSES=1, plus W `python -m bot worker` processes beside
it, on the shared database. Two instances are two such sets on other ports, the deliveries split
between them in turn. All answer on one fake GitHub (tests/fakegithub.py, a process of its own) with
pacing off (FAQBOT_WRITE_INTERVAL=0), so the figures are the bot's and its database's, not GitHub's.

Each configuration gets a fresh database, a warm-up that is not counted (sent, then drained), then the
burst from 32 concurrent senders, each delivery on a new connection as GitHub sends them. Measured:
deliveries per second accepted (first send to last acknowledgement, workers running meanwhile) and
the time from the first send until every job of the burst is done.

    .venv/bin/python bench/bench_shared_store.py [--deliveries 1000] [--workers 1,2,4] [--rounds 1]

PostgreSQL: $FAQBOT_BENCH_POSTGRES (a server it may create databases on), else a throwaway cluster
started with scripts/throwaway-postgres (with fsync, which the tests' cluster goes without)
and stopped at the end. Each database gets --pg-synchronous-commit: `on` (PostgreSQL's default, an
acknowledged delivery survives a power cut, like FAQBOT_DB_SYNCHRONOUS=FULL) or `off` (it survives any
crash of the bot, like SQLite's NORMAL, the bot's default). Loopback only; bounded sends.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_webhook import (  # noqa: E402
    GUNICORN, PROGRESS, SECRET, TOKEN, free_port, prepared, send, start, stop, wait_listening)
from bot.jobs import Store  # noqa: E402


@dataclass
class Outcome:
    store: str
    instances: int
    workers: int  # per instance
    accepted_per_second: float
    answered_after: float  # seconds from the first send until every job is done
    not_202: int
    done: int


def send_burst(ports: list[int], senders: int, numbers: range, label: str) -> tuple[float, int, float]:
    """(seconds until the last acknowledgement, deliveries not answered 202, when the burst began)."""
    from concurrent.futures import ThreadPoolExecutor

    requests = [(ports[i % len(ports)], prepared(n)) for i, n in enumerate(numbers)]
    PROGRESS.show(f"{label}: sending {len(requests)}")
    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        results = list(pool.map(lambda item: send(*item), requests))
    last_ack = max(ended for _, _, ended in results)
    return last_ack - started, sum(status != 202 for status, _, _ in results), started


def wait_done(store: Store, expected: int, label: str, timeout: float = 600) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        counts = store.counts()
        if counts.get("done", 0) + counts.get("failed", 0) >= expected:
            return time.perf_counter()
        PROGRESS.show(f"{label}: {counts}")
        time.sleep(0.02)
    raise SystemExit(f"{label}: jobs still unanswered after {timeout} s: {store.counts()}")


def measure(database: str, kind: str, instances: int, workers: int, args, fake_url: str) -> Outcome:
    label = f"{kind}, {instances} instance(s) x {workers} worker(s)"
    store = Store(database)  # the schema, before the processes start
    processes: list[subprocess.Popen] = []
    ports = []
    try:
        for _ in range(instances):
            port = free_port()
            env = {**os.environ, "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake_url,
                   "FAQBOT_DB": database, "FAQBOT_BIND": f"127.0.0.1:{port}", "FAQBOT_WEB_PROCESSES": "1",
                   "FAQBOT_WRITE_INTERVAL": "0", "FAQBOT_LOG_LEVEL": "WARNING"}
            web = start([GUNICORN, "-c", "gunicorn.conf.py", "bot.app:create_app()"], env)
            processes.append(web)
            processes += [start([sys.executable, "-m", "bot", "worker"], env) for _ in range(workers)]
            wait_listening(port, web)
            ports.append(port)
        send_burst(ports, args.senders, range(1, args.warmup + 1), f"{label} warm-up")
        wait_done(store, args.warmup, f"{label} warm-up")
        numbers = range(args.warmup + 1, args.warmup + 1 + args.deliveries)
        seconds, not_202, began = send_burst(ports, args.senders, numbers, label)
        answered = wait_done(store, args.warmup + args.deliveries, label) - began
        done = store.counts().get("done", 0) - args.warmup
    finally:
        stop(processes[::-1])
        store.close()
    PROGRESS.done()
    return Outcome(kind, instances, workers, args.deliveries / seconds, answered, not_202, done)


class Postgres:
    """A server to create one database per configuration on: $FAQBOT_BENCH_POSTGRES or a throwaway cluster."""

    def __init__(self, synchronous_commit: str) -> None:
        import psycopg

        self.folder = None
        self.synchronous_commit = synchronous_commit
        self.url = os.environ.get("FAQBOT_BENCH_POSTGRES", "")
        if not self.url:
            self.folder = tempfile.mkdtemp(prefix="faqbot-bench-pg-")
            self.url = subprocess.run([str(ROOT / "scripts" / "throwaway-postgres"), "start", f"{self.folder}/pg"],
                                      check=True, capture_output=True, text=True,
                                      env={**os.environ, "THROWAWAY_POSTGRES_FSYNC": "1"}).stdout.strip()
        with psycopg.connect(self.url, autocommit=True) as admin:
            self.settings = {name: admin.execute(f"SHOW {name}").fetchone()[0] for name in ("fsync", "server_version")}

    def fresh(self) -> str:
        import psycopg

        name = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
            admin.execute(f"ALTER DATABASE {name} SET synchronous_commit = {self.synchronous_commit}")
        return self.url.rsplit("/", 1)[0] + "/" + name

    def close(self) -> None:
        if self.folder:
            subprocess.run([str(ROOT / "scripts" / "throwaway-postgres"), "stop", f"{self.folder}/pg"], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000, help="the burst")
    parser.add_argument("--warmup", type=int, default=100, help="deliveries sent and answered first, not measured")
    parser.add_argument("--senders", type=int, default=32, help="concurrent senders")
    parser.add_argument("--workers", default="1,2,4", help="worker processes per instance to try")
    parser.add_argument("--rounds", type=int, default=1, help="every configuration this many times")
    parser.add_argument("--pg-synchronous-commit", choices=("on", "off"), default="on",
                        help="PostgreSQL's synchronous_commit for the bot's databases")
    parser.add_argument("--only", choices=("SQLite", "PostgreSQL"), help="measure one store only")
    args = parser.parse_args()
    worker_counts = [int(n) for n in args.workers.split(",")]

    fake = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_github.py"), TOKEN], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    fake_url = fake.stdout.readline().strip()
    postgres = Postgres(args.pg_synchronous_commit)
    print(f"burst of {args.deliveries} after {args.warmup} not counted, {args.senders} senders, {os.cpu_count()} cores, "
          f"pacing off, fake GitHub; SQLite synchronous={os.environ.get('FAQBOT_DB_SYNCHRONOUS', 'NORMAL')}; "
          f"PostgreSQL {postgres.settings['server_version']}, fsync={postgres.settings['fsync']}, "
          f"synchronous_commit={args.pg_synchronous_commit}\n", flush=True)
    print("| round | store | instances | workers per instance | accepted/s | burst answered after (s) | not 202 |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |", flush=True)
    try:
        for number in range(1, args.rounds + 1):
            plan = ([("SQLite", 1, w) for w in worker_counts] + [("PostgreSQL", 1, w) for w in worker_counts]
                    + [("PostgreSQL", 2, w) for w in worker_counts if w <= 2])
            for kind, instances, workers in [step for step in plan if args.only in (None, step[0])]:
                with tempfile.TemporaryDirectory(prefix="faqbot-bench-") as folder:
                    database = str(Path(folder) / "db.sqlite3") if kind == "SQLite" else postgres.fresh()
                    outcome = measure(database, kind, instances, workers, args, fake_url)
                if outcome.done != args.deliveries:
                    print(f"warning: {outcome.done} of {args.deliveries} jobs done", file=sys.stderr)
                print(f"| {number} | {kind} | {instances} | {workers} | {outcome.accepted_per_second:,.0f} "
                      f"| {outcome.answered_after:.2f} | {outcome.not_202} |", flush=True)
    finally:
        postgres.close()
        fake.stdin.close()
        fake.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
