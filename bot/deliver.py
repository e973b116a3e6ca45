"""Sending a webhook delivery the way GitHub does: signed (X-Hub-Signature-256), with its event and
delivery headers. `python -m bot deliver` uses it for local trials; the tests' fake GitHub too."""

from __future__ import annotations

import http.client
import json
import uuid
from urllib.parse import urlsplit

from bot.webhook_auth import sign_delivery


def send_delivery(url: str, event: str, body: bytes, secret: str | None, delivery_id: str | None = None,
                  timeout: float = 10, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """POST ``body`` (the exact bytes that get signed) to ``url``; returns (status, JSON answer or {}).

    Without ``secret`` the delivery goes unsigned: only a bot started with --insecure takes it.
    Raises OSError when nothing answers at ``url``.
    """
    sent = {
        "Content-Type": "application/json",
        "User-Agent": "faq-bot-deliver",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        **(headers or {}),
    }
    if secret is not None:
        sent["X-Hub-Signature-256"] = sign_delivery(secret, body)
    split = urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=timeout)
    try:
        connection.request("POST", split.path or "/webhook", body=body, headers=sent)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        answer = {}
    return response.status, answer if isinstance(answer, dict) else {}
