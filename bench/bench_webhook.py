"""Webhook service benchmark: the bot's acknowledgements, with its worker running, against a floor.

One run measures, side by side, round after round:

1. **the floor** (bench/floor_app.py): an HMAC check plus one SQLite insert, the least a durable
   receiver can do, served by gunicorn with the service's gunicorn.conf.py;
2. **the bot** as documented for production: `gunicorn -c gunicorn.conf.py 'bot.app:create_app()'`
   plus one `python -m bot worker`, answering on a fake GitHub (tests/fakegithub.py, in a process of
   its own) with pacing off (FAQBOT_WRITE_INTERVAL=0);
3. with --without-worker-too, the bot's web front once more with no worker running.

All are up together for a round and get the same signed deliveries from the same concurrent
senders, each delivery on a new connection as GitHub sends them: first a warm-up that is not
counted, then the measured deliveries in chunks, one receiver's chunk after the other's, so that
what else runs on the machine meanwhile falls on all alike. The bot's worker runs only while its
bot is measured (it is stopped with SIGSTOP meanwhile), and works through its backlog from chunk to
chunk. After the last chunk the bench measures how long after the bot's last acknowledgement its
queue is empty, and checks that every job is done.

    .venv/bin/python bench/bench_webhook.py [--deliveries 4000] [--chunk 500] [--rounds 3] [--without-worker-too]

Prints a markdown table; progress goes to the terminal (stderr) when there is one. Everything runs
on loopback and every phase sends a bounded number of deliveries.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.jobs import Store  # noqa: E402
from bot.webhook_auth import sign_delivery as sign  # noqa: E402
from tests.fakegithub import MMCV_TRACEBACK, issue_payload  # noqa: E402

SECRET = "bench-secret"
TOKEN = "ghp_benchtoken"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
CUDA_MISMATCH = json.loads((ROOT / "examples" / "issue-cuda-mismatch.json").read_text())
QUESTION = ("### Describe the question\nHow do I train Faster R-CNN on my own dataset in COCO format?\n\n"
            "I followed the tutorial but I am not sure how to set `num_classes` in the config.")
# Targets, against the floor measured in the same run.
MAX_P99_RATIO = 1.5
MIN_RATE_RATIO = 0.8


# -- deliveries ----------------------------------------------------------------------------------


def delivery_payload(number: int) -> dict:
    """A mix of what a repository sends: mostly new issues (an FAQ error, an FAQ error with its
    environment, a question the bot stays silent on), and every tenth an edit of a recent issue."""
    if number % 10 == 9:
        return issue_payload("edited", title="import error (edited)", body=MMCV_TRACEBACK + "\n\nstill failing",
                             number=number - 5)
    kind = number % 3
    if kind == 0:
        return issue_payload(number=number)
    if kind == 1:
        return issue_payload(title=CUDA_MISMATCH["title"], body=CUDA_MISMATCH["body"], number=number)
    return issue_payload(title="How to train on a custom dataset", body=QUESTION, number=number)


def prepared(number: int) -> bytes:
    """A signed delivery as raw HTTP request bytes.

    Built and signed up front, and sent over a plain socket: the senders share the machine's two
    cores with the service, so the less work they do per delivery, the less they distort it.
    """
    payload = delivery_payload(number)
    body = json.dumps(payload).encode()
    head = (f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"User-Agent: GitHub-Hookshot/bench\r\nX-GitHub-Event: issues\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
            f"X-Hub-Signature-256: {sign(SECRET, body)}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


def send(port: int, request: bytes) -> tuple[int, float, float]:
    """One delivery on a new connection; (status, seconds until the whole answer, when it ended)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    ended = time.perf_counter()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, ended - started, ended


