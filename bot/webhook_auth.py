"""Authenticating a webhook delivery: HMAC-SHA256 of the raw body, compared in constant time.

Named apart from the error *signatures* that bot/issue.py reads in issues: this module is only
about whether a delivery comes from GitHub (its X-Hub-Signature-256 header).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

PREFIX = "sha256="


class WebhookAuthError(Exception):
    """The delivery's X-Hub-Signature-256 is missing, malformed or made with another secret."""


def sign_delivery(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value GitHub sends for ``body`` under ``secret``."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_delivery(secrets: Iterable[str], body: bytes, header: str | None) -> None:
    """Raise WebhookAuthError unless ``header`` signs ``body`` with one of ``secrets``.

    Several secrets are accepted so that a secret can be rotated without dropping deliveries.
    Every secret is compared (no early exit) so timing does not tell which one nearly matched.
    """
    if not header:
        raise WebhookAuthError("no X-Hub-Signature-256 header: is the webhook's secret set on GitHub?")
    if not header.startswith(PREFIX):
        raise WebhookAuthError("X-Hub-Signature-256 does not start with 'sha256='")
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(sign_delivery(secret, body).encode(), header.encode("utf-8", "replace"))
    if not matched:
        raise WebhookAuthError("X-Hub-Signature-256 does not match: the webhook's secret differs from ours")
