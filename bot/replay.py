"""`python -m bot replay OWNER/REPO`: the rules tried on a repository's past issues, posting nothing,
so maintainers can judge them on their own history before switching the bot on.

Issues are read a page of 100 at a time, oldest first (pull requests, which GitHub lists among
issues, are skipped from the list itself: no request each), triaged with the repository's config
(or `--config FILE`), and each result is stored at once in the bot's database (FAQBOT_DB) with the
page the run has reached. So nothing done is lost: a 5xx or a short rate limit is waited out; a
long rate limit, a GitHub error or Ctrl-C stops the run with a message, and the same command run
again resumes where it stopped. A run that went through to the end only rewrites its report;
`--restart` runs it anew. The report (markdown and HTML) names each issue `OWNER/REPO#N`, linked.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from bot import policy, reply
from bot.config_source import DEFAULTS_SOURCE, LoadedConfig, read_config_text, rule_vocabulary
from bot.control_store import ReplayIssue
from bot.events import IssueSnapshot
from bot.github import GitHubError, IssuePage, ListedIssue, RateLimited, reader_for
from bot.issue import Issue
from bot.jobs import Store
from bot.repo_config import ON, ConfigError, RepoConfig, load_config
from bot.report import Finding, Report, write_report
from bot.rules import RuleSet
from bot.settings import Settings
from bot.triage import triage

log = logging.getLogger(__name__)

PER_PAGE = 100  # GitHub's largest page
ANSWER, SILENT, SKIPPED, PULL_REQUEST, BEFORE_SINCE = "answer", "silent", "skipped", "pull_request", "before_since"
TRIAGED = (ANSWER, SILENT, SKIPPED)  # what --limit counts
EXIT_RATE_LIMITED, EXIT_INTERRUPTED, EXIT_GITHUB = 3, 130, 1


class IssueLister(Protocol):
    def list_issues(self, repo: str, page: int, since: datetime | None = None, per_page: int = PER_PAGE) -> IssuePage: ...


@dataclass(frozen=True)
class Plan:
    repo: str
    since: datetime | None = None  # only issues created at or after it
    limit: int | None = None  # at most this many issues triaged (pull requests not counted)
    restart: bool = False

    @property
    def run(self) -> str:
        """The run's name in the database: the same command resumes the same run."""
        return f"{self.repo}|since={self.since.isoformat() if self.since else 'all'}"


def parse_since(text: str) -> datetime:
    """`2024-01-31` or an ISO 8601 time; without a zone it is UTC. ValueError names what was expected."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since {text!r}: expected a date (2024-01-31) or an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def judge(issue: ListedIssue, repo: str, rules: RuleSet, config: RepoConfig) -> ReplayIssue:
    """What the bot would do with one past issue (pure). ``rules``: those the repository has enabled.

    Whatever the config's mode: a replay is how a repository that is off or in shadow tries the rules.
    """
    if issue.pull_request:
        return ReplayIssue(issue.number, issue.url, issue.title, PULL_REQUEST)
    snapshot = IssueSnapshot(issue.title, issue.body, issue.labels, issue.author, issue.author_association)
    held = policy.held_back(dataclasses.replace(config, mode=ON), snapshot)
    if held:
        return ReplayIssue(issue.number, issue.url, issue.title, SKIPPED, note=held)
    verdict = triage(Issue(issue.title, issue.body, repo), rules, policy.options(config))
    if verdict.comment is None:
        return ReplayIssue(issue.number, issue.url, issue.title, SILENT)
    return ReplayIssue(issue.number, issue.url, issue.title, ANSWER,
                       tuple(m.rule.id for m in verdict.matches[: reply.MAX_ANSWERS]),
                       policy.rename_labels(verdict.labels, config), verdict.comment)


def replay(plan: Plan, lister: IssueLister, config: RepoConfig, rules: RuleSet, store: Store,
           say: Callable[[str], None] = print, max_wait: float = 60.0, sleep: Callable[[float], None] = time.sleep,
           clock: Callable[[], float] = time.time) -> bool:
    """Run (or resume) the replay; True when it reached the end of the issues or the limit.

    Raises RateLimited (a long wait), GitHubError or KeyboardInterrupt with everything done so far kept.
    """
    run = store.replay_run(plan.run)
    if run is not None and run.finished and not plan.restart:
        say(f"this replay of {plan.repo} already went through every issue; its report is written again "
            "(--restart runs it anew)")
        return True
    if run is None or plan.restart:
        run = store.start_replay(plan.run, plan.repo, plan.since.isoformat() if plan.since else "")
    done = {issue.number: issue.outcome for issue in store.replay_issues(plan.run)}
    if done:
        say(f"resuming the replay of {plan.repo} at page {run.next_page} ({len(done)} issues kept from before)")
    triaged = sum(outcome in TRIAGED for outcome in done.values())
    enabled = policy.repo_rules(rules, config)
    page_number = run.next_page
    while plan.limit is None or triaged < plan.limit:
        page = lister.list_issues(plan.repo, page_number, plan.since, PER_PAGE)
        for listed in page.issues:
            if listed.number in done:
                continue
            if plan.limit is not None and triaged >= plan.limit:
                break
            if plan.since and not listed.pull_request and _created(listed) < plan.since:
                found = ReplayIssue(listed.number, listed.url, listed.title, BEFORE_SINCE)  # updated since, not new
            else:
                found = judge(listed, plan.repo, enabled, config)
            store.save_replay_issue(plan.run, found)
            done[listed.number] = found.outcome
            triaged += found.outcome in TRIAGED
        else:
            answered = sum(outcome == ANSWER for outcome in done.values())
            say(f"page {page_number}: {len(page.issues)} listed; {triaged} issues triaged so far, "
                f"{answered} would be answered")
            if not page.has_next:
                store.replay_progress(plan.run, page_number, finished=True)
                return True
            page_number += 1
            store.replay_progress(plan.run, page_number)
            _pace(page, say, max_wait, sleep, clock)
            continue
        break  # the limit was reached within this page: a later run with a higher limit goes on from it
    say(f"stopped at the limit of {plan.limit} issues; a higher --limit goes on from here")
    return True


def _created(issue: ListedIssue) -> datetime:
    try:
        return parse_since(issue.created_at)
    except ValueError:
        return datetime.max.replace(tzinfo=timezone.utc)  # unreadable: counted in, not silently dropped


def _pace(page: IssuePage, say: Callable[[str], None], max_wait: float, sleep: Callable[[float], None],
          clock: Callable[[], float]) -> None:
    """Before asking for the next page: wait for the rate limit's reset if this page used it up."""
    if page.rate_remaining != 0 or page.rate_reset is None:
        return
    wait = max(0.0, page.rate_reset - clock()) + 1.0
    if wait > max_wait:
        raise RateLimited(f"GitHub's rate limit is used up for {wait:.0f} s", page.rate_reset)
    say(f"GitHub's rate limit is used up: waiting {wait:.0f} s for it to reset")
    sleep(wait)