class Progress:
    """A line on the terminal, rewritten in place; silent when stderr is not a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def show(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\033[K{text}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


PROGRESS = Progress()


@dataclass
class Phase:
    deliveries: int
    seconds: float
    latencies: list[float]
    not_202: int
    last_ack: float  # perf_counter

    @property
    def per_second(self) -> float:
        return self.deliveries / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[round(fraction * (len(ordered) - 1))] * 1000


def send_all(port: int, senders: int, numbers: range, label: str) -> Phase:
    requests = [prepared(n) for n in numbers]
    finished = 0
    lock = threading.Lock()

    def one(request: bytes) -> tuple[int, float, float]:
        nonlocal finished
        result = send(port, request)
        with lock:
            finished += 1
        return result

    stop = threading.Event()

    def report() -> None:
        while not stop.wait(0.25):
            PROGRESS.show(f"{label}: {finished}/{len(requests)} acknowledged")

    reporter = threading.Thread(target=report, daemon=True)
    reporter.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        results = list(pool.map(one, requests))
    stop.set()
    reporter.join()
    last_ack = max(ended for _, _, ended in results)
    return Phase(len(requests), last_ack - started, [seconds for _, seconds, _ in results],
                 sum(status != 202 for status, _, _ in results), last_ack)


# -- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} exited with {process.returncode}: {process.stderr.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port} after {timeout} s")


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1] is the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def machine_seconds() -> tuple[float, float]:
    """(busy, stolen): CPU seconds the machine's cores have run anything since boot, and those the
    hypervisor gave to other machines while this one had work (/proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(n) for n in Path("/proc/stat").read_text().split()[1:9])
    ticks = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / ticks, steal / ticks


class CpuMeter:
    """CPU seconds each named process (with its children) and this process use from now on;
    "others", what the rest of the machine used, and "stolen", what the hypervisor did not give this
    machine: both near 0 on a quiet machine."""

    def __init__(self, processes: dict[str, subprocess.Popen]):
        self.processes = processes
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        return ({name: cpu_seconds(p.pid) for name, p in self.processes.items()}
                | {"senders": time.process_time()} | dict(zip(("machine", "stolen"), machine_seconds())))

    def used(self) -> dict[str, float]:
        now = self._read()
        used = {name: now[name] - self.start[name] for name in now}
        machine, stolen = used.pop("machine"), used.pop("stolen")
        return used | {"others": max(0.0, machine - sum(used.values())), "stolen": stolen}


def base_env(folder: Path) -> dict[str, str]:
    return {**os.environ, "GITHUB_WEBHOOK_SECRET": SECRET, "FAQBOT_DB": str(folder / "db.sqlite3"),
            "FAQBOT_BIND": f"127.0.0.1:{free_port()}", "FAQBOT_LOG_LEVEL": "WARNING", "FAQBOT_WRITE_INTERVAL": "0"}


def unfinished(db: sqlite3.Connection) -> int:
    return db.execute("SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')").fetchone()[0]


@dataclass
class Receiver:
    """A service under test, up for a whole round, sent its deliveries a chunk at a time."""

    name: str
    env: dict[str, str]
    components: dict[str, subprocess.Popen]  # whose CPU is counted
    processes: list[subprocess.Popen]  # all it started, to stop at the end
    worker: subprocess.Popen | None = None
    phases: list[Phase] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    drain: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    posted: int = 0

    @property
    def port(self) -> int:
        return int(self.env["FAQBOT_BIND"].rsplit(":", 1)[1])

    @property
    def phase(self) -> Phase:
        """All its measured chunks as one."""
        return Phase(sum(p.deliveries for p in self.phases), sum(p.seconds for p in self.phases),
                     [seconds for p in self.phases for seconds in p.latencies], sum(p.not_202 for p in self.phases),
                     self.phases[-1].last_ack)

    def send(self, numbers: range, senders: int, label: str) -> None:
        meter = CpuMeter(self.components)
        self.phases.append(send_all(self.port, senders, numbers, label))
        for name, seconds in meter.used().items():
            self.cpu[name] = self.cpu.get(name, 0.0) + seconds

    def queue(self) -> sqlite3.Connection:
        return sqlite3.connect(self.env["FAQBOT_DB"], isolation_level=None)

    def wait_drained(self, timeout: float = 600) -> float:
        """When (perf_counter) no job is pending or running any more."""
        db = self.queue()
        deadline = time.perf_counter() + timeout
        while (left := unfinished(db)) and time.perf_counter() < deadline:
            PROGRESS.show(f"{self.name}: {left} jobs still to answer")
            time.sleep(0.01)
        db.close()
        if left:
            raise SystemExit(f"{self.name}: {left} jobs still unanswered after {timeout} s")
        return time.perf_counter()

    def pause_worker(self, paused: bool) -> None:
        if self.worker is not None:
            self.worker.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)


