"""Measuring triage on a labelled corpus: precision, recall and F1 overall and per rule, wrong cases."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from bot.issue import Issue
from bot.rules import RuleSet
from bot.triage import triage


class CorpusError(ValueError):
    """A corpus line that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    body: str | None
    expected: frozenset[str]
    repo: str = ""


@dataclass(frozen=True)
class CaseResult:
    case: Case
    predicted: frozenset[str]
    commented: bool
    hints: tuple[str, ...] = ()  # hints are no FAQ entry: listed apart, never counted as a rule

    @property
    def right(self) -> bool:
        return self.predicted == self.case.expected


@dataclass
class Counts:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_json(self) -> dict:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.true_positive,
            "fp": self.false_positive,
            "fn": self.false_negative,
        }


@dataclass
class Report:
    results: list[CaseResult]
    overall: Counts = field(default_factory=Counts)
    per_rule: dict[str, Counts] = field(default_factory=dict)

    @property
    def comments_on_silent_cases(self) -> list[CaseResult]:
        return [r for r in self.results if not r.case.expected and r.commented]

    # Several corpora measured together: each one's name and the positions of its results.
    corpora: dict[str, range] = field(default_factory=dict)

    def part(self, name: str) -> Report:
        """The report of one corpus of several, counted on its own."""
        return tally([self.results[i] for i in self.corpora[name]])

    def as_json(self) -> dict:
        view = {
            **self.overall.as_json(),
            "cases_total": len(self.results),
            "comments_on_silent_cases": len(self.comments_on_silent_cases),
            "per_rule": {rule: counts.as_json() for rule, counts in sorted(self.per_rule.items())},
            "cases": [
                {"id": r.case.id, "expected": sorted(r.case.expected), "predicted": sorted(r.predicted),
                 **({"hints": list(r.hints)} if r.hints else {})}
                for r in self.results
            ],
        }
        if len(self.corpora) > 1:
            view["corpora"] = {
                name: {**part.overall.as_json(), "cases_total": len(part.results),
                       "comments_on_silent_cases": len(part.comments_on_silent_cases)}
                for name, part in ((name, self.part(name)) for name in self.corpora)
            }
        return view


def read_corpus(path: str | Path) -> Iterator[Case]:
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                yield Case(
                    str(row["id"]), row.get("title") or "", row.get("body"),
                    frozenset(row["expected"] or ()), str(row.get("repo") or ""),
                )
            except (ValueError, KeyError, TypeError) as error:
                raise CorpusError(f"{path}:{number}: not a corpus case (needs id, title, body, expected): {error}") from error


def evaluate(cases: Iterable[Case], rules: RuleSet) -> Report:
    """Run triage on every case and count, per rule id, what it found against what was expected."""
    results = []
    for case in cases:
        verdict = triage(Issue(case.title, case.body, case.repo), rules)
        predicted = frozenset(m.rule.id for m in verdict.matches)
        hints = tuple(f"{hint.message}: " + ", ".join(f"{k}={v}" for k, v in hint.fields) for hint in verdict.hints)
        results.append(CaseResult(case, predicted, verdict.comment is not None, hints))
    return tally(results)


def evaluate_corpora(corpora: Iterable[tuple[str, Iterable[Case]]], rules: RuleSet) -> Report:
    """Several corpora measured together; ``Report.part(name)`` gives each one apart."""
    results: list[CaseResult] = []
    spans: dict[str, range] = {}
    for name, cases in corpora:
        start = len(results)
        results += evaluate(cases, rules).results
        spans[name] = range(start, len(results))
    report = tally(results)
    report.corpora = spans
    return report


def tally(results: list[CaseResult]) -> Report:
    report = Report(list(results))
    for result in results:
        for rule_id in result.predicted | result.case.expected:
            counts = report.per_rule.setdefault(rule_id, Counts())
            for target in (counts, report.overall):
                if rule_id in result.predicted and rule_id in result.case.expected:
                    target.true_positive += 1
                elif rule_id in result.predicted:
                    target.false_positive += 1
                else:
                    target.false_negative += 1
    return report


def _headline(report: Report) -> str:
    overall = report.overall
    return (
        f"precision: {overall.precision:.3f}  recall: {overall.recall:.3f}  f1: {overall.f1:.3f}"
        f"  (tp {overall.true_positive}, fp {overall.false_positive}, fn {overall.false_negative})"
        f"  comments on cases expecting silence: {len(report.comments_on_silent_cases)}"
    )


def format_report(report: Report) -> str:
    overall = report.overall
    apart = []
    if len(report.corpora) > 1:
        apart = ["corpora apart:"] + [
            f"  {name} ({len(report.corpora[name])} cases): {_headline(report.part(name))}" for name in report.corpora
        ] + ["", "together:"]
    lines = [
        *apart,
        f"cases: {len(report.results)}",
        f"precision: {overall.precision:.3f}  recall: {overall.recall:.3f}  f1: {overall.f1:.3f}"
        f"  (tp {overall.true_positive}, fp {overall.false_positive}, fn {overall.false_negative})",
        f"comments on cases expecting silence: {len(report.comments_on_silent_cases)}",
        "",
        f"{'rule':28} {'prec':>6} {'rec':>6} {'f1':>6} {'tp':>4} {'fp':>4} {'fn':>4}",
    ]
    for rule_id, counts in sorted(report.per_rule.items()):
        lines.append(
            f"{rule_id:28} {counts.precision:6.3f} {counts.recall:6.3f} {counts.f1:6.3f}"
            f" {counts.true_positive:4} {counts.false_positive:4} {counts.false_negative:4}"
        )
    wrong = [r for r in report.results if not r.right]
    lines += ["", f"wrong cases: {len(wrong)}"]
    for result in wrong:
        lines.append(
            f"  {result.case.id}: expected {sorted(result.case.expected) or '[]'}"
            f" predicted {sorted(result.predicted) or '[]'}"
        )
    hinted = [r for r in report.results if r.hints]
    lines += ["", f"hints (no FAQ entry, not counted above): {len(hinted)}"]
    for result in hinted:
        expected = sorted(result.case.expected) or "[]"
        lines += [f"  {result.case.id} (expected {expected}): {hint}" for hint in result.hints]
    return "\n".join(lines)
