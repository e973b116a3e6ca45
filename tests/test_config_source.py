"""Each repository's config as the worker uses it: where it is read, the cache, and a broken config never
turning the bot into something else."""

from __future__ import annotations

import pytest

from bot.config_source import DEFAULTS_SOURCE, RepoConfigs, config_places
from bot.github import GitHubError, RateLimited, Unavailable, UnreadableFile
from bot.jobs import Store
from bot.repo_config import RepoConfig
from bot.rules import load_rules
from bot.settings import DEFAULT_RULES

RULES = load_rules(DEFAULT_RULES)
REPO = "open-mmlab/mmcv"
PATH = ".github/faq-bot.yml"


class Reader:
    """get_file over a dict; an exception as a value is raised instead."""

    def __init__(self, files=None):
        self.files = dict(files or {})
        self.reads: list[tuple[str, str]] = []

    def get_file(self, repo, path):
        self.reads.append((repo, path))
        found = self.files.get((repo, path))
        if isinstance(found, Exception):
            raise found
        return found


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "db.sqlite3")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def configs(store, clock):
    return RepoConfigs(store, RULES, ttl=300, clock=clock)


def test_the_repository_then_its_owners_dot_github_then_the_defaults():
    assert config_places(REPO) == [(REPO, PATH), ("open-mmlab/.github", PATH)]
    assert config_places("open-mmlab/.github") == [("open-mmlab/.github", PATH)]


def test_no_config_anywhere_is_the_defaults_read_once_per_ttl(configs, clock):
    reader = Reader()
    loaded = configs.load(REPO, reader)
    assert (loaded.config, loaded.source, loaded.problem) == (RepoConfig(), DEFAULTS_SOURCE, None)
    assert len(reader.reads) == 2
    clock.now = 299
    configs.load(REPO, reader)
    assert len(reader.reads) == 2
    clock.now = 301
    configs.load(REPO, reader)
    assert len(reader.reads) == 4


def test_the_organisations_config_serves_a_repository_without_one(configs):
    loaded = configs.load(REPO, Reader({("open-mmlab/.github", PATH): "version: 1\nmode: shadow\n"}))
    assert loaded.config.mode == "shadow" and loaded.source == f"open-mmlab/.github:{PATH}"


def test_the_repositorys_own_config_wins(configs):
    reader = Reader({(REPO, PATH): "version: 1\nmode: off\n", ("open-mmlab/.github", PATH): "version: 1\n"})
    assert configs.load(REPO, reader).config.mode == "off" and reader.reads == [(REPO, PATH)]


def test_a_broken_config_keeps_the_last_good_one_and_says_so(configs, clock, caplog):
    reader = Reader({(REPO, PATH): "version: 1\nmode: shadow\n"})
    configs.load(REPO, reader)
    reader.files[(REPO, PATH)] = "version: 1\nmode: shadwo\n"
    clock.now = 1000
    loaded = configs.load(REPO, reader)
    assert loaded.config.mode == "shadow" and loaded.source.endswith("(last good)")
    assert "key 'mode': expected one of on, off, shadow, got 'shadwo'" in loaded.problem
    assert "keeps the last good config" in loaded.problem and "got 'shadwo'" in caplog.text


def test_the_last_good_config_survives_a_restart(store, clock):
    RepoConfigs(store, RULES, clock=clock).load(REPO, Reader({(REPO, PATH): "version: 1\nmode: shadow\n"}))
    restarted = RepoConfigs(store, RULES, clock=clock)
    assert restarted.load(REPO, Reader({(REPO, PATH): "version: 1\nmode: [shadow]\n"})).config.mode == "shadow"


def test_a_broken_first_config_falls_back_to_the_services_defaults_and_says_so(store, clock):
    configs = RepoConfigs(store, RULES, defaults=RepoConfig(mode="shadow"), clock=clock)
    loaded = configs.load(REPO, Reader({(REPO, PATH): "version: 1\nrules: {disable: [segfalt]}\n"}))
    assert loaded.config.mode == "shadow" and "unknown rule 'segfalt'" in loaded.problem
    assert "uses the service's defaults" in loaded.problem


def test_a_deleted_config_file_means_the_defaults(configs, clock, store):
    reader = Reader({(REPO, PATH): "version: 1\nmode: off\n"})
    configs.load(REPO, reader)
    del reader.files[(REPO, PATH)]
    clock.now = 1000
    assert configs.load(REPO, reader).config.mode == "on" and store.last_good_config(REPO) is None


@pytest.mark.parametrize("failure", [Unavailable("GitHub answered 502"), RateLimited("rate limited", 0.0)])
def test_github_failing_for_now_serves_the_last_good_config_or_waits(configs, clock, failure):
    with pytest.raises(type(failure)):
        configs.load("o/new", Reader({("o/new", PATH): failure}))  # no config known: the job runs later
    reader = Reader({(REPO, PATH): "version: 1\nmode: shadow\n"})
    configs.load(REPO, reader)
    reader.files[(REPO, PATH)] = failure
    clock.now = 1000
    loaded = configs.load(REPO, reader)
    assert loaded.config.mode == "shadow" and "could not read the config from GitHub" in loaded.problem


@pytest.mark.parametrize("failure", [UnreadableFile(f"{PATH} in {REPO} is 2000000 bytes"),
                                     GitHubError("GitHub answered 403: Resource not accessible by integration")])
def test_a_config_that_cannot_be_read_at_all_is_a_problem_named_in_replies(configs, failure):
    loaded = configs.load(REPO, Reader({(REPO, PATH): failure}))
    assert loaded.config == RepoConfig() and str(failure) in loaded.problem