def start_floor(folder: Path) -> Receiver:
    env = base_env(folder)
    web = start([GUNICORN, "-c", "gunicorn.conf.py", "bench.floor_app:app"], env)
    return Receiver("floor", env, {"web": web}, [web])


def start_bot(folder: Path, with_worker: bool, dry_run: bool, worker_nice: int = 0) -> Receiver:
    env = base_env(folder)
    processes, components = [], {}
    if with_worker and not dry_run:
        fake = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_github.py"), TOKEN], cwd=ROOT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        processes.append(fake)
        env.update(GITHUB_TOKEN=TOKEN, GITHUB_API_URL=fake.stdout.readline().strip())
    Store(env["FAQBOT_DB"])  # the schema, before two gunicorn processes race to create it
    components["web"] = start([GUNICORN, "-c", "gunicorn.conf.py", "bot.app:create_app()"], env)
    nice = ["nice", "-n", str(worker_nice)] if worker_nice else []
    worker = start([*nice, sys.executable, "-m", "bot", "worker"], env) if with_worker else None
    if worker is not None:
        components["worker"] = worker
        if not dry_run:
            components["fake GitHub"] = processes[0]
    processes += [components["web"]] + ([worker] if worker else [])
    return Receiver("bot" if with_worker else "bot, no worker", env, components, processes, worker)


def run_round(args: argparse.Namespace, folder: Path) -> list[Receiver]:
    """Floor and bot (and the bot with no worker) up together, sent the same chunks in turn.

    Chunks in turn, rather than all of one then all of the other, so that whatever else the machine
    runs meanwhile falls on all of them alike. A bot's worker is stopped (SIGSTOP) while another
    receiver is measured, and runs, with its backlog, while its own bot is.
    """
    receivers = [start_floor(folder / "floor"), start_bot(folder / "bot", True, args.dry_run, args.worker_nice)]
    if args.without_worker_too:
        receivers.append(start_bot(folder / "alone", False, args.dry_run))
    try:
        for receiver in receivers:
            wait_listening(receiver.port, receiver.components["web"])
            send_all(receiver.port, args.senders, range(1, args.warmup + 1), f"{receiver.name}: warm-up")
            if receiver.worker is not None:
                receiver.wait_drained()
        first = args.warmup + 1
        chunks = range(first, first + args.deliveries, args.chunk)
        for number, start_at in enumerate(chunks, 1):
            numbers = range(start_at, min(start_at + args.chunk, first + args.deliveries))
            for receiver in receivers:
                for other in receivers:
                    other.pause_worker(other is not receiver)
                receiver.send(numbers, args.senders, f"{receiver.name}: chunk {number}/{len(chunks)}")
        for receiver in receivers:
            receiver.pause_worker(False)
            if receiver.worker is not None:
                receiver.drain = max(0.0, receiver.wait_drained() - receiver.phase.last_ack)
            if receiver.name.startswith("bot"):
                db = receiver.queue()
                receiver.counts = dict(db.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall())
                receiver.posted = db.execute("SELECT count(*) FROM jobs WHERE result LIKE 'posted comment%'").fetchone()[0]
                db.close()
    finally:
        for receiver in receivers:
            receiver.pause_worker(False)
        stop([process for receiver in receivers for process in receiver.processes[::-1]])
        PROGRESS.done()
    return receivers


