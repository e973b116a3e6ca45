"""The web front alone (Flask's test client): when it starts, what it accepts, what it refuses."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import time

import pytest

from bot.app import create_app
from bot.receiver import MAX_BODY
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


def test_a_chunked_body_over_the_cap_is_413_and_nothing_is_stored(client):
    # No Content-Length: the server ends the stream itself (wsgi.input_terminated), as gunicorn does.
    body = io.BytesIO(b" " * (MAX_BODY + 10))
    answer = client.post("/webhook", input_stream=body, environ_overrides={"wsgi.input_terminated": True},
                         headers={"X-GitHub-Event": "issues", "X-GitHub-Delivery": "chunked"})
    assert answer.status_code == 413 and "body over" in answer.json["error"]


def test_a_bad_content_length_is_400(client):
    answer = client.post("/webhook", data=b"{}", environ_overrides={"CONTENT_LENGTH": "12abc"},
                         headers={"X-GitHub-Event": "issues", "X-GitHub-Delivery": "d"})
    assert answer.status_code == 400


def test_the_webhook_answers_post_only_and_at_its_own_path(client):
    got = client.get("/webhook")
    assert got.status_code == 405 and got.headers["Allow"] == "POST"
    assert post(client, json.dumps(issue_payload()).encode()).status_code == 202
    assert client.post("/webhook/extra", data=b"{}").status_code == 404
    assert client.get("/nothing-here").status_code == 404  # Flask's own pages still answer


def test_a_bug_while_receiving_is_a_logged_500_and_the_service_goes_on(client, monkeypatch, caplog):
    def broken(event, payload):
        raise RuntimeError("a bug in the parser")

    monkeypatch.setattr("bot.receiver.parse_delivery", broken)
    answer = post(client, json.dumps(issue_payload()).encode(), delivery="d-bug")
    assert answer.status_code == 500 and answer.json == {"error": "internal error"}
    assert "a bug in the parser" in caplog.text and "d-bug" in caplog.text
    monkeypatch.undo()
    assert post(client, json.dumps(issue_payload()).encode(), delivery="d-after").status_code == 202


def test_delivery_headers_are_required(client):
    assert post(client, b"{}", delivery="").status_code == 400
    assert post(client, b"{}", event="").status_code == 400


def test_healthz_is_503_while_no_worker_has_ever_run(client):
    answer = client.get("/healthz")
    assert answer.status_code == 503 and "python -m bot worker" in answer.json["problems"][0]


def test_healthz_shows_queue_depth_and_the_oldest_pending_age(settings):
    app = create_app(settings, start_worker=False)
    store = app.extensions["faqbot"]["store"]
    store.worker_alive("elsewhere")  # a `python -m bot worker` beside the web front
    assert post(app.test_client(), json.dumps(issue_payload()).encode()).status_code == 202
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200
    assert answer.json["queue_depth"] == 1 and 0 <= answer.json["oldest_pending_age"] < 5


def test_healthz_is_503_when_a_job_waits_longer_than_the_threshold(settings):
    app = create_app(dataclasses.replace(settings, health_max_pending_age=0.05), start_worker=False)
    store = app.extensions["faqbot"]["store"]
    store.worker_alive("elsewhere")
    post(app.test_client(), json.dumps(issue_payload()).encode())
    time.sleep(0.1)
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503 and "oldest pending job" in answer.json["problems"][0]


def test_healthz_is_503_when_the_worker_fell_silent(settings):
    app = create_app(dataclasses.replace(settings, health_worker_silence=0.05), start_worker=False)
    app.extensions["faqbot"]["store"].worker_alive("elsewhere")
    time.sleep(0.1)
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503 and "no worker has shown life" in answer.json["problems"][0]


@pytest.mark.parametrize("body", [
    b'{"action": "opened", "issue": {"title": "\\ud800", "body": "x", "number": 1}, "repository": {"full_name": "o/r"}}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
])
def test_odd_but_valid_json_gets_a_4xx_never_a_5xx(client, body):
    answer = post(client, body)
    assert 400 <= answer.status_code < 500
