"""triage(issue, rules) -> Verdict: the whole core, from an issue's text to the comment and labels (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from bot import diagnosis, reply
from bot.answer import MAX_ANSWERS, compose, compose_hints
from bot.diagnosis import Diagnosis
from bot.environment import Environment, parse_environment
from bot.findings import Finding, read_findings
from bot.issue import ErrorSignature, Issue, IssueText, bounded_body, extract_signatures, read_issue, reporter_language
from bot.matcher import Evidence, Match, explain, match_rules, where
from bot.reporter import with_gpu_named
from bot.resolved import says_solved, solving_lines
from bot.rules import RuleSet


@dataclass(frozen=True)
class Verdict:
    signatures: tuple[ErrorSignature, ...]
    matches: tuple[Match, ...]
    diagnoses: tuple[Diagnosis, ...]
    labels: tuple[str, ...]
    comment: str | None  # None: the bot stays silent
    reading: _Reading = field(repr=False, compare=False)
    asks_environment: bool = False  # the comment asks the reporter for their collect_env output
    # Hints answer no FAQ entry (a misspelt class name, a class newer than the installed release).
    hints: tuple[Finding, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def language(self) -> str:
        """The reporter's language: the reply's, and that of a maintainer command's note."""
        return self.reading.language

    @property
    def env(self) -> Environment:
        return self.reading.env

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
            "asks_environment": self.asks_environment,
            "comment": self.comment,
        }


def _finding_json(finding: Finding) -> dict:
    return {"kind": finding.kind, "value": finding.value, "line": finding.line, "fields": dict(finding.fields)}


@dataclass(frozen=True)
class Options:
    """What a repository may change in triage (its `.github/faq-bot.yml`); the defaults change nothing."""

    min_score: float = 0.0  # matches scoring lower are dropped (a regex match scores 100)
    fallback_language: str = "en"  # the reply's language when the reporter's cannot be told
    ask_for_environment: bool = True  # ask for collect_env when an answer's diagnoses need it


DEFAULT_OPTIONS = Options()


@dataclass(frozen=True)
class _Reading:
    """What the readers make of an issue. The environment and the language are read when first
    asked for: an issue with nothing to answer (most) needs neither, and they were a third of
    such an issue's triage."""

    issue: Issue
    options: Options

    @cached_property
    def text(self) -> IssueText:
        return read_issue(self.issue)

    @cached_property
    def signatures(self) -> tuple[ErrorSignature, ...]:
        return extract_signatures(self.text)

    @cached_property
    def env(self) -> Environment:
        body = self.issue.body if isinstance(self.issue.body, str) else ""
        return with_gpu_named(parse_environment(bounded_body(body)), self.text)

    @cached_property
    def language(self) -> str:
        return reporter_language(self.issue, self.options.fallback_language)

    @cached_property
    def findings(self) -> tuple[Finding, ...]:
        return read_findings(self.text, lambda: self.env)


def _match(reading: _Reading, rules: RuleSet) -> tuple[Match, ...]:
    return match_rules(reading.text, reading.signatures, lambda: reading.env, rules, reading.findings)


def triage(issue: Issue, rules: RuleSet, options: Options = DEFAULT_OPTIONS) -> Verdict:
    """What the bot says about ``issue``: the matched rules and the comment, or silence."""
    reading = _Reading(issue, options)
    matches = _unsolved(reading.text, _reported(reading.text, reading.signatures, _match(reading, rules)))
    if options.min_score:
        matches = tuple(m for m in matches if m.score >= options.min_score)
    return _verdict(reading, matches, options)