# -- report --------------------------------------------------------------------------------------


def row(round_number: int, receiver: Receiver) -> str:
    phase = receiver.phase
    drain = "" if receiver.drain is None else f"{receiver.drain:.2f}"
    cpu = f"{phase.seconds:.1f} s: " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in receiver.cpu.items())
    return (f"| {round_number} | {receiver.name} | {phase.deliveries} | {phase.per_second:,.0f} "
            f"| {phase.percentile(0.5):.1f} | {phase.percentile(0.99):.1f} | {phase.not_202} | {drain} | {cpu} |")


def verdict(round_number: int, args: argparse.Namespace, receivers: list[Receiver]) -> str:
    floor, bot = receivers[0].phase, receivers[1].phase
    p99_ratio = bot.percentile(0.99) / floor.percentile(0.99)
    rate_ratio = bot.per_second / floor.per_second
    answered = receivers[1].counts == {"done": args.warmup + args.deliveries}
    met = p99_ratio <= MAX_P99_RATIO and rate_ratio >= MIN_RATE_RATIO and answered and not bot.not_202
    text = (f"round {round_number}: bot/floor p99 x{p99_ratio:.2f} (target <= {MAX_P99_RATIO}), accepted/s "
            f"x{rate_ratio:.2f} (target >= {MIN_RATE_RATIO}); jobs {receivers[1].counts}, {receivers[1].posted} "
            f"comments posted; target {'met' if met else 'NOT met'}")
    if len(receivers) == 3:
        alone = receivers[2].phase
        text += (f"; with no worker: p99 x{alone.percentile(0.99) / floor.percentile(0.99):.2f}, "
                 f"accepted/s x{alone.per_second / floor.per_second:.2f}")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=4000, help="measured deliveries per receiver and round")
    parser.add_argument("--chunk", type=int, default=500, help="deliveries sent to one receiver before the next")
    parser.add_argument("--warmup", type=int, default=300, help="deliveries sent first, not measured")
    parser.add_argument("--senders", type=int, default=32, help="concurrent senders")
    parser.add_argument("--rounds", type=int, default=1, help="rounds, each with services started afresh")
    parser.add_argument("--without-worker-too", action="store_true",
                        help="also the bot with no worker running: what its web front does alone")
    parser.add_argument("--worker-nice", type=int, default=0,
                        help="start the worker under `nice -n N` (not the documented setup: to see what priority does)")
    parser.add_argument("--dry-run", action="store_true",
                        help="run the worker without credentials (stores its answers) instead of on the fake GitHub")
    args = parser.parse_args()

    sync = os.environ.get("FAQBOT_DB_SYNCHRONOUS", "NORMAL")
    print(f"{args.deliveries} measured deliveries per receiver in chunks of {args.chunk} taken in turn, after "
          f"{args.warmup} not counted; {args.senders} senders, {os.cpu_count()} cores, FAQBOT_DB_SYNCHRONOUS={sync}, "
          f"worker {'dry run' if args.dry_run else 'on the fake GitHub'}"
          f"{f', under nice -n {args.worker_nice}' if args.worker_nice else ''}\n", flush=True)
    print("| round | receiver | deliveries | accepted/s | ack p50 (ms) | ack p99 (ms) | not 202 "
          "| queue empty after last ack (s) | CPU seconds used while sending |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |", flush=True)
    verdicts = []
    for number in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory(prefix="faqbot-bench-") as folder:
            for name in ("floor", "bot", "alone"):
                (Path(folder) / name).mkdir()
            receivers = run_round(args, Path(folder))
        for receiver in receivers:
            print(row(number, receiver), flush=True)
        verdicts.append(verdict(number, args, receivers))
    print()
    print("\n".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
