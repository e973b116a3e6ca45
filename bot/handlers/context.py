"""What a handler works with: the job's Context, the setup the repository's config makes, the timed triage call."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot import metrics, policy
from bot.config_source import DEFAULT_LOADED, LoadedConfig
from bot.control_store import FeedbackStore
from bot.events import IssueRef, IssueSnapshot
from bot.github import IssueClient
from bot.issue import Issue
from bot.jobs import AnswerStore
from bot.rules import RuleSet
from bot.triage import DEFAULT_OPTIONS, Options, Verdict, triage


def _default_config() -> LoadedConfig:
    return DEFAULT_LOADED


@dataclass(frozen=True)
class Context:
    client: IssueClient
    answers: AnswerStore
    rules: RuleSet
    recovering: bool  # an earlier run of this job may already have written to GitHub
    needs_environment_label: str | None = "needs-environment"  # None: no label while waiting
    # The repository's config, asked for only when needed: bot/config_source.py (the worker caches it).
    repo_config: Callable[[], LoadedConfig] = _default_config
    feedback: FeedbackStore | None = None  # per-rule feedback, mutes, shadow records; None: none kept


@dataclass(frozen=True)
class Setup:
    """What the repository's config and feedback make of this job's triage."""

    loaded: LoadedConfig
    rules: RuleSet  # those that may answer on their own here
    options: Options

    @property
    def mode(self) -> str:
        return self.loaded.config.mode

    def labels(self, labels: tuple[str, ...]) -> tuple[str, ...]:
        return policy.rename_labels(labels, self.loaded.config)

    def changes_triage_of(self, rules: RuleSet) -> bool:
        """Whether triage here may differ from triage with ``rules`` and the default options (it
        does not when the repository enables every rule and keeps the defaults)."""
        return self.rules is not rules or self.options != DEFAULT_OPTIONS


def setup_for(context: Context, ref: IssueRef) -> Setup:
    loaded = context.repo_config()
    feedback = context.feedback
    muted = feedback.muted_rules(ref.repo) if feedback else frozenset()
    withdrawn = feedback.withdrawn_rules(ref.key) if feedback else frozenset()
    return Setup(loaded, policy.repo_rules(context.rules, loaded.config, muted, withdrawn),
                 policy.options(loaded.config))


def timed_triage(issue: Issue, rules: RuleSet, options: Options = Options()) -> Verdict:
    started = time.perf_counter()
    try:
        return triage(issue, rules, options)
    finally:
        metrics.TRIAGE_SECONDS.observe(time.perf_counter() - started)


def issue_of(ref: IssueRef, snapshot: IssueSnapshot) -> Issue:
    # The repository goes along: a rule's context may be met by the project an issue is filed on.
    return Issue(snapshot.title, snapshot.body, ref.repo)