def _reported(text: IssueText, signatures: tuple[ErrorSignature, ...], matches: tuple[Match, ...]
              ) -> tuple[Match, ...]:
    """The matches on errors the reporter met, as a request for help.

    A feature request speaks of an error to propose something (a clearer message, a build option),
    a write-up to share the fix its author found: no FAQ answer. A documentation issue, of an error
    named in its prose ("the link in the 'No module named mmcv.ops' entry is broken"): there only an
    error as printed, in a code block or on a line of its own opening with its exception, is one the
    reporter met, and none when its title is about the FAQ itself ("[Docs] FAQ: the all_slots fix
    should say ..."), whose entries it quotes. In any issue that prints no error, one named as what the FAQ says ("FAQ 里说 ...
    会报 `...`") or as what might happen ("Will frozen_stages=4 cause ...?", "会不会出现 `...`") is
    a question about it, asked before meeting it.
    """
    if not matches:
        return matches
    if text.filed_as in ("feature", "write-up"):
        return ()
    if text.filed_as == "documentation":
        if _ABOUT_THE_FAQ.search(text.lines[0]):
            return ()  # an issue about the FAQ's entry: its errors are the entry's examples
        return tuple(m for m in matches if _printed(text, m.evidence.line))
    matches = _current(text, signatures, matches)
    # (the words first: the code blocks of a long log cost more)
    if (not any(_recalled(m.evidence) and _asked_before_met(m.evidence) for m in matches)
            or any(_printed(text, signature.line) for signature in signatures)):
        return matches
    return tuple(m for m in matches if not _asked_before_met(m.evidence))


def _current(text: IssueText, signatures: tuple[ErrorSignature, ...], matches: tuple[Match, ...]
             ) -> tuple[Match, ...]:
    """The matches but those on an error only a sentence names, as met before ("之前报过 ... 那个错，按
    FAQ 加上了"), as the FAQ's ("I saw the FAQ item about ...") or as what would happen otherwise
    ("Without find_unused_parameters I get ..."), above another error the issue prints: that one is
    the question."""
    recalled = [m for m in matches if _recalled(m.evidence)]
    if not recalled:  # first: the code blocks of a long log cost more
        return matches
    printed = {signature.line for signature in signatures if _printed(text, signature.line)}
    history = {id(m) for m in recalled if not _printed(text, m.evidence.line) and printed - {m.evidence.line}
               and not _named_elsewhere(text, m)}
    return tuple(m for m in matches if id(m) not in history)


def _up_to_error(evidence: Evidence) -> str:
    """The error's line up to where the error ends: the reporter's words before it, and the error."""
    return evidence.text[: evidence.end] if evidence.end is not None else evidence.text


def _recalled(evidence: Evidence) -> bool:
    """The words before the error on its line name it as met before, hearsay, a possibility, what
    happens otherwise, or ask whether it is the one the issue shows."""
    before = _up_to_error(evidence)
    lowered = evidence.text[: len(before) + 40].lower()  # (and just after it: "... error before")
    if not any(word in lowered for word in _RECALL_WORDS):  # the usual case: these patterns cost 10 us a line
        return False
    return (_met_before(evidence) or _asked_before_met(evidence) or _otherwise(evidence)
            or _SAME_AS.search(before) is not None)


def _named_elsewhere(text: IssueText, match: Match) -> bool:
    """Whether the matched error stands on another line too (printed below the sentence, say)."""
    if any(finding.line != match.evidence.line for finding in match.findings):
        return True
    for regex in match.rule.regexes:
        if regex.compiled.pattern == match.pattern:
            return any(text.line_at(found.start()) != match.evidence.line
                       for found in regex.compiled.finditer(text.text))
    return False


def _printed(text: IssueText, line: int) -> bool:
    return line in text.fenced_lines or _PRINTED_ERROR.match(text.lines[line]) is not None


def _met_before(evidence: Evidence) -> bool:
    """The words around the error on its line name it as met once before ("之前报过 ... 那个错", "I
    previously got ...", "... 'Expected to have finished reduction' error before"), and nothing on the
    line says it is back ("又", "still")."""
    after = evidence.text[evidence.end:evidence.end + 40] if evidence.end is not None else ""
    return ((_PAST_MET.search(_up_to_error(evidence)) is not None or _PAST_AFTER.match(after) is not None)
            and _BACK.search(evidence.text) is None)


def _otherwise(evidence: Evidence) -> bool:
    """The words before the error on its line say it is what happens without what the reporter does
    now ("Without `find_unused_parameters=True` I get ...", "不加 ... 就会报")."""
    return _OTHERWISE.search(_up_to_error(evidence)) is not None


