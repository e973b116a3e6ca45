"""What the bot remembers for its maintainers' control: per-rule feedback and mutes, shadow records,
each repository's last good config, and the progress of replays.

Tables and methods that bot/jobs.py's Store takes in (`ControlTables` is one of its bases):
the same SQLite file, the same connection per thread, one short statement per transaction.
`FeedbackStore` is what handlers may ask of it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Protocol

ANSWERED, WITHDRAWN, LABEL_REMOVED = "answered", "withdrawn", "label_removed"
RULE_EVENTS = (ANSWERED, WITHDRAWN, LABEL_REMOVED)

CONTROL_SCHEMA = """
CREATE TABLE IF NOT EXISTS answer_rules (  -- the rules the issue's answer comment holds now
    issue_key  TEXT PRIMARY KEY,
    rules      TEXT NOT NULL,                  -- JSON list of rule ids
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_events (  -- feedback per rule, once per issue and event
    repo       TEXT NOT NULL,
    issue_key  TEXT NOT NULL,
    rule_id    TEXT NOT NULL,
    event      TEXT NOT NULL,                  -- answered | withdrawn (/faq off) | label_removed (by a person)
    created_at REAL NOT NULL,
    PRIMARY KEY (issue_key, rule_id, event)
);
CREATE INDEX IF NOT EXISTS rule_events_by_rule ON rule_events (repo, rule_id, event, created_at);
CREATE TABLE IF NOT EXISTS muted_rules (  -- rules withdrawn too often in a repository
    repo       TEXT NOT NULL,
    rule_id    TEXT NOT NULL,
    muted      INTEGER NOT NULL,               -- 1: muted; 0: a maintainer turned it back on at changed_at
    changed_at REAL NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (repo, rule_id)
);
CREATE TABLE IF NOT EXISTS shadow_comments (  -- what the bot would have posted in shadow mode
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    repo       TEXT NOT NULL,
    issue_key  TEXT NOT NULL,
    kind       TEXT NOT NULL,                  -- opened | edited | author-comment | command
    title      TEXT NOT NULL,                  -- the issue's title then
    rules      TEXT NOT NULL,
    labels     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS repo_configs (  -- each repository's last good .github/faq-bot.yml
    repo       TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    text       TEXT NOT NULL,
    checked_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS replay_runs (  -- `python -m bot replay`: where a run stands, to resume it
    run        TEXT PRIMARY KEY,               -- repository and --since
    repo       TEXT NOT NULL,
    since      TEXT NOT NULL,
    next_page  INTEGER NOT NULL,
    finished   INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS replay_issues (  -- each issue a run has triaged, stored as soon as it is
    run      TEXT NOT NULL,
    number   INTEGER NOT NULL,
    url      TEXT NOT NULL,
    title    TEXT NOT NULL,
    outcome  TEXT NOT NULL,                    -- answer | silent | skipped | pull_request | before_since
    rules    TEXT NOT NULL,
    labels   TEXT NOT NULL,
    comment  TEXT,
    note     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run, number)
);
"""


@dataclass(frozen=True)
class RuleCounts:
    answered: int = 0
    withdrawn: int = 0
    labels_removed: int = 0


@dataclass(frozen=True)
class RuleStats:
    repo: str
    rule_id: str
    counts: RuleCounts
    muted: bool


@dataclass(frozen=True)
class ShadowRecord:
    repo: str
    issue_key: str
    kind: str
    title: str
    rules: tuple[str, ...]
    labels: tuple[str, ...]
    body: str
    created_at: float


@dataclass(frozen=True)
class ReplayRun:
    run: str
    repo: str
    since: str
    next_page: int
    finished: bool


@dataclass(frozen=True)
class ReplayIssue:
    number: int
    url: str
    title: str
    outcome: str
    rules: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    comment: str | None = None
    note: str = ""


class FeedbackStore(Protocol):
    """What handlers remember for maintainers: the rules of each answer, feedback per rule, mutes, shadow records."""

    def answer_rules(self, issue_key: str) -> tuple[str, ...]: ...
    def set_answer_rules(self, issue_key: str, rules: tuple[str, ...]) -> None: ...
    def record_rule_event(self, repo: str, issue_key: str, rule_id: str, event: str) -> None: ...
    def rule_counts(self, repo: str, rule_id: str) -> RuleCounts: ...
    def withdrawn_rules(self, issue_key: str) -> frozenset[str]: ...
    def muted_rules(self, repo: str) -> frozenset[str]: ...
    def set_muted(self, repo: str, rule_id: str, muted: bool, reason: str = "") -> bool: ...
    def record_shadow(self, repo: str, issue_key: str, kind: str, title: str, rules: tuple[str, ...],
                      labels: tuple[str, ...], body: str) -> None: ...


class ControlTables:
    """The methods over CONTROL_SCHEMA; the class that takes them in provides ``_connection()``."""

    def _connection(self):  # pragma: no cover - Store's
        raise NotImplementedError

    # -- feedback and mutes -------------------------------------------------------------------

    def answer_rules(self, issue_key: str) -> tuple[str, ...]:
        row = self._connection().execute("SELECT rules FROM answer_rules WHERE issue_key = ?", (issue_key,)).fetchone()
        return tuple(json.loads(row[0])) if row else ()

    def set_answer_rules(self, issue_key: str, rules: tuple[str, ...]) -> None:
        self._connection().execute(
            "INSERT INTO answer_rules (issue_key, rules, updated_at) VALUES (?, ?, ?) ON CONFLICT (issue_key)"
            " DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at",
            (issue_key, json.dumps(list(rules)), time.time()),
        )

    def record_rule_event(self, repo: str, issue_key: str, rule_id: str, event: str) -> None:
        self._connection().execute(
            "INSERT INTO rule_events (repo, issue_key, rule_id, event, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING", (repo, issue_key, rule_id, event, time.time()),
        )

    def rule_counts(self, repo: str, rule_id: str) -> RuleCounts:
        """The rule's feedback in ``repo`` since a maintainer last turned it back on (or ever)."""
        db = self._connection()
        row = db.execute("SELECT changed_at FROM muted_rules WHERE repo = ? AND rule_id = ? AND muted = 0",
                         (repo, rule_id)).fetchone()
        counts = dict(db.execute(
            "SELECT event, count(*) FROM rule_events WHERE repo = ? AND rule_id = ? AND created_at >= ? GROUP BY event",
            (repo, rule_id, row[0] if row else 0.0)).fetchall())
        return RuleCounts(counts.get(ANSWERED, 0), counts.get(WITHDRAWN, 0), counts.get(LABEL_REMOVED, 0))

    def withdrawn_rules(self, issue_key: str) -> frozenset[str]:
        rows = self._connection().execute(
            "SELECT rule_id FROM rule_events WHERE issue_key = ? AND event = ?", (issue_key, WITHDRAWN))
        return frozenset(rule_id for (rule_id,) in rows)

    def muted_rules(self, repo: str) -> frozenset[str]:
        rows = self._connection().execute("SELECT rule_id FROM muted_rules WHERE repo = ? AND muted = 1", (repo,))
        return frozenset(rule_id for (rule_id,) in rows)

    def set_muted(self, repo: str, rule_id: str, muted: bool, reason: str = "") -> bool:
        """Mute a rule in ``repo``, or turn it back on; False when it already was so."""
        db = self._connection()
        row = db.execute("SELECT muted FROM muted_rules WHERE repo = ? AND rule_id = ?", (repo, rule_id)).fetchone()
        if bool(row and row[0]) == muted:
            return False
        db.execute(
            "INSERT INTO muted_rules (repo, rule_id, muted, changed_at, reason) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (repo, rule_id) DO UPDATE SET muted = excluded.muted, changed_at = excluded.changed_at,"
            " reason = excluded.reason", (repo, rule_id, int(muted), time.time(), reason),
        )
        return True

    def rule_stats(self, repo: str | None = None) -> list[RuleStats]:
        """All-time feedback per repository and rule, for `python -m bot stats`."""
        db = self._connection()
        where, values = ("WHERE repo = ?", (repo,)) if repo else ("", ())
        figures: dict[tuple[str, str], dict[str, int]] = {}
        for row_repo, rule_id, event, count in db.execute(
                f"SELECT repo, rule_id, event, count(*) FROM rule_events {where} GROUP BY repo, rule_id, event", values):
            figures.setdefault((row_repo, rule_id), {})[event] = count
        muted = {(row_repo, rule_id) for row_repo, rule_id in db.execute(
            f"SELECT repo, rule_id FROM muted_rules {where} {'AND' if where else 'WHERE'} muted = 1", values)}
        return [RuleStats(row_repo, rule_id, RuleCounts(got.get(ANSWERED, 0), got.get(WITHDRAWN, 0),
                                                         got.get(LABEL_REMOVED, 0)), (row_repo, rule_id) in muted)
                for (row_repo, rule_id), got in sorted((key, figures.get(key, {})) for key in set(figures) | muted)]

    def rule_totals(self) -> dict[str, dict[str, int]]:
        """rule id -> event -> issues, over every repository (for the metrics)."""
        totals: dict[str, dict[str, int]] = {}
        for rule_id, event, count in self._connection().execute(
                "SELECT rule_id, event, count(*) FROM rule_events GROUP BY rule_id, event"):
            totals.setdefault(rule_id, dict.fromkeys(RULE_EVENTS, 0))[event] = count
        return totals

    # -- shadow mode --------------------------------------------------------------------------

    def record_shadow(self, repo: str, issue_key: str, kind: str, title: str, rules: tuple[str, ...],
                      labels: tuple[str, ...], body: str) -> None:
        self._connection().execute(
            "INSERT INTO shadow_comments (repo, issue_key, kind, title, rules, labels, body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (repo, issue_key, kind, title, json.dumps(list(rules)), json.dumps(list(labels)), body, time.time()),
        )

    def shadow_records(self, repo: str | None = None) -> list[ShadowRecord]:
        where, values = ("WHERE repo = ?", (repo,)) if repo else ("", ())
        rows = self._connection().execute(
            f"SELECT repo, issue_key, kind, title, rules, labels, body, created_at FROM shadow_comments {where}"
            " ORDER BY id", values).fetchall()
        return [ShadowRecord(row_repo, key, kind, title, tuple(json.loads(rules)), tuple(json.loads(labels)), body, at)
                for row_repo, key, kind, title, rules, labels, body, at in rows]

    # -- repository configs -------------------------------------------------------------------

    def last_good_config(self, repo: str) -> tuple[str, str] | None:
        """(source, text) of the repository's last config that loaded without error."""
        row = self._connection().execute("SELECT source, text FROM repo_configs WHERE repo = ?", (repo,)).fetchone()
        return (row[0], row[1]) if row else None

    def remember_good_config(self, repo: str, source: str, text: str) -> None:
        self._connection().execute(
            "INSERT INTO repo_configs (repo, source, text, checked_at) VALUES (?, ?, ?, ?) ON CONFLICT (repo)"
            " DO UPDATE SET source = excluded.source, text = excluded.text, checked_at = excluded.checked_at",
            (repo, source, text, time.time()),
        )

    def forget_config(self, repo: str) -> None:
        """The repository has no config file any more: its defaults are now what it chose."""
        self._connection().execute("DELETE FROM repo_configs WHERE repo = ?", (repo,))

    # -- replays ------------------------------------------------------------------------------

    def replay_run(self, run: str) -> ReplayRun | None:
        row = self._connection().execute(
            "SELECT run, repo, since, next_page, finished FROM replay_runs WHERE run = ?", (run,)).fetchone()
        return ReplayRun(row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    def start_replay(self, run: str, repo: str, since: str) -> ReplayRun:
        """A run from its first page, forgetting what an earlier run of the same command found."""
        db = self._connection()
        db.execute("DELETE FROM replay_issues WHERE run = ?", (run,))
        db.execute("INSERT INTO replay_runs (run, repo, since, next_page, finished, updated_at) VALUES (?, ?, ?, 1, 0, ?)"
                   " ON CONFLICT (run) DO UPDATE SET next_page = 1, finished = 0, updated_at = excluded.updated_at",
                   (run, repo, since, time.time()))
        return ReplayRun(run, repo, since, 1, False)

    def replay_progress(self, run: str, next_page: int, finished: bool = False) -> None:
        self._connection().execute("UPDATE replay_runs SET next_page = ?, finished = ?, updated_at = ? WHERE run = ?",
                                   (next_page, int(finished), time.time(), run))

    def save_replay_issue(self, run: str, issue: ReplayIssue) -> None:
        self._connection().execute(
            "INSERT INTO replay_issues (run, number, url, title, outcome, rules, labels, comment, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run, number) DO NOTHING",
            (run, issue.number, issue.url, issue.title, issue.outcome, json.dumps(list(issue.rules)),
             json.dumps(list(issue.labels)), issue.comment, issue.note),
        )

    def replay_issues(self, run: str) -> list[ReplayIssue]:
        rows = self._connection().execute(
            "SELECT number, url, title, outcome, rules, labels, comment, note FROM replay_issues WHERE run = ?"
            " ORDER BY number", (run,)).fetchall()
        return [ReplayIssue(number, url, title, outcome, tuple(json.loads(rules)), tuple(json.loads(labels)), comment,
                            note) for number, url, title, outcome, rules, labels, comment, note in rows]
