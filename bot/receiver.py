"""`POST /webhook`: a delivery verified, parsed, stored and acknowledged, as a plain WSGI endpoint.

The signature is checked over the raw body before anything is parsed (bot/webhook_auth.py); the
body is parsed into the work it asks for (bot/events.py; bad input gets a 4xx) and stored under its
X-GitHub-Delivery id; the answer is 202 at once (GitHub waits 10 s and never retries by itself). A
store that cannot take the delivery gets 503, never a 2xx: GitHub shows the delivery as failed and
it can be redelivered. Workers act later, on the stored work.

Why not a Flask view, when the rest of the web front is one (bot/app.py mounts this at /webhook):
Flask's machinery per request (application and request contexts, URL adapters, session, response
object) cost as much CPU as everything the floor does for a delivery (an HMAC check and one SQLite
insert), and acknowledging deliveries under load is where that counted: at 32 senders the bot's
rate against the floor's rose from about x0.8 to about x0.9 (bench/bench_webhook.py; every round
in bench/RESULTS-webhook.md). What the view had from Flask, this does itself: the 413 before
reading an oversized body, the 503 when the store fails, a logged 500 for a bug.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus

import orjson

from bot import metrics
from bot.database import STORE_ERRORS
from bot.events import PayloadError, encode_work, parse_delivery
from bot.jobs import Store
from bot.logs import log_context, log_issue
from bot.settings import Settings
from bot.webhook_auth import WebhookAuthError, verify_delivery

log = logging.getLogger(__name__)

MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB
_STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


class _Refused(Exception):
    """A delivery answered without being stored: (status, the outcome counted, the JSON fields)."""

    def __init__(self, status: int, outcome: str, **fields: object):
        super().__init__(status, outcome)
        self.status, self.outcome, self.fields = status, outcome, fields


class DeliveryReceiver:
    """The WSGI application for `POST /webhook`; ``stored`` is called after each delivery is stored
    (the in-process worker's wake-up)."""

    def __init__(self, settings: Settings, store: Store, stored: Callable[[], None] | None = None):
        self._secrets = settings.webhook_secrets  # none only when serving with --insecure
        self._store = store
        self._stored = stored

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") not in ("", "/"):
            return _answer(start_response, 404, {"error": "not found"})
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, 405, {"error": "use POST"}, (("Allow", "POST"),))
        # The three headers straight from the WSGI environ, where a request object would look them up too.
        delivery = environ.get("HTTP_X_GITHUB_DELIVERY", "")
        event = environ.get("HTTP_X_GITHUB_EVENT", "")[:64]
        with log_context(delivery[:64]):
            try:
                status, outcome, fields = self._receive(environ, event, delivery)
            except _Refused as refused:
                status, outcome, fields = refused.status, refused.outcome, refused.fields
            except STORE_ERRORS as error:
                log.error("delivery not stored: %s", error)
                status, outcome, fields = 503, "store_failed", {"error": "could not store the delivery"}
            except Exception:  # a bug: logged with its traceback, answered as what it is
                log.exception("delivery %s (%s) failed", delivery[:64] or "(no id)", event or "(no event)")
                status, outcome, fields = 500, "error", {"error": "internal error"}
            metrics.DELIVERIES.inc(event=event or "(none)", outcome=outcome)
            return _answer(start_response, status, fields)

    def _receive(self, environ: dict, event: str, delivery: str) -> tuple[int, str, dict]:
        body = _body(environ)
        if self._secrets:
            try:
                verify_delivery(self._secrets, body, environ.get("HTTP_X_HUB_SIGNATURE_256"))
            except WebhookAuthError as error:
                log.warning("delivery %s refused: %s", delivery[:64] or "(no id)", error)
                raise _Refused(401, "bad_signature", error="bad signature") from None
        if not event or not delivery or len(delivery) > 200:
            log.warning("delivery refused: no X-GitHub-Event or X-GitHub-Delivery header")
            raise _Refused(400, "bad_request", error="X-GitHub-Event and X-GitHub-Delivery headers are required")
        try:
            # orjson: a third of json.loads' time on a 12 kB delivery. It also refuses what GitHub never
            # sends and json.loads let through: lone surrogate escapes ("\ud800"), NaN, nesting over 1,024.
            payload = orjson.loads(body)
        except ValueError:  # bad JSON or bad UTF-8 (orjson.JSONDecodeError is a ValueError)
            log.warning("delivery %s (%s) refused: malformed JSON", delivery, event)
            raise _Refused(400, "bad_request", error="malformed JSON") from None
        try:
            work = parse_delivery(event, payload)
            stored = None if work is None else encode_work(work)
        except PayloadError as error:
            log.warning("delivery %s (%s) refused: %s", delivery, event, error)
            raise _Refused(422, "unprocessable", error=str(error)) from None
        if work is None:
            return 200, "ignored", {"status": "ignored", "event": event}
        log_issue(work.ref.key)
        if not self._store.enqueue(delivery, event, work.ref.key, stored):
            return 200, "duplicate", {"status": "duplicate", "delivery": delivery}
        log.debug("delivery %s (%s) queued for %s", delivery, event, work.ref.key)
        if self._stored is not None:
            self._stored()
        return 202, "queued", {"status": "queued", "delivery": delivery}


def _body(environ: dict) -> bytes:
    """The request's raw body, never read whole when it is over MAX_BODY.

    A Content-Length over the cap is refused (413) before anything is read. A chunked body (no
    Content-Length; the server says it ends the stream itself, `wsgi.input_terminated`) is read
    up to one byte past the cap. Without either, the body is empty, as WSGI says.
    """
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH")
    if not declared:
        if not environ.get("wsgi.input_terminated"):
            return b""
        body = stream.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise _too_large()
        return body
    try:
        length = int(declared)
    except ValueError:
        raise _Refused(400, "bad_request", error="bad Content-Length") from None
    if length > MAX_BODY:
        raise _too_large()
    chunks = []
    while length > 0 and (chunk := stream.read(length)):  # one read, unless the server gives less
        chunks.append(chunk)
        length -= len(chunk)
    return b"".join(chunks)


def _too_large() -> _Refused:
    log.warning("delivery refused: body over %d bytes", MAX_BODY)
    return _Refused(413, "too_large", error=f"body over {MAX_BODY} bytes")


def _answer(start_response: Callable, code: int, fields: dict, headers: tuple[tuple[str, str], ...] = ()) -> list[bytes]:
    body = orjson.dumps(fields)
    start_response(_STATUS_LINES[code], [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                         *headers])
    return [body]
