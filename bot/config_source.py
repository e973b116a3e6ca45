"""Each repository's config as the worker uses it: read through GitHub, cached, the last good one kept.

Where it comes from, first found wins: `.github/faq-bot.yml` on the repository's default branch,
the same file in the owner's `.github` repository (an organisation-wide config), then the
service's defaults (FAQBOT_DEFAULT_MODE). A config read is cached for FAQBOT_CONFIG_TTL seconds,
so a repository costs at most two reads in that time.

A broken config never silently turns the bot into something else: the bot keeps the last good
config (remembered in the database, so a restart keeps it too), or the defaults when there never
was one, and says so in the log and in its `/faq` replies (`LoadedConfig.problem`). When GitHub
cannot be asked (rate limited, down) the last good config serves; with none, the job waits and
runs again rather than guess.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.github import GitHubError, RateLimited, Unavailable
from bot.repo_config import CONFIG_PATH, DEFAULT, ConfigError, RepoConfig, load_config
from bot.rules import RuleSet

log = logging.getLogger(__name__)

DEFAULTS_SOURCE = "the service's defaults"


@dataclass(frozen=True)
class LoadedConfig:
    config: RepoConfig
    source: str  # where it was read: "owner/repo:.github/faq-bot.yml", or DEFAULTS_SOURCE
    problem: str | None = None  # why the config in the repository is not the one in force


DEFAULT_LOADED = LoadedConfig(DEFAULT, DEFAULTS_SOURCE)


class FileReader(Protocol):
    def get_file(self, repo: str, path: str) -> str | None: ...


class ConfigMemory(Protocol):
    def last_good_config(self, repo: str) -> tuple[str, str] | None: ...
    def remember_good_config(self, repo: str, source: str, text: str) -> None: ...
    def forget_config(self, repo: str) -> None: ...


def config_places(repo: str) -> list[tuple[str, str]]:
    """(repository, path) to look in, in order: the repository, then its owner's `.github` repository."""
    owner, _, name = repo.partition("/")
    places = [(repo, CONFIG_PATH)]
    if name != ".github":
        places.append((f"{owner}/.github", CONFIG_PATH))
    return places


def read_config_text(repo: str, reader: FileReader) -> tuple[str, str] | None:
    """(source, text) of the first config file found for ``repo``; None when there is none."""
    for place, path in config_places(repo):
        text = reader.get_file(place, path)
        if text is not None:
            return f"{place}:{path}", text
    return None


def rule_vocabulary(rules: RuleSet) -> tuple[frozenset[str], frozenset[str]]:
    """The rule ids and rule labels a config may name."""
    return frozenset(rules.ids), frozenset(label for rule in rules.rules for label in rule.labels)


class RepoConfigs:
    """The config in force per repository, for one worker process (thread-safe)."""

    def __init__(self, memory: ConfigMemory, rules: RuleSet, defaults: RepoConfig = DEFAULT, ttl: float = 300.0,
                 clock: Callable[[], float] = time.monotonic):
        self._memory, self._defaults, self._ttl, self._clock = memory, defaults, ttl, clock
        self._ids, self._labels = rule_vocabulary(rules)
        self._cache: dict[str, tuple[float, LoadedConfig]] = {}
        self._lock = threading.Lock()

    def load(self, repo: str, reader: FileReader) -> LoadedConfig:
        with self._lock:
            cached = self._cache.get(repo)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        loaded = self._read(repo, reader)
        with self._lock:
            self._cache[repo] = (self._clock() + self._ttl, loaded)
        return loaded

    def _read(self, repo: str, reader: FileReader) -> LoadedConfig:
        try:
            found = read_config_text(repo, reader)
        except (RateLimited, Unavailable) as error:
            return self._fallback(repo, f"could not read the config from GitHub ({error})", or_raise=error)
        except GitHubError as error:  # no permission to read contents, an unreadable file
            return self._fallback(repo, f"could not read the config: {error}")
        if found is None:
            self._memory.forget_config(repo)
            return LoadedConfig(self._defaults, DEFAULTS_SOURCE)
        source, text = found
        try:
            config = load_config(text, source, self._ids, self._labels)
        except ConfigError as error:
            return self._fallback(repo, str(error))
        self._memory.remember_good_config(repo, source, text)
        return LoadedConfig(config, source)

    def _fallback(self, repo: str, problem: str, or_raise: Exception | None = None) -> LoadedConfig:
        """The last good config, or the defaults; or, when GitHub only failed for now, ``or_raise``."""
        last = self._memory.last_good_config(repo)
        if last is not None:
            source, text = last
            try:
                loaded = LoadedConfig(load_config(text, source, self._ids, self._labels), f"{source} (last good)",
                                      f"{problem}; faq-bot keeps the last good config")
            except ConfigError as error:  # good once, but a rule it names is gone since
                log.warning("%s: the last good config no longer loads: %s", repo, error)
            else:
                log.warning("%s: %s", repo, loaded.problem)
                return loaded
        if or_raise is not None:
            raise or_raise
        loaded = LoadedConfig(self._defaults, DEFAULTS_SOURCE, f"{problem}; faq-bot uses the service's defaults")
        log.warning("%s: %s", repo, loaded.problem)
        return loaded
