"""Shadow mode's report: what the bot would have posted in repositories with `mode: shadow` (pure).

The handlers record each would-be comment (bot/control_store.py, table shadow_comments); this turns
the records into a report per rule, with the latest text each issue would have received.
"""

from __future__ import annotations

from collections import Counter

from bot.control_store import ShadowRecord
from bot.report import Finding, Report, issue_url


def shadow_report(records: list[ShadowRecord], rule_ids: tuple[str, ...], web_root: str, repo: str | None = None) -> Report:
    latest: dict[str, ShadowRecord] = {}
    for record in records:  # oldest first: the last one of an issue is what it would show now
        latest[record.issue_key] = record
    findings = []
    for key, record in sorted(latest.items(), key=lambda item: _sort_key(item[0])):
        number = int(key.rpartition("#")[2])
        findings.append(Finding(key, issue_url(web_root, record.repo, number), record.title, record.rules,
                                record.labels, record.body))
    kinds = Counter(record.kind for record in records)
    summary = [("Repositories", repo or ", ".join(sorted({record.repo for record in records})) or "none"),
               ("Would-be comments recorded", str(len(records))),
               ("Issues they concern", str(len(findings)))]
    summary += [(f"  recorded on {kind}", str(count)) for kind, count in sorted(kinds.items())]
    title = f"faq-bot shadow report: {repo}" if repo else "faq-bot shadow report"
    return Report(title, tuple(summary), tuple(findings), rule_ids)


def _sort_key(issue_key: str) -> tuple[str, int]:
    repo, _, number = issue_key.rpartition("#")
    return repo, int(number) if number.isdigit() else 0
