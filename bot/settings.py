"""The service's settings: every environment variable it reads, in one place, with safe defaults.

| variable | meaning | default |
| --- | --- | --- |
| GITHUB_WEBHOOK_SECRET | the webhook's secret, exactly one, taken verbatim (commas and spaces included; only one trailing newline, as a secrets file leaves, is dropped) | none: refuse to serve |
| GITHUB_WEBHOOK_SECRET_PREVIOUS | while rotating: the old secret, also accepted until GitHub signs with the new one everywhere; then unset it | none |
| FAQBOT_INSECURE_NO_SIGNATURE | `1` accepts unsigned deliveries (local development only) | off |
| GITHUB_TOKEN | personal access token | none |
| GITHUB_APP_ID | GitHub App id (with one of the two keys below) | none |
| GITHUB_APP_PRIVATE_KEY | the App's private key, PEM text | none |
| GITHUB_APP_PRIVATE_KEY_PATH | file holding that PEM key | none |
| GITHUB_API_URL | REST API root (GitHub Enterprise Server: `https://HOST/api/v3`) | https://api.github.com |
| FAQBOT_DB | the database: an SQLite file (`PATH` or `sqlite:///PATH`; `sqlite:////abs/path`) shared by one machine's processes, or `postgresql://USER:PASSWORD@HOST:PORT/NAME` shared by every machine (Cloud SQL: `postgresql://USER@/NAME?host=/cloudsql/PROJECT:REGION:INSTANCE`, the password in `PGPASSWORD`); shown everywhere with its password as `***` | faqbot.sqlite3 (working directory) |
| FAQBOT_RETENTION_DAYS | finished jobs (their payloads with them) are deleted this many days after they finished, by the workers at start and about once a minute; what the bot answered on each issue is kept; 0: never | 14 |
| FAQBOT_RULES | rules folder | the repository's rules/ |
| PORT | port of `python -m bot serve` | 8000 |
| FAQBOT_WRITE_INTERVAL | seconds between content-creating GitHub requests for one installation (or token), kept by every worker of every process together through the database | 1.0 |
| FAQBOT_LOG_LEVEL | logging level | INFO |
| FAQBOT_RETRY_BASE_DELAY | first backoff delay in seconds (doubles each retry, plus jitter) | 1.0 |
| FAQBOT_MAX_ATTEMPTS | attempts per GitHub call on 5xx/timeouts/connection errors | 5 |
| FAQBOT_RATE_LIMIT_MAX_WAIT | longest rate-limit wait slept in the worker; longer ones reschedule the job | 60 |
| FAQBOT_LEASE_SECONDS | how long a claimed job stays claimed before another worker may take it | 300 |
| FAQBOT_POLL_INTERVAL | seconds an idle worker waits between looks at the job table | 0.5 |
| FAQBOT_HTTP_TIMEOUT | seconds before a GitHub request times out | 15 |
| FAQBOT_DB_SYNCHRONOUS | SQLite `synchronous` (WAL; PostgreSQL has its server's `synchronous_commit`): NORMAL keeps an acknowledged delivery through any process crash, SIGKILL included; FULL through a power cut too, at an fsync per delivery (about +0.3 ms here, and p99 acknowledgement over 50 ms at 32 senders) | NORMAL |
| FAQBOT_DB_BUSY_TIMEOUT | seconds a statement waits for another process's SQLite write lock (on PostgreSQL: a statement's `statement_timeout`, and the connect timeout) before giving up (the web front then answers 503, so GitHub shows the delivery as failed; keep it under GitHub's 10 s); on SQLite a delivery may first wait as long for the other threads of its process that are storing | 5 |
| FAQBOT_WORKER_NICE | how much `python -m bot worker` lowers its CPU priority (`nice`), so that acknowledging deliveries on the same machine comes first; 0 keeps it | 10 |
| FAQBOT_INPROCESS_WORKER | `1`: `create_app()` (gunicorn) also runs a worker thread in each process | off |
| FAQBOT_NEEDS_ENVIRONMENT_LABEL | label the issue carries while the bot waits for the reporter's environment; empty: none | needs-environment |
| FAQBOT_HEALTH_MAX_PENDING_AGE | `/healthz` says 503 when a ready job has waited longer than this many seconds | 300 |
| FAQBOT_HEALTH_WORKER_SILENCE | `/healthz` (without an in-process worker) says 503 when no worker showed life for this many seconds | 60 |
| FAQBOT_CONFIG_TTL | seconds a repository's `.github/faq-bot.yml` (or its absence) is cached by a worker before it is read again | 300 |
| FAQBOT_DEFAULT_MODE | the mode of a repository with no config file: `on`, `off` or `shadow` (an organisation-wide App may start in `shadow`) | on |
| FAQBOT_METRICS_PORT | `python -m bot worker` serves `GET /metrics` on this port (the web front serves its own at `/metrics`); 0: not | 0 |

gunicorn.conf.py, not this module, reads the production web front's own variables:

| variable | meaning | default |
| --- | --- | --- |
| FAQBOT_BIND | address gunicorn listens on | 0.0.0.0:$PORT |
| FAQBOT_WEB_PROCESSES | gunicorn worker processes | 2 |
| FAQBOT_WEB_THREADS | threads per process, and so connections each takes at once (slow clients hold one each) | 16 |

With neither a token nor an App configured the bot runs dry: it stores and logs what it would post.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import unquote

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules"
_SECRET_FIELDS = frozenset({"webhook_secrets", "github_token", "app_private_key"})
_SCHEMES = ("sqlite", "postgresql", "postgres")
_TRUE = frozenset({"1", "true", "yes", "on"})


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable to fix."""


