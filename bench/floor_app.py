"""The floor: the least a durable webhook receiver can do, to measure faq-bot's web front against.

An HMAC-SHA256 check of X-Hub-Signature-256 (hmac.compare_digest), one INSERT of the raw delivery
into a SQLite table in WAL mode with the service's `synchronous` setting, then 202. No framework,
no parsing. It reads the service's own variables: GITHUB_WEBHOOK_SECRET, FAQBOT_DB and
FAQBOT_DB_SYNCHRONOUS. bench/bench_webhook.py serves it with the service's gunicorn settings:

    gunicorn -c gunicorn.conf.py bench.floor_app:app

Each gunicorn thread keeps its own connection (gthread threads live as long as their process).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
import time

SECRET = os.environ["GITHUB_WEBHOOK_SECRET"].encode()
DB = os.environ["FAQBOT_DB"]
SYNCHRONOUS = os.environ.get("FAQBOT_DB_SYNCHRONOUS", "NORMAL")
_local = threading.local()


def _db() -> sqlite3.Connection:
    db = getattr(_local, "db", None)
    if db is None:
        db = sqlite3.connect(DB, timeout=10, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        db.execute("CREATE TABLE IF NOT EXISTS deliveries"
                   " (id INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE, body BLOB NOT NULL, created_at REAL)")
        _local.db = db
    return db


def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), environ.get("HTTP_X_HUB_SIGNATURE_256", "").encode()):
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"bad signature"]
    _db().execute("INSERT INTO deliveries (delivery_id, body, created_at) VALUES (?, ?, ?)"
                  " ON CONFLICT (delivery_id) DO NOTHING",
                  (environ.get("HTTP_X_GITHUB_DELIVERY", ""), body, time.time()))
    start_response("202 Accepted", [("Content-Type", "application/json")])
    return [b'{"status": "queued"}']