def _asked_before_met(evidence: Evidence) -> bool:
    """The words before the error on its line name it as hearsay or as a possibility."""
    before = _up_to_error(evidence)
    return _HEARSAY.search(before) is not None or _POSSIBILITY.search(before) is not None


# "the FAQ says/warns/mentions", "FAQ 里说", "看 FAQ 的 ... 条目", "I remember the docs warning that",
# "I saw the FAQ item about", "I read in the FAQ that", "FAQ 里有一条"
_HEARSAY = re.compile(r"\b(?:FAQ|docs?|documentation|README)\b[^.!?\n]{0,40}\b(?:says?|said|warns?|warning|mentions?"
                      r"|states?|entry|item)\b|(?:FAQ|文档|README)[^，。！？?!\n]{0,12}(?:里说|中说|上说|说|写着|提到|条目|有一条)"
                      r"|看到?\s*FAQ|\bI (?:have |'ve )?read (?:in [^.!?\n]{0,30})?that\b|\bI remember\b"
                      r"|\bI (?:saw|have seen|'ve seen|read) (?:in )?the (?:FAQ|docs?|documentation)\b", re.IGNORECASE)
# "Will frozen_stages=4 cause ...", "could this lead to ...", "will I get ..." (asked: not "I will get"),
# "会不会出现", "是否会报"
_POSSIBILITY = re.compile(r"\b(?:will|would|could|might)\b[^.!?\n]{0,60}\b(?:cause|give|trigger|lead to|raise|throw"
                          r"|run into|hit)\b|\b(?:will|would|could|might) (?:I|we|it|this|that|they|you)\b[^.!?\n]{0,60}"
                          r"\b(?:get|see)\b|会不会|是否会|会出现|会报", re.IGNORECASE)
# "... - is this the segmentation fault from the FAQ?": whether another error is this one (asked beside
# the error the issue prints)
_SAME_AS = re.compile(r"\bis (?:this|it|that) (?:the|a)\b|是不是(?:就是)?|是否就是", re.IGNORECASE)
# "Without `find_unused_parameters=True` I get ...", "if I remove it I get ...", "不加 ... 就会报"
_OTHERWISE = re.compile(r"\b(?:without|if I (?:remove|drop|disable|turn off|don't (?:set|use|add)))\b[^.!?\n]{0,60}"
                        r"\bI (?:get|got|see|hit)\b|不(?:加|开|设置?|用)[^，。？?\n]{0,40}(?:就|会)(?:会)?报", re.IGNORECASE)


# An error met once, in the past: Chinese's experiential 过 after "before" ("之前报过", "以前遇到过"; not
# "一开始就报", from the start, nor "之前报了", which may be this run's), English's "previously got".
_PAST_MET = re.compile(r"(?:之前|以前|先前|原来)[^，。？?\n]{0,8}?(?:报过|遇到过|出现过|碰到过)"
                       r"|\b(?:previously|earlier|at first|first)\b[^.!?\n]{0,20}\b(?:got|had|hit|saw|ran into)\b",
                       re.IGNORECASE)
# A word one of the patterns above needs, looked for first.
_RECALL_WORDS = ("before", "faq", "doc", "readme", "文档", "read", "remember", "saw", "seen", "will", "would",
                 "could", "might", "会", "之前", "以前", "先前", "原来", "previously", "earlier", "first", "without",
                 "if i", "不", "is this", "is it", "is that", "是不是", "是否")
# (after the rest of the quoted error: "'Expected to have finished reduction in the prior iteration' error before")
_PAST_AFTER = re.compile(r"[^.!?\n'\"`’”]{0,40}['\"`’”]?\s?(?:errors? |错误?)?(?:before|earlier|previously|之前|以前)\b",
                         re.IGNORECASE)
_BACK = re.compile(r"又|再次|还是|仍然|依然|\b(?:again|still)\b", re.IGNORECASE)


_PRINTED_ERROR = re.compile(r"[`>\s]*[\w.]*(?:Error|Exception|Warning)\b ?:")
_ABOUT_THE_FAQ = re.compile(r"\bFAQ\b|常见问题", re.IGNORECASE)