def replay_report(plan: Plan, store: Store, rules: RuleSet, loaded: LoadedConfig, state: str) -> Report:
    issues = store.replay_issues(plan.run)
    outcomes = [issue.outcome for issue in issues]
    triaged = sum(outcome in TRIAGED for outcome in outcomes)
    answered = outcomes.count(ANSWER)
    share = f" ({answered / triaged:.0%})" if triaged else ""
    summary = (
        ("Repository", plan.repo),
        ("Issues created since", plan.since.date().isoformat() if plan.since else "the first"),
        ("Config", loaded.source + (f" ({loaded.problem})" if loaded.problem else "")),
        ("Issues triaged", str(triaged)),
        ("Would be answered", f"{answered}{share}"),
        ("Silent", str(outcomes.count(SILENT))),
        ("Skipped by the config", str(outcomes.count(SKIPPED))),
        ("Pull requests passed over", str(outcomes.count(PULL_REQUEST))),
        ("Run", state),
    )
    findings = tuple(Finding(f"{plan.repo}#{issue.number}", issue.url, issue.title, issue.rules, issue.labels,
                             issue.comment or "") for issue in issues if issue.outcome == ANSWER)
    enabled = tuple(rule_id for rule_id in rules.ids if loaded.config.rule_enabled(rule_id))
    return Report(f"faq-bot replay of {plan.repo}", summary, findings, enabled)


def load_replay_config(repo: str, reader, rules: RuleSet, path: str | None) -> LoadedConfig:
    """`--config FILE`, else the repository's own config as the service would read it, else the defaults.

    Raises ConfigError for a broken file: a replay must not quietly try other settings than asked.
    """
    ids, labels = rule_vocabulary(rules)
    if path:
        return LoadedConfig(load_config(Path(path).read_text(encoding="utf-8"), path, ids, labels), path)
    found = read_config_text(repo, reader)
    if found is None:
        return LoadedConfig(RepoConfig(), DEFAULTS_SOURCE)
    return LoadedConfig(load_config(found[1], found[0], ids, labels), found[0])


def run_replay(plan: Plan, settings: Settings, rules: RuleSet, report_path: str | None, config_path: str | None,
               say: Callable[[str], None] = print) -> int:
    """The command: replay, then write the report, whatever stopped the run. Returns the exit status."""
    store = Store.from_settings(settings)
    report_path = report_path or f"replay-{plan.repo.replace('/', '-')}"
    try:
        reader = reader_for(settings, plan.repo)
        loaded = load_replay_config(plan.repo, reader, rules, config_path)
    except (ConfigError, GitHubError) as error:
        say(f"error: {error}")
        return 2
    say(f"replaying {plan.repo} with {loaded.source}; results go to {settings.database}")
    status, state = 0, "complete"
    try:
        replay(plan, reader, loaded.config, rules, store, say, settings.rate_limit_max_wait)
    except RateLimited as error:
        reset = datetime.fromtimestamp(error.until, timezone.utc).strftime("%H:%M:%S UTC")
        status, state = EXIT_RATE_LIMITED, f"stopped: rate limited until {reset}"
        say(f"stopped: {error}; GitHub's limit resets at {reset}. Everything done so far is kept: "
            "run the same command again after that to resume.")
    except GitHubError as error:
        status, state = EXIT_GITHUB, f"stopped: {error}"
        say(f"stopped: {error}. Everything done so far is kept: run the same command again to resume.")
    except KeyboardInterrupt:
        status, state = EXIT_INTERRUPTED, "interrupted"
        say("interrupted. Everything done so far is kept: run the same command again to resume.")
    markdown, page = write_report(replay_report(plan, store, rules, loaded, state), report_path)
    say(f"report: {markdown} and {page}")
    return status
