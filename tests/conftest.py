"""Fixtures shared by the service's tests: a fake GitHub on loopback, settings pointing at it."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.settings import Settings
from tests.fakegithub import FakeGitHub
from tests.memory import MemoryAnswers, MemoryGitHub

TOKEN = "ghp_faketoken"
SECRET = "It's a Secret to Everybody"
APP_ID = "4242"


@pytest.fixture
def fake():
    with FakeGitHub(token=TOKEN) as server:
        yield server


@pytest.fixture
def settings(fake, tmp_path) -> Settings:
    """Token auth against the fake; no pacing; tiny backoff so failure tests stay fast."""
    return Settings(
        webhook_secrets=(SECRET,), github_token=TOKEN, api_url=fake.url, db_path=str(tmp_path / "faqbot.sqlite3"),
        write_interval=0.0, retry_base_delay=0.01, max_attempts=4, rate_limit_max_wait=2.0,
        lease_seconds=30.0, poll_interval=0.02, http_timeout=5.0,
    )


@pytest.fixture(scope="session")
def app_key() -> tuple[str, bytes]:
    """A fresh RSA key for a GitHub App: (private PEM text, public PEM bytes)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.fixture
def app_settings(settings, fake, app_key) -> Settings:
    """GitHub App auth: the fake knows the App's public key and accepts only installation tokens."""
    fake.tokens.clear()
    fake.add_app(APP_ID, app_key[1])
    return dataclasses.replace(settings, github_token=None, app_id=APP_ID, app_private_key=app_key[0])


@pytest.fixture
def github() -> MemoryGitHub:
    """The IssueClient protocol in memory, for tests of the handlers alone."""
    return MemoryGitHub()


@pytest.fixture
def answers() -> MemoryAnswers:
    """The AnswerStore and FeedbackStore protocols in memory."""
    return MemoryAnswers()
