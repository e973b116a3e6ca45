"""The web front: `POST /webhook` stores and acknowledges deliveries (bot/receiver.py); `GET /healthz`,
`GET /metrics`. Nothing else.

It never talks to GitHub, and imports no rules, matching or rapidfuzz. The Flask app serves the
two GET pages; the webhook is a plain WSGI endpoint mounted on it at /webhook (werkzeug's
DispatcherMiddleware on `app.wsgi_app`, as Flask's docs mount one application in another), because
Flask's per-request machinery cost as much as the rest of an acknowledgement (bot/receiver.py says
how much). Workers act later, on the stored work.

Production: `gunicorn -c gunicorn.conf.py 'bot.app:create_app()'` plus `python -m bot worker`
beside it (or FAQBOT_INPROCESS_WORKER=1 for a worker thread in each gunicorn process). For local
development, `python -m bot serve` (bot/devserver.py) runs both in one process.
"""

from __future__ import annotations

import logging

import orjson
from flask import Flask, Response
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bot import metrics
from bot.database import STORE_ERRORS
from bot.jobs import Store
from bot.logs import configure_logging
from bot.receiver import DeliveryReceiver
from bot.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook"
INSECURE_BANNER = (
    "INSECURE: webhook signatures are NOT checked (FAQBOT_INSECURE_NO_SIGNATURE / --insecure). "
    "Anyone who can reach this port can make the bot act. Use only for local development."
)


def _answer(code: int, **fields: object) -> Response:
    # content_type, not mimetype: the same header, without werkzeug working out a charset each time;
    # direct_passthrough: the body is bytes already, so werkzeug hands it to the server as it is.
    return Response(orjson.dumps(fields), status=code, content_type="application/json", direct_passthrough=True)


def create_app(settings: Settings | None = None, start_worker: bool | None = None) -> Flask:
    """The Flask app. Raises SettingsError when it must not serve (no webhook secret, no --insecure)."""
    settings = settings or Settings.from_env()
    settings.check_can_serve()
    configure_logging(settings)
    if settings.insecure_no_signature and not settings.webhook_secrets:
        log.warning(INSECURE_BANNER)
    if settings.dry_run:
        log.warning("dry run: no GITHUB_TOKEN or GITHUB_APP_ID, so answers are stored and logged, not posted")
    store = Store.from_settings(settings)
    log.info("storing deliveries in %s", settings.database)
    app = Flask(__name__)
    app.extensions["faqbot"] = {"settings": settings, "store": store, "worker": None, "stop_worker": None}
    worker = None
    if start_worker if start_worker is not None else settings.inprocess_worker:
        from bot.worker import Worker  # only then: the worker brings the rules and matching

        worker = Worker(settings, store)
        app.extensions["faqbot"].update(worker=worker, stop_worker=worker.start_thread())
    _routes(app, settings, store)
    # A stored job wakes the in-process worker: it looks now instead of at its next poll.
    receiver = DeliveryReceiver(settings, store, stored=worker.wake if worker else None)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {WEBHOOK_PATH: receiver})
    return app


def _routes(app: Flask, settings: Settings, store: Store) -> None:
    @app.get("/metrics")
    def metrics_page() -> Response:
        return Response(metrics.exposition(store), mimetype=None, content_type=metrics.CONTENT_TYPE)

    @app.get("/healthz")
    def healthz() -> Response:
        try:
            store.ping()  # also fails when the database file was deleted or replaced under the service
            health = store.queue_health()
        except STORE_ERRORS as error:
            log.error("health check: database unreachable: %s", error)
            return _answer(503, status="unhealthy", problems=["database unreachable"])
        problems = _health_problems(settings, health, app.extensions["faqbot"]["worker"])
        if problems:
            log.warning("health check: %s", "; ".join(problems))
        return _answer(503 if problems else 200, status="unhealthy" if problems else "ok", problems=problems,
                       queue_depth=health.depth, oldest_pending_age=round(health.oldest_ready_age, 1),
                       worker_last_seen_age=None if health.worker_seen_age is None else round(health.worker_seen_age, 1))


def _health_problems(settings: Settings, health, worker) -> list[str]:
    """Why the service is not doing its work, if it is not: no worker alive, or jobs left waiting."""
    problems = []
    if worker is not None:
        if worker.thread is None or not worker.thread.is_alive():
            problems.append("the in-process worker thread is not running")
    elif health.worker_seen_age is None:
        problems.append("no worker has ever run on this database: start `python -m bot worker`")
    elif health.worker_seen_age > settings.health_worker_silence:
        problems.append(f"no worker has shown life for {health.worker_seen_age:.0f} s "
                        f"(FAQBOT_HEALTH_WORKER_SILENCE={settings.health_worker_silence:g})")
    if health.oldest_ready_age > settings.health_max_pending_age:
        problems.append(f"the oldest pending job has waited {health.oldest_ready_age:.0f} s "
                        f"(FAQBOT_HEALTH_MAX_PENDING_AGE={settings.health_max_pending_age:g})")
    return problems