def _unsolved(text: IssueText, matches: tuple[Match, ...]) -> tuple[Match, ...]:
    """The matches but those whose error the reporter says is solved, above another question."""
    candidates = solving_lines(text) if matches else frozenset()
    if not candidates:
        return matches
    return tuple(m for m in matches if not says_solved(text, m.evidence.line, m.evidence.end, candidates))


def explain_triage(issue: Issue, rules: RuleSet) -> list[str]:
    """For each rule that came close but did not answer, one line saying why; hints after."""
    reading = _Reading(issue, DEFAULT_OPTIONS)
    lines = explain(reading.text, reading.signatures, reading.env, rules, reading.findings)
    matches = _match(reading, rules)
    printed = {m.rule.id for m in _reported(reading.text, reading.signatures, matches)}
    lines += [f"{m.rule.id}: a feature request speaks of the error {where(m.evidence.line)}; it asks for no fix"
              if reading.text.filed_as == "feature" else
              f"{m.rule.id}: a write-up shares a fix for the error {where(m.evidence.line)}; it asks for none"
              if reading.text.filed_as == "write-up" else
              f"{m.rule.id}: the error {where(m.evidence.line)} is named as hearsay or a possibility, and the issue "
              f"prints no error" if reading.text.filed_as != "documentation" else
              f"{m.rule.id}: a documentation issue names the error {where(m.evidence.line)} in its prose, "
              f"without pasting it" for m in matches if m.rule.id not in printed]
    matches = tuple(m for m in matches if m.rule.id in printed)
    kept = {m.rule.id for m in _unsolved(reading.text, matches)}
    lines += [f"{m.rule.id}: the reporter says the error {where(m.evidence.line)} is solved, and the title names "
              f"none of its identifiers" for m in matches if m.rule.id not in kept]
    return lines + [f"hint {where(f.line)}: {reply.render_finding(f, 'en')}" for f in _hints(reading.findings)]


def answer_rule(issue: Issue, rules: RuleSet, rule_id: str, options: Options = DEFAULT_OPTIONS) -> Verdict:
    """The verdict a maintainer asked for with ``/faq RULE-ID``, matched or not.

    A maintainer chose the rule: ``options.min_score`` does not apply. Raises KeyError when
    ``rule_id`` names no rule.
    """
    rule = rules.get(rule_id)
    if rule is None:
        raise KeyError(rule_id)
    reading = _Reading(issue, options)
    matched = [m for m in _match(reading, rules) if m.rule.id == rule_id]
    if not matched:
        evidence = _most_telling_line(reading)
        matched = [Match(rule, 0.0, evidence, "/faq " + rule_id)]
    return _verdict(reading, tuple(matched), options)


def _most_telling_line(reading: _Reading) -> Evidence:
    """The last error signature (where a traceback ends), else the title."""
    if reading.signatures:
        last = reading.signatures[-1]
        return Evidence(last.line, reading.text.lines[last.line])
    return Evidence(0, reading.text.lines[0])


def _hints(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """The findings that are hints, each sentence once: the same misspelt class in the title and in
    the body is one hint."""
    said: dict[tuple[str, tuple[tuple[str, str], ...]], Finding] = {}
    for found in findings:
        if found.hint and found.message:
            said.setdefault((found.message, found.fields), found)
    return tuple(said.values())


def _verdict(reading: _Reading, matches: tuple[Match, ...], options: Options) -> Verdict:
    hints = _hints(reading.findings)
    if not matches:
        comment = reply.render(compose_hints(reading.language, hints)) if hints else None
        return Verdict(reading.signatures, (), (), (), comment, reading, hints=hints, findings=reading.findings)
    answered = [m.rule for m in matches[:MAX_ANSWERS]]
    findings = diagnosis.diagnose(reading.env, answered)
    answer = compose(reading.language, reading.text, reading.signatures, reading.env, matches, findings,
                     options.ask_for_environment, hints)
    return Verdict(reading.signatures, matches, findings, reply.labels_for(matches), reply.render(answer), reading,
                   answer.asks_environment, hints, reading.findings)
