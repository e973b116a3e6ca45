"""The service's metrics in Prometheus' text format: counters kept per process, gauges read from the store.

Counters and histograms live in this process's memory (deliveries in the web front; jobs, triage
time and GitHub requests in whichever process runs the worker); the job queue and the answers per
rule are read from the shared database at each scrape, so every process shows the same. Light on
purpose: the web front imports it.

`GET /metrics` (bot/app.py) and, for a worker in a process of its own, FAQBOT_METRICS_PORT
(`serve_metrics`) answer with `exposition(store)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.database import STORE_ERRORS

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    pairs = [f'{name}="{_escape(value)}"' for name, value in zip(names, values)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _header(name: str, help_text: str, kind: str) -> list[str]:
    return [f"# HELP {name} {help_text.replace(chr(92), chr(92) * 2).replace(chr(10), ' ')}", f"# TYPE {name} {kind}"]


class Counter:
    def __init__(self, name: str, help_text: str, labels: tuple[str, ...]):
        self.name, self.help, self.labels = name, help_text, labels
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        # A list, not a generator, inside tuple(): half the time, and the web front counts every delivery.
        key = tuple([str(labels.get(name, "")) for name in self.labels])
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(str(labels.get(name, "")) for name in self.labels), 0.0)

    def lines(self) -> list[str]:
        with self._lock:
            values = sorted(self._values.items())
        return _header(self.name, self.help, "counter") + [
            f"{self.name}{_labels(self.labels, key)} {_number(value)}" for key, value in values]


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]):
        self.name, self.help, self.buckets = name, help_text, buckets
        self._counts = [0] * len(buckets)
        self._sum, self._count = 0.0, 0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self._lock:
            for index, bound in enumerate(self.buckets):
                if value <= bound:
                    self._counts[index] += 1
            self._sum += value
            self._count += 1

    @property
    def count(self) -> int:
        return self._count

    def lines(self) -> list[str]:
        with self._lock:
            counts, total, count = list(self._counts), self._sum, self._count
        lines = _header(self.name, self.help, "histogram")
        for bound, bucket in zip(self.buckets, counts):
            lines.append(f'{self.name}_bucket{{le="{_number(bound)}"}} {bucket}')
        lines += [f'{self.name}_bucket{{le="+Inf"}} {count}', f"{self.name}_sum {_number(total)}",
                  f"{self.name}_count {count}"]
        return lines


DELIVERIES = Counter("faqbot_deliveries_total", "Webhook deliveries answered by the web front, by event and outcome.",
                     ("event", "outcome"))
JOBS = Counter("faqbot_jobs_total", "Jobs the worker ran, by event and outcome (done, failed, rescheduled, lease_lost).",
               ("event", "outcome"))
TRIAGE_SECONDS = Histogram("faqbot_triage_seconds", "Time to triage one issue.",
                           (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))
GITHUB_REQUESTS = Counter("faqbot_github_requests_total",
                          "GitHub API requests by call and status (2xx, an HTTP status, timeout or connection).",
                          ("call", "status"))
_MEMORY = (DELIVERIES, JOBS, TRIAGE_SECONDS, GITHUB_REQUESTS)
# Read from the store's per-rule feedback (bot/control_store.py): event -> metric, help.
_RULE_FIGURES = (
    ("answered", "faqbot_rule_answers_total", "Issues answered, per rule (all repositories)."),
    ("withdrawn", "faqbot_rule_withdrawn_total", "Answers maintainers withdrew with /faq off, per rule."),
    ("label_removed", "faqbot_rule_labels_removed_total", "Rule labels people removed, per rule."),
)


def gauge(name: str, help_text: str, samples: Iterable[tuple[dict[str, str], float]], kind: str = "gauge") -> list[str]:
    lines = _header(name, help_text, kind)
    for labels, value in samples:
        names = tuple(labels)
        lines.append(f"{name}{_labels(names, tuple(labels[n] for n in names))} {_number(value)}")
    return lines


def exposition(store) -> str:
    """The whole scrape: this process's counters, then the queue and per-rule figures from ``store``
    (a bot.jobs.Store). A store that cannot be read leaves its part out and says so."""
    lines: list[str] = []
    for metric in _MEMORY:
        lines += metric.lines()
    try:
        health = store.queue_health()
        counts = store.counts()
        per_rule = store.rule_totals()
    except STORE_ERRORS as error:
        log.error("metrics: the job store cannot be read: %s", error)
        lines += gauge("faqbot_store_up", "1 when the job store could be read for this scrape.", [({}, 0)])
        return "\n".join(lines) + "\n"
    lines += gauge("faqbot_store_up", "1 when the job store could be read for this scrape.", [({}, 1)])
    lines += gauge("faqbot_queue_depth", "Jobs pending or running.", [({}, health.depth)])
    lines += gauge("faqbot_queue_oldest_ready_age_seconds", "How long the oldest ready job has waited.",
                   [({}, round(health.oldest_ready_age, 3))])
    lines += gauge("faqbot_jobs", "Jobs in the store by status.",
                   [({"status": status}, count) for status, count in sorted(counts.items())])
    for event, name, help_text in _RULE_FIGURES:
        lines += gauge(name, help_text, [({"rule": rule}, figures[event]) for rule, figures in sorted(per_rule.items())],
                       kind="counter")
    return "\n".join(lines) + "\n"


def serve_metrics(port: int, store, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """`GET /metrics` on ``port`` in a daemon thread, for a worker running in a process of its own."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = exposition(store).encode()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="faqbot-metrics", daemon=True).start()
    log.info("metrics on http://%s:%d/metrics", host, server.server_port)
    return server