@dataclass(frozen=True)
class DatabaseUrl:
    """FAQBOT_DB parsed: an SQLite file or a PostgreSQL URL. Its str() and repr() hide the password.

    `kind` is "sqlite" (``path`` is the file) or "postgresql" (``url`` goes to libpq as given). Print,
    log and raise with the object or ``masked``, never ``url``: `postgresql://faqbot:***@host/db`.
    """

    url: str = field(repr=False)
    kind: str
    path: str = ""

    @classmethod
    def parse(cls, value: str | os.PathLike | DatabaseUrl) -> DatabaseUrl:
        if isinstance(value, DatabaseUrl):
            return value
        text = os.fspath(value).strip()
        scheme, found, rest = text.partition("://")
        if not found or "/" in scheme or "\\" in scheme:
            if not text:
                raise SettingsError("FAQBOT_DB is empty: give an SQLite file or a postgresql:// URL")
            return cls(text, "sqlite", text)  # a plain path
        if scheme.lower() == "sqlite":
            # sqlite:///relative/file, sqlite:////absolute/file (three slashes, then the path)
            if not rest.startswith("/") or not rest[1:]:
                raise SettingsError(f"FAQBOT_DB={_mask(text)!r}: write an SQLite URL as sqlite:///PATH")
            return cls(text, "sqlite", rest[1:])
        if scheme.lower() in ("postgresql", "postgres"):
            return cls(text, "postgresql")
        raise SettingsError(f"FAQBOT_DB={_mask(text)!r}: the scheme {scheme!r} is not one of sqlite, postgresql; "
                            "give an SQLite file or a postgresql:// URL")

    @property
    def masked(self) -> str:
        return _mask(self.url)

    def scrub(self, text: str) -> str:
        """``text`` (an error message, a log line) with this URL's password replaced by ***."""
        text = text.replace(self.url, self.masked)
        for secret in _passwords(self.url):
            text = text.replace(secret, "***")
        return text

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.masked!r})"


def _split_userinfo(url: str) -> tuple[str, str, str] | None:
    """(before the password, the password, after it) of a URL with a password in its authority, else None."""
    scheme, found, rest = url.partition("://")
    if not found:
        return None
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority = rest[:end]
    userinfo, at, _ = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return None
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:", userinfo[len(user) + 1:], rest[len(userinfo):]


