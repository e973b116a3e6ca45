"""What a repository's config and its maintainers' feedback make of the rules, labels and issues (pure).

The handlers decide with these; triage stays as it is and receives only the rules a repository has
enabled and the options its config sets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from bot.control_store import RuleCounts
from bot.events import IssueSnapshot
from bot.repo_config import MIN_SCORE, OFF, Mute, RepoConfig
from bot.rules import RuleSet
from bot.triage import DEFAULT_OPTIONS, Options


def repo_rules(rules: RuleSet, config: RepoConfig, muted: Collection[str] = (),
               withdrawn: Collection[str] = ()) -> RuleSet:
    """The rules that may answer on their own here: enabled by the config, not muted, and not
    withdrawn on this issue with `/faq off`."""
    return rules.only(rule.id for rule in rules.rules
                      if config.rule_enabled(rule.id) and rule.id not in muted and rule.id not in withdrawn)


def options(config: RepoConfig) -> Options:
    # A bar at MIN_SCORE, the least any rule's own threshold may be, drops nothing: triage's default
    # then, so that a repository on the defaults gets the options of the triage the handlers ran first.
    min_score = config.min_score if config.min_score > MIN_SCORE else DEFAULT_OPTIONS.min_score
    return Options(min_score=min_score, fallback_language=config.language,
                   ask_for_environment=config.ask_for_environment)


def rename_labels(labels: Iterable[str], config: RepoConfig) -> tuple[str, ...]:
    """Rule labels as this repository names them, those it dropped left out, each once."""
    renamed = (config.label(label) for label in labels)
    return tuple(dict.fromkeys(label for label in renamed if label))


def held_back(config: RepoConfig, issue: IssueSnapshot) -> str | None:
    """Why the bot must not act on its own on this issue here, or None."""
    if config.mode == OFF:
        return "off: faq-bot is switched off in this repository (mode: off)"
    skip = config.skip
    label = next((label for label in issue.labels if label in skip.labels), None)
    if label is not None:
        return f"skipped: the issue has the label {label!r} (skip.labels)"
    if _login_listed(issue.author, skip.authors):
        return f"skipped: the issue's author {issue.author!r} is in skip.authors"
    if issue.author_association and issue.author_association in skip.author_associations:
        return f"skipped: the issue's author is {issue.author_association} (skip.author_associations)"
    return None


def _login_listed(login: str, listed: Iterable[str]) -> bool:
    """``dependabot`` lists the account `dependabot[bot]` too; logins compare without case, as GitHub's do."""
    login = login.lower().removesuffix("[bot]")
    return bool(login) and any(login == name.lower().removesuffix("[bot]") for name in listed)


def should_mute(counts: RuleCounts, mute: Mute) -> bool:
    """Withdrawn on more than the configured share of its answers, once it has answered enough."""
    return counts.answered >= mute.min_answers and counts.withdrawn > mute.withdrawn_share * counts.answered
