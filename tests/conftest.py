"""Fixtures shared by the service's tests: a fake GitHub on loopback, settings pointing at it, and
an empty database of each kind the store runs on (SQLite; PostgreSQL when FAQBOT_TEST_POSTGRES
names a server, as scripts/test does)."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.settings import Settings
from tests.fakegithub import FakeGitHub
from tests.memory import MemoryAnswers, MemoryGitHub

# A PostgreSQL server the tests may create schemas in: scripts/test starts a throwaway one and sets it.
POSTGRES = os.environ.get("FAQBOT_TEST_POSTGRES", "")
NO_POSTGRES = ("PostgreSQL tests skipped: FAQBOT_TEST_POSTGRES is unset (scripts/test starts a throwaway "
               "PostgreSQL with scripts/throwaway-postgres and sets it)")
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


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL of the test PostgreSQL whose connections see a new, empty schema of their own (dropped after)."""
    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    try:
        separator = "&" if "?" in POSTGRES else "?"
        yield f"{POSTGRES}{separator}options={quote(f'-csearch_path={name}', safe='')}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[str]:
    """An empty database for a store: an SQLite file, or a PostgreSQL schema of its own (skipped,
    saying why, when FAQBOT_TEST_POSTGRES is unset)."""
    if request.param == "sqlite":
        yield str(tmp_path / "jobs.sqlite3")
        return
    if not POSTGRES:
        pytest.skip(NO_POSTGRES)
    with postgres_schema() as url:
        yield url
