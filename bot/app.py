"""The web front: `POST /webhook` checks, stores and acknowledges deliveries; `GET /healthz`. Nothing else.

It never talks to GitHub: a delivery is verified (signature over the raw body, before parsing),
parsed just enough to refuse bad input with a 4xx, stored under its X-GitHub-Delivery id and
acknowledged with 202 at once (GitHub waits 10 s and never retries by itself). Workers act later.

Deployment:
- `python -m bot serve`: this app on werkzeug's threaded server plus one worker thread, on
  embedded defaults (SQLite file in the working directory; dry run without GitHub credentials).
- `gunicorn 'bot.app:create_app()'` with several workers sharing the SQLite database, plus a
  separate `python -m bot worker`. Or set FAQBOT_INPROCESS_WORKER=1 to run a worker thread in
  each gunicorn worker instead: claims are atomic leases in SQLite, so they never collide.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from bot.events import PayloadError, essentials, parse_delivery
from bot.jobs import SqliteStore
from bot.settings import Settings
from bot.webhook_auth import WebhookAuthError, verify_delivery

log = logging.getLogger(__name__)

MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB
INSECURE_BANNER = (
    "INSECURE: webhook signatures are NOT checked (FAQBOT_INSECURE_NO_SIGNATURE / --insecure). "
    "Anyone who can reach this port can make the bot act. Use only for local development."
)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _answer(code: int, **fields: object) -> Response:
    return Response(json.dumps(fields), status=code, mimetype="application/json")


def create_app(settings: Settings | None = None, start_worker: bool | None = None) -> Flask:
    """The Flask app. Raises SettingsError when it must not serve (no webhook secret, no --insecure)."""
    settings = settings or Settings.from_env()
    settings.check_can_serve()
    configure_logging(settings)
    if settings.insecure_no_signature and not settings.webhook_secrets:
        log.warning(INSECURE_BANNER)
    if settings.dry_run:
        log.warning("dry run: no GITHUB_TOKEN or GITHUB_APP_ID, so answers are stored and logged, not posted")
    store = SqliteStore(settings.db_path, settings.db_synchronous)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["faqbot"] = {"settings": settings, "store": store, "worker": None}
    if start_worker if start_worker is not None else settings.inprocess_worker:
        from bot.worker import Worker

        worker = Worker(settings, store)
        worker.start_thread()
        app.extensions["faqbot"]["worker"] = worker
    _routes(app, settings, store)
    return app


def _routes(app: Flask, settings: Settings, store: SqliteStore) -> None:
    @app.post("/webhook")
    def webhook() -> Response:
        delivery = request.headers.get("X-GitHub-Delivery", "")
        # get_data() refuses (413) a Content-Length over the cap before reading, and stops a
        # chunked body at the cap: the body is never read whole when it is too big.
        body = request.get_data(cache=False)
        if settings.webhook_secrets:
            try:
                verify_delivery(settings.webhook_secrets, body, request.headers.get("X-Hub-Signature-256"))
            except WebhookAuthError as error:
                log.warning("delivery %s refused: %s", delivery[:64] or "(no id)", error)
                return _answer(401, error="bad signature")
        return _accept(store, request.headers.get("X-GitHub-Event", ""), delivery, body, app)

    @app.get("/healthz")
    def healthz() -> Response:
        try:
            store.ping()
        except sqlite3.Error as error:
            log.error("health check: database unreachable: %s", error)
            return _answer(503, status="database unreachable")
        return _answer(200, status="ok")

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> Response:
        log.warning("delivery refused: body over %d bytes", MAX_BODY)
        return _answer(413, error=f"body over {MAX_BODY} bytes")

    @app.errorhandler(sqlite3.Error)
    def database_down(error: sqlite3.Error) -> Response:
        # Not stored, so not acknowledged: GitHub shows the delivery as failed and it can be redelivered.
        log.error("delivery not stored: %s", error)
        return _answer(503, error="could not store the delivery")


def _accept(store: SqliteStore, event: str, delivery: str, body: bytes, app: Flask) -> Response:
    if not event or not delivery or len(delivery) > 200:
        log.warning("delivery refused: no X-GitHub-Event or X-GitHub-Delivery header")
        return _answer(400, error="X-GitHub-Event and X-GitHub-Delivery headers are required")
    try:
        payload = json.loads(body)
        work = parse_delivery(event, payload)
    except ValueError as error:  # PayloadError, bad JSON and bad UTF-8 are all ValueErrors
        status = 422 if isinstance(error, PayloadError) else 400
        log.warning("delivery %s (%s) refused: %s", delivery, event, error if status == 422 else "malformed JSON")
        return _answer(status, error=str(error) if status == 422 else "malformed JSON")
    if work is None:
        return _answer(200, status="ignored", event=event)
    stored = json.dumps(essentials(payload), ensure_ascii=False).encode()
    if not store.enqueue(delivery, event, work.ref.key, stored):
        return _answer(200, status="duplicate", delivery=delivery)
    worker = app.extensions["faqbot"]["worker"]
    if worker is not None:
        worker.wake()
    return _answer(202, status="queued", delivery=delivery)


def serve(host: str = "127.0.0.1", port: int | None = None, insecure: bool = False,
          settings: Settings | None = None) -> int:
    """`python -m bot serve`: the web front and a worker thread in one process."""
    from werkzeug.serving import make_server

    settings = settings or Settings.from_env()
    if insecure:
        settings = dataclasses.replace(settings, insecure_no_signature=True)
    app = create_app(settings, start_worker=True)
    server = make_server(host, port if port is not None else settings.port, app, threaded=True)
    mode = "INSECURE (signatures not checked)" if settings.insecure_no_signature and not settings.webhook_secrets \
        else "signatures checked"
    posting = "DRY RUN (nothing is posted to GitHub)" if settings.dry_run else f"posting to {settings.api_url}"
    print(f"faq-bot listening on http://{host}:{server.server_port}/webhook; {mode}; {posting}; "
          f"database {settings.db_path}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
