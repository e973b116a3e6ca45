"""Webhook service benchmark: acknowledgement rate and latency under gunicorn, and time to answer a burst.

Runs everything on loopback: the fake GitHub (tests/fakegithub.py) in this process, gunicorn with
the app, and `python -m bot worker` processes, all on one SQLite database. Pacing is off.

    .venv/bin/python bench/bench_webhook.py [--gunicorn-workers 2] [--workers 2] [--burst 1000]

Prints a markdown table. Each phase sends a bounded number of deliveries; nothing loops forever.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.jobs import SqliteStore  # noqa: E402
from bot.webhook_auth import sign_delivery as sign  # noqa: E402
from tests.fakegithub import FakeGitHub, issue_payload  # noqa: E402

SECRET = "bench-secret"
TOKEN = "ghp_benchtoken"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port} after {timeout} s")


def prepared(number: int) -> bytes:
    """A signed issues.opened delivery for issue ``number``, as raw HTTP request bytes.

    Built and signed up front, and sent over a plain socket: the senders share the machine's two
    cores with the service, so the less work they do per delivery, the less they distort it.
    """
    body = json.dumps(issue_payload(number=number)).encode()
    head = (f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"User-Agent: GitHub-Hookshot/bench\r\nX-GitHub-Event: issues\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
            f"X-Hub-Signature-256: {sign(SECRET, body)}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


def send(port: int, request: bytes) -> tuple[int, float]:
    """One delivery on a new connection, as GitHub's hookshot does; (status, seconds until the whole answer)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    elapsed = time.perf_counter() - started
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, elapsed


def accept_phase(port: int, concurrency: int, count: int, first_number: int) -> dict:
    deliveries = [prepared(first_number + n) for n in range(count)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda d: send(port, d), deliveries))
    elapsed = time.perf_counter() - started
    latencies = sorted(seconds for _, seconds in results)
    return {
        "concurrency": concurrency, "deliveries": count, "per_second": count / elapsed,
        "p50_ms": statistics.median(latencies) * 1000, "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
        "not_202": sum(status != 202 for status, _ in results),
    }


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="`python -m bot worker` processes for the burst")
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--per-phase", type=int, default=1000, help="deliveries per concurrency level")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="faqbot-bench-"))
    db = folder / "bench.sqlite3"
    port = free_port()
    with FakeGitHub(token=TOKEN) as fake:
        env = {**os.environ, "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake.url,
               "FAQBOT_DB": str(db), "FAQBOT_WRITE_INTERVAL": "0", "FAQBOT_LOG_LEVEL": "WARNING",
               "FAQBOT_POLL_INTERVAL": "0.05"}
        gunicorn = start([str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.gunicorn_workers),
                          "-b", f"127.0.0.1:{port}", "--backlog", "2048", "bot.app:create_app()"], env)
        workers: list[subprocess.Popen] = []
        try:
            wait_listening(port)
            SqliteStore(db)  # schema in place before the first sender
            rows = []
            number = 1
            for concurrency in (1, 32, 128):
                count = min(args.per_phase, 300) if concurrency == 1 else args.per_phase
                rows.append(accept_phase(port, concurrency, count, number))
                number += count
            store = SqliteStore(db)
            store._connection().execute("UPDATE jobs SET status = 'done'")  # the burst starts from an empty queue
            fake.requests.clear()
            workers = [start([sys.executable, "-m", "bot", "worker"], env)
                       for _ in range(args.workers)]
            time.sleep(1.0)  # workers load the rules
            started = time.perf_counter()
            burst = accept_phase(port, 32, args.burst, number)
            deadline = time.monotonic() + 300
            while store.counts().get("done", 0) < number - 1 + args.burst and time.monotonic() < deadline:
                time.sleep(0.02)
            answered = time.perf_counter() - started
            counts = store.counts()
        finally:
            for process in [gunicorn, *workers]:
                process.terminate()
                process.wait(timeout=10)
        comments = len(fake.calls("POST", r"/comments$"))

    print(f"gunicorn workers: {args.gunicorn_workers} (sync), bot workers: {args.workers}, cores: {os.cpu_count()}, "
          f"FAQBOT_DB_SYNCHRONOUS={os.environ.get('FAQBOT_DB_SYNCHRONOUS', 'NORMAL')}\n")
    print("| concurrent senders | deliveries | accepted/s | ack p50 (ms) | ack p99 (ms) | not 202 |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['concurrency']} | {row['deliveries']} | {row['per_second']:.0f} | {row['p50_ms']:.1f} "
              f"| {row['p99_ms']:.1f} | {row['not_202']} |")
    print(f"\nburst of {args.burst} deliveries (32 senders): accepted in {args.burst / burst['per_second']:.2f} s, "
          f"all answered in {answered:.2f} s ({args.burst / answered:.0f} issues/s); comments posted: {comments}; "
          f"job counts: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
