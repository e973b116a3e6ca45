"""The bot's web front and in-process worker on a real loopback port, as the end-to-end tests run it."""

from __future__ import annotations

import threading
import time

from werkzeug.serving import make_server

from bot.app import create_app
from bot.jobs import Store
from tests.conftest import SECRET
from tests.fakegithub import deliver


class Service:
    """The Flask app on a real loopback port, with its in-process worker thread."""

    def __init__(self, settings, start_worker: bool = True):
        self.settings = settings
        self.app = create_app(settings, start_worker=start_worker)
        self.store: Store = self.app.extensions["faqbot"]["store"]
        self.worker = self.app.extensions["faqbot"]["worker"]
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhook"

    def send(self, event: str, payload, delivery_id: str | None = None, secret: str | None = SECRET):
        return deliver(self.url, event, payload, secret, delivery_id)

    def settle(self, timeout: float = 15) -> dict[str, int]:
        """Wait until no job is pending or running; returns the job counts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            counts = self.store.counts()
            if not counts.get("pending") and not counts.get("running"):
                return counts
            time.sleep(0.02)
        raise AssertionError(f"jobs still unfinished after {timeout} s: {self.store.counts()}")


def run_service(settings, start_worker: bool = True):
    """A generator for fixtures: yields the running Service, then stops its server and worker."""
    service = Service(settings, start_worker)
    thread = threading.Thread(target=service.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield service
    service.server.shutdown()
    stop = service.app.extensions["faqbot"]["stop_worker"]
    if stop is not None:
        stop.set()
        service.worker.wake()
