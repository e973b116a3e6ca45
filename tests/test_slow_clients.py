"""Slow clients against the production web front: `gunicorn -c gunicorn.conf.py 'bot.app:create_app()'`.

Clients that send headers with a large Content-Length and then trickle the body a byte a second
must not keep a correctly signed delivery from being acknowledged within GitHub's 10 s.

24 slow clients: more than one process's 16 threads, fewer than both processes' 32. Before
gunicorn.conf.py set worker_connections to the thread count, 24 delayed the delivery past 10 s in
5 of 9 runs (one process queued it behind its own slow clients); since, it is acknowledged in
about 0.01 s.

The same run with gunicorn's default sync worker and 2 processes is expected to fail, and does:
2 slow clients already hold both processes until the 30 s worker timeout kills them, and the
next slow clients in the backlog take the fresh processes. Measured: no answer in 12 s with 2
slow clients, none in 40 s with 4. (`--threads 1` because with the configuration's 16 threads
gunicorn would turn sync into gthread.)
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import SECRET
from tests.fakegithub import deliver, issue_payload

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
GITHUB_TIMEOUT = 10.0  # GitHub's hookshot gives up on a delivery after 10 s
SLOW_CLIENTS = 24
SLOW_HEADERS = (b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"X-GitHub-Event: issues\r\nX-GitHub-Delivery: slow-%d\r\nContent-Length: 1000000\r\n\r\n")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(tmp_path: Path, port: int, extra: list[str]) -> subprocess.Popen:
    # No GitHub credentials (dry run), and nothing inherited that changes the configuration under test.
    ours = ("GITHUB_", "FAQBOT_", "GUNICORN_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    env.update(GITHUB_WEBHOOK_SECRET=SECRET, FAQBOT_DB=str(tmp_path / "faqbot.sqlite3"),
               FAQBOT_BIND=f"127.0.0.1:{port}", XDG_RUNTIME_DIR=str(tmp_path))  # gunicorn's control socket
    command = [GUNICORN, "-c", "gunicorn.conf.py", *extra, "bot.app:create_app()"]
    with open(tmp_path / "gunicorn.log", "wb") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_healthy(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("GET", "/healthz")
            connection.getresponse()  # 503 here: no worker runs beside this web front, which is all it tests
            return
        except OSError:
            time.sleep(0.05)
        finally:
            connection.close()
    raise AssertionError(f"gunicorn did not answer /healthz:\n{log.read_text()}")


def _trickle(sockets: list[socket.socket], stop: threading.Event) -> None:
    while not stop.wait(1.0):
        for sock in sockets:
            try:
                sock.sendall(b" ")
            except OSError:
                pass


@pytest.mark.parametrize("extra", [
    pytest.param([], id="gthread-as-configured"),
    pytest.param(["-k", "sync", "--threads", "1"], id="sync-default-worker", marks=pytest.mark.xfail(
        raises=TimeoutError, strict=True, reason="2 sync processes are both held by slow clients")),
])
def test_slow_clients_do_not_delay_a_signed_delivery_past_10_s(tmp_path, extra):
    port = _free_port()
    process = _start(tmp_path, port, extra)
    slow: list[socket.socket] = []
    stop = threading.Event()
    try:
        _wait_healthy(process, port, tmp_path / "gunicorn.log")
        for number in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(SLOW_HEADERS % number)
            slow.append(sock)
        threading.Thread(target=_trickle, args=(slow, stop), daemon=True).start()
        time.sleep(1.5)  # the slow clients are being served (and have trickled) before GitHub comes

        started = time.monotonic()
        status, answer = deliver(f"http://127.0.0.1:{port}/webhook", "issues", issue_payload(), SECRET,
                                 timeout=GITHUB_TIMEOUT)
        took = time.monotonic() - started
        assert (status, answer.get("status")) == (202, "queued")
        assert took < GITHUB_TIMEOUT
    finally:
        stop.set()
        for sock in slow:  # closed first, or a graceful stop waits for their requests
            sock.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
