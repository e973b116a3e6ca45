"""The web front: `POST /webhook` checks, parses, stores and acknowledges deliveries; `GET /healthz`,
`GET /metrics`. Nothing else.

It never talks to GitHub: a delivery is verified (signature over the raw body, before parsing),
parsed into the work it asks for (bot/events.py; bad input gets a 4xx), stored under its
X-GitHub-Delivery id and acknowledged with 202 at once (GitHub waits 10 s and never retries by
itself). Workers act later, on the stored work. It imports no rules, matching or rapidfuzz.

Production: `gunicorn -c gunicorn.conf.py 'bot.app:create_app()'` plus `python -m bot worker`
beside it (or FAQBOT_INPROCESS_WORKER=1 for a worker thread in each gunicorn process). For local
development, `python -m bot serve` (bot/devserver.py) runs both in one process.
"""

from __future__ import annotations

import logging

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from bot import metrics
from bot.database import STORE_ERRORS
from bot.events import PayloadError, encode_work, parse_delivery
from bot.jobs import Store
from bot.logs import configure_logging, log_context, log_issue
from bot.settings import Settings
from bot.webhook_auth import WebhookAuthError, verify_delivery

log = logging.getLogger(__name__)

MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB
INSECURE_BANNER = (
    "INSECURE: webhook signatures are NOT checked (FAQBOT_INSECURE_NO_SIGNATURE / --insecure). "
    "Anyone who can reach this port can make the bot act. Use only for local development."
)


def _answer(code: int, **fields: object) -> Response:
    # content_type, not mimetype: the same header, without werkzeug working out a charset each time;
    # direct_passthrough: the body is bytes already, so werkzeug hands it to the server as it is.
    return Response(orjson.dumps(fields), status=code, content_type="application/json", direct_passthrough=True)


def _counted(event: str, outcome: str, response: Response) -> Response:
    metrics.DELIVERIES.inc(event=event or "(none)", outcome=outcome)
    return response


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
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["faqbot"] = {"settings": settings, "store": store, "worker": None, "stop_worker": None}
    if start_worker if start_worker is not None else settings.inprocess_worker:
        from bot.worker import Worker  # only then: the worker brings the rules and matching

        worker = Worker(settings, store)
        app.extensions["faqbot"].update(worker=worker, stop_worker=worker.start_thread())
    _routes(app, settings, store)
    return app


def _routes(app: Flask, settings: Settings, store: Store) -> None:
    @app.post("/webhook")
    def webhook() -> Response:
        # The three headers straight from the WSGI environ, where request.headers looks them up too.
        environ = request.environ
        delivery = environ.get("HTTP_X_GITHUB_DELIVERY", "")
        event = environ.get("HTTP_X_GITHUB_EVENT", "")[:64]
        with log_context(delivery[:64]):
            body = _body()
            if settings.webhook_secrets:
                try:
                    verify_delivery(settings.webhook_secrets, body, environ.get("HTTP_X_HUB_SIGNATURE_256"))
                except WebhookAuthError as error:
                    log.warning("delivery %s refused: %s", delivery[:64] or "(no id)", error)
                    return _counted(event, "bad_signature", _answer(401, error="bad signature"))
            return _accept(store, event, delivery, body, app)

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

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> Response:
        log.warning("delivery refused: body over %d bytes", MAX_BODY)
        event = request.headers.get("X-GitHub-Event", "")[:64]
        return _counted(event, "too_large", _answer(413, error=f"body over {MAX_BODY} bytes"))

    def database_down(error: Exception) -> Response:
        # Not stored, so not acknowledged: GitHub shows the delivery as failed and it can be redelivered.
        log.error("delivery not stored: %s", error)
        event = request.headers.get("X-GitHub-Event", "")[:64]
        return _counted(event, "store_failed", _answer(503, error="could not store the delivery"))

    for error_class in STORE_ERRORS:  # sqlite3.Error, psycopg.Error
        app.register_error_handler(error_class, database_down)


def _body() -> bytes:
    """The request's raw body, never read whole when it is over MAX_BODY.

    request.stream refuses (413) a Content-Length over the cap before reading, and stops a chunked
    body (no Content-Length) at the cap. A body of known length is read in one call of that size:
    get_data() reads in 64 kB steps, each into a new buffer, until a read comes back empty.
    """
    length = request.content_length
    stream = request.stream
    if length is None:
        return stream.read()
    chunks = []
    while length > 0 and (chunk := stream.read(length)):  # one read, unless the server gives less
        chunks.append(chunk)
        length -= len(chunk)
    return b"".join(chunks)


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


def _accept(store: Store, event: str, delivery: str, body: bytes, app: Flask) -> Response:
    if not event or not delivery or len(delivery) > 200:
        log.warning("delivery refused: no X-GitHub-Event or X-GitHub-Delivery header")
        refused = _answer(400, error="X-GitHub-Event and X-GitHub-Delivery headers are required")
        return _counted(event, "bad_request", refused)
    try:
        # orjson: a third of json.loads' time on a 12 kB delivery. It also refuses what GitHub never
        # sends and json.loads let through: lone surrogate escapes ("\ud800"), NaN, nesting over 1,024.
        payload = orjson.loads(body)
    except ValueError:  # bad JSON or bad UTF-8 (orjson.JSONDecodeError is a ValueError)
        log.warning("delivery %s (%s) refused: malformed JSON", delivery, event)
        return _counted(event, "bad_request", _answer(400, error="malformed JSON"))
    try:
        work = parse_delivery(event, payload)
        stored = None if work is None else encode_work(work)
    except PayloadError as error:
        log.warning("delivery %s (%s) refused: %s", delivery, event, error)
        return _counted(event, "unprocessable", _answer(422, error=str(error)))
    if work is None:
        return _counted(event, "ignored", _answer(200, status="ignored", event=event))
    issue_key = work.ref.key
    log_issue(issue_key)
    if not store.enqueue(delivery, event, issue_key, stored):
        return _counted(event, "duplicate", _answer(200, status="duplicate", delivery=delivery))
    log.debug("delivery %s (%s) queued for %s", delivery, event, issue_key)
    worker = app.extensions["faqbot"]["worker"]
    if worker is not None:
        worker.wake()
    return _counted(event, "queued", _answer(202, status="queued", delivery=delivery))