_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)([^&#]*)")


def _mask(url: str) -> str:
    parts = _split_userinfo(url)
    if parts:
        url = f"{parts[0]}***{parts[2]}"
    return _QUERY_PASSWORD.sub(r"\1***", url)


def _passwords(url: str) -> list[str]:
    """The password as written in the URL and as decoded, longest first (what an error may quote)."""
    found = []
    parts = _split_userinfo(url)
    if parts and parts[1]:
        found.append(parts[1])
    found += [match[2] for match in _QUERY_PASSWORD.finditer(url) if match[2]]
    found += [unquote(secret) for secret in found]
    # A password of a few characters would mask those letters everywhere: it is masked in the URL only.
    return sorted({secret for secret in found if len(secret) >= 4}, key=len, reverse=True)


@dataclass(frozen=True)
class Settings:
    webhook_secrets: tuple[str, ...] = ()
    insecure_no_signature: bool = False
    github_token: str | None = None
    app_id: str | None = None
    app_private_key: str | None = None
    api_url: str = "https://api.github.com"
    db_path: str = "faqbot.sqlite3"
    rules_dir: str = str(DEFAULT_RULES)
    port: int = 8000
    write_interval: float = 1.0
    log_level: str = "INFO"
    retry_base_delay: float = 1.0
    max_attempts: int = 5
    rate_limit_max_wait: float = 60.0
    lease_seconds: float = 300.0
    poll_interval: float = 0.5
    http_timeout: float = 15.0
    inprocess_worker: bool = False
    db_synchronous: str = "NORMAL"
    db_busy_timeout: float = 5.0
    worker_nice: int = 10
    needs_environment_label: str | None = "needs-environment"
    health_max_pending_age: float = 300.0
    health_worker_silence: float = 60.0
    config_ttl: float = 300.0
    default_mode: str = "on"
    metrics_port: int = 0
    retention_days: float = 14.0

    @functools.cached_property
    def database(self) -> DatabaseUrl:
        """FAQBOT_DB (``db_path``) parsed; print this, never ``db_path``, which may hold a password."""
        return DatabaseUrl.parse(self.db_path)

    def __repr__(self) -> str:
        # Secrets are masked so that logging a Settings (or a traceback showing one) leaks nothing.
        shown = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in _SECRET_FIELDS and value:
                value = "***"
            elif item.name == "db_path":
                value = _mask(value)
            shown.append(f"{item.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    @property
    def dry_run(self) -> bool:
        """No credentials: compute answers, store and log them, post nothing."""
        return not (self.github_token or self.app_id)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            webhook_secrets=_webhook_secrets(env),
            insecure_no_signature=env.get("FAQBOT_INSECURE_NO_SIGNATURE", "").strip().lower() in _TRUE,
            github_token=env.get("GITHUB_TOKEN") or None,
            app_id=env.get("GITHUB_APP_ID") or None,
            app_private_key=_private_key(env),
            api_url=(env.get("GITHUB_API_URL") or cls.api_url).rstrip("/"),
            db_path=DatabaseUrl.parse(env.get("FAQBOT_DB") or cls.db_path).url,
            rules_dir=env.get("FAQBOT_RULES") or cls.rules_dir,
            port=_number(env, "PORT", int, cls.port),
            write_interval=_number(env, "FAQBOT_WRITE_INTERVAL", float, cls.write_interval),
            log_level=(env.get("FAQBOT_LOG_LEVEL") or cls.log_level).upper(),
            retry_base_delay=_number(env, "FAQBOT_RETRY_BASE_DELAY", float, cls.retry_base_delay),
            max_attempts=max(1, _number(env, "FAQBOT_MAX_ATTEMPTS", int, cls.max_attempts)),
            rate_limit_max_wait=_number(env, "FAQBOT_RATE_LIMIT_MAX_WAIT", float, cls.rate_limit_max_wait),
            lease_seconds=_number(env, "FAQBOT_LEASE_SECONDS", float, cls.lease_seconds),
            poll_interval=_number(env, "FAQBOT_POLL_INTERVAL", float, cls.poll_interval),
            http_timeout=_number(env, "FAQBOT_HTTP_TIMEOUT", float, cls.http_timeout),
            inprocess_worker=env.get("FAQBOT_INPROCESS_WORKER", "").strip().lower() in _TRUE,
            db_synchronous=_choice(env, "FAQBOT_DB_SYNCHRONOUS", ("FULL", "NORMAL"), cls.db_synchronous),
            db_busy_timeout=_number(env, "FAQBOT_DB_BUSY_TIMEOUT", float, cls.db_busy_timeout),
            worker_nice=min(19, _number(env, "FAQBOT_WORKER_NICE", int, cls.worker_nice)),
            needs_environment_label=env.get("FAQBOT_NEEDS_ENVIRONMENT_LABEL", cls.needs_environment_label).strip()
            or None,
            health_max_pending_age=_number(env, "FAQBOT_HEALTH_MAX_PENDING_AGE", float, cls.health_max_pending_age),
            health_worker_silence=_number(env, "FAQBOT_HEALTH_WORKER_SILENCE", float, cls.health_worker_silence),
            config_ttl=_number(env, "FAQBOT_CONFIG_TTL", float, cls.config_ttl),
            default_mode=_choice(env, "FAQBOT_DEFAULT_MODE", ("ON", "OFF", "SHADOW"), cls.default_mode).lower(),
            metrics_port=_number(env, "FAQBOT_METRICS_PORT", int, cls.metrics_port),
            retention_days=_number(env, "FAQBOT_RETENTION_DAYS", float, cls.retention_days),
        )

    def check_can_serve(self) -> None:
        """Refuse to take deliveries nobody can authenticate, unless told this is local development."""
        if not self.webhook_secrets and not self.insecure_no_signature:
            raise SettingsError(
                "GITHUB_WEBHOOK_SECRET is not set: set it to the webhook's secret, or, for local development "
                "only, set FAQBOT_INSECURE_NO_SIGNATURE=1 (or pass --insecure) to accept unsigned deliveries"
            )
        if self.app_id and not self.app_private_key:
            raise SettingsError(
                "GITHUB_APP_ID is set but no key: set GITHUB_APP_PRIVATE_KEY (PEM text) or GITHUB_APP_PRIVATE_KEY_PATH"
            )


def _webhook_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """The current secret, then the previous one while rotating; each exactly as configured.

    Never split or stripped: a secret may hold commas or spaces, and every fragment of a split
    secret would authenticate forged deliveries. Only one trailing newline (LF or CRLF) is
    dropped, the one a secret read from a file usually ends with; so a secret that really ends
    in a newline (possible only through GitHub's API, not its form) is not supported.
    """
    current = _secret(env, "GITHUB_WEBHOOK_SECRET")
    previous = _secret(env, "GITHUB_WEBHOOK_SECRET_PREVIOUS")
    if previous and not current:
        raise SettingsError(
            "GITHUB_WEBHOOK_SECRET_PREVIOUS is set but GITHUB_WEBHOOK_SECRET is not: set the new secret in "
            "GITHUB_WEBHOOK_SECRET and keep the old one in GITHUB_WEBHOOK_SECRET_PREVIOUS while rotating"
        )
    return tuple(dict.fromkeys(secret for secret in (current, previous) if secret))


def _secret(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    return value[:-1].removesuffix("\r") if value.endswith("\n") else value


def _private_key(env: Mapping[str, str]) -> str | None:
    if env.get("GITHUB_APP_PRIVATE_KEY"):
        return env["GITHUB_APP_PRIVATE_KEY"]
    path = env.get("GITHUB_APP_PRIVATE_KEY_PATH")
    if not path:
        return None
    try:
        return Path(path).read_text()
    except OSError as error:
        raise SettingsError(f"GITHUB_APP_PRIVATE_KEY_PATH={path!r} cannot be read: {error.strerror}") from None


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().upper()
    if value not in allowed:
        raise SettingsError(f"{name}={value!r} must be one of {', '.join(allowed)}")
    return value


def _number(env: Mapping[str, str], name: str, kind: type, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a {kind.__name__}") from None
    if value < 0:
        raise SettingsError(f"{name}={raw!r} must not be negative")
    return value
