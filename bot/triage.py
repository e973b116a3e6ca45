"""triage(issue, rules) -> Verdict: the whole core, from an issue's text to the comment and labels (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from bot import diagnosis, reply
from bot.diagnosis import Diagnosis
from bot.environment import Environment, parse_environment
from bot.findings import Finding, read_findings
from bot.issue import ErrorSignature, Issue, IssueText, bounded_body, detect_language, extract_signatures, read_issue
from bot.matcher import Evidence, Match, explain, match_rules, where
from bot.rules import RuleSet


@dataclass(frozen=True)
class Verdict:
    language: str
    signatures: tuple[ErrorSignature, ...]
    env: Environment
    matches: tuple[Match, ...]
    diagnoses: tuple[Diagnosis, ...]
    labels: tuple[str, ...]
    comment: str | None  # None: the bot stays silent
    # Hints answer no FAQ entry (a misspelt class name, a class newer than the installed release).
    hints: tuple[Finding, ...] = ()
    findings: tuple[Finding, ...] = ()

    def to_json(self) -> dict:
        return {
            "language": self.language,
            "matches": [
                {"rule": m.rule.id, "score": m.score, "evidence": m.evidence.text, "line": m.evidence.line,
                 "findings": [_finding_json(f) for f in m.findings]}
                for m in self.matches
            ],
            "hints": [_finding_json(f) for f in self.hints],
            "findings": [_finding_json(f) for f in self.findings],
            "labels": list(self.labels),
            "diagnoses": [{"id": d.id, "facts": dict(d.facts)} for d in self.diagnoses],
            "signatures": [{"kind": s.kind, "text": s.text, "line": s.line} for s in self.signatures],
            "env": self.env.to_json(),
            "comment": self.comment,
        }


def _finding_json(finding: Finding) -> dict:
    return {"kind": finding.kind, "value": finding.value, "line": finding.line, "fields": dict(finding.fields)}


@dataclass(frozen=True)
class _Reading:
    language: str
    text: IssueText
    signatures: tuple[ErrorSignature, ...]
    env: Environment
    findings: tuple[Finding, ...]


def _read(issue: Issue) -> _Reading:
    text = read_issue(issue)
    body = issue.body if isinstance(issue.body, str) else ""
    env = parse_environment(bounded_body(body))
    return _Reading(detect_language(issue), text, extract_signatures(text), env, read_findings(text, env))


def _match(reading: _Reading, rules: RuleSet) -> tuple[Match, ...]:
    return match_rules(reading.text, reading.signatures, reading.env, rules, reading.findings)


def triage(issue: Issue, rules: RuleSet) -> Verdict:
    """What the bot says about ``issue``: the matched rules and the comment, or silence."""
    reading = _read(issue)
    return _verdict(reading, _match(reading, rules))


def explain_triage(issue: Issue, rules: RuleSet) -> list[str]:
    """For each rule that came close but did not answer, one line saying why; hints after."""
    reading = _read(issue)
    lines = explain(reading.text, reading.signatures, reading.env, rules, reading.findings)
    hints = [f for f in reading.findings if f.hint]
    return lines + [f"hint {where(f.line)}: {reply.render_finding(f, 'en')}" for f in hints if f.message]


def answer_rule(issue: Issue, rules: RuleSet, rule_id: str) -> Verdict:
    """The verdict a maintainer asked for with ``/faq RULE-ID``, matched or not.

    Raises KeyError when ``rule_id`` names no rule.
    """
    rule = rules.get(rule_id)
    if rule is None:
        raise KeyError(rule_id)
    reading = _read(issue)
    matched = [m for m in _match(reading, rules) if m.rule.id == rule_id]
    if not matched:
        evidence = _most_telling_line(reading)
        matched = [Match(rule, 0.0, evidence, "/faq " + rule_id)]
    return _verdict(reading, tuple(matched))


def _most_telling_line(reading: _Reading) -> Evidence:
    """The last error signature (where a traceback ends), else the title."""
    if reading.signatures:
        last = reading.signatures[-1]
        return Evidence(last.line, reading.text.lines[last.line])
    return Evidence(0, reading.text.lines[0])


def _verdict(reading: _Reading, matches: tuple[Match, ...]) -> Verdict:
    hints = tuple(found for found in reading.findings if found.hint)
    if not matches:
        comment = reply.render_hints(reading.language, hints) if hints else None
        return Verdict(reading.language, reading.signatures, reading.env, (), (), (), comment, hints, reading.findings)
    answered = [m.rule for m in matches[: reply.MAX_ANSWERS]]
    findings = diagnosis.diagnose(reading.env, answered)
    checks = [] if not reading.env.is_empty() else diagnosis.environment_checks(answered, reading.language)
    comment = reply.render_answer(
        reading.language,
        matches,
        diagnoses=findings,
        env_checks=checks,
        env_rows=reading.env.as_rows(),
        hints=hints,
    )
    return Verdict(
        reading.language, reading.signatures, reading.env, matches, findings, reply.labels_for(matches), comment,
        hints, reading.findings,
    )
