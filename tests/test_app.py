"""The web front alone (Flask's test client): when it starts, what it accepts, what it refuses."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from bot.app import MAX_BODY, create_app
from bot.settings import SettingsError
from bot.webhook_auth import sign_delivery as sign
from tests.conftest import SECRET
from tests.fakegithub import issue_payload


def post(client, body: bytes, secret: str | None = SECRET, event: str = "issues", delivery: str = "d-1", **headers):
    if secret:
        headers["X-Hub-Signature-256"] = sign(secret, body)
    return client.post("/webhook", data=body, content_type="application/json",
                       headers={"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, **headers})


@pytest.fixture
def client(settings):
    return create_app(settings, start_worker=False).test_client()


def test_refuses_to_start_without_a_webhook_secret(settings):
    with pytest.raises(SettingsError, match="GITHUB_WEBHOOK_SECRET"):
        create_app(dataclasses.replace(settings, webhook_secrets=()), start_worker=False)


def test_insecure_mode_accepts_unsigned_deliveries_and_says_so_loudly(settings, caplog):
    caplog.set_level(logging.WARNING)
    app = create_app(dataclasses.replace(settings, webhook_secrets=(), insecure_no_signature=True), start_worker=False)
    assert "INSECURE" in caplog.text
    assert post(app.test_client(), json.dumps(issue_payload()).encode(), secret=None).status_code == 202


def test_a_secret_wins_over_the_insecure_flag(settings):
    app = create_app(dataclasses.replace(settings, insecure_no_signature=True), start_worker=False)
    assert post(app.test_client(), b"{}", secret=None).status_code == 401


def test_signature_is_checked_before_parsing(client):
    assert post(client, b"{not json", secret="wrong").status_code == 401
    assert post(client, b"{not json").status_code == 400


def test_queued_then_duplicate(client):
    body = json.dumps(issue_payload()).encode()
    first, again = post(client, body), post(client, body)
    assert (first.status_code, first.json["status"]) == (202, "queued")
    assert (again.status_code, again.json["status"]) == (200, "duplicate")


def test_content_length_over_the_cap_is_413(client):
    answer = client.post("/webhook", data=b"{}", environ_overrides={"CONTENT_LENGTH": str(MAX_BODY + 1)},
                         headers={"X-GitHub-Event": "issues", "X-GitHub-Delivery": "d"})
    assert answer.status_code == 413


def test_delivery_headers_are_required(client):
    assert post(client, b"{}", delivery="").status_code == 400
    assert post(client, b"{}", event="").status_code == 400


def test_healthz(client):
    assert client.get("/healthz").status_code == 200
