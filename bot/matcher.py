"""Scoring an issue's text against the rules: regex and fuzzy patterns, context, environment (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from bot.environment import Environment
from bot.issue import ErrorSignature, IssueText
from bot.rules import WORD, PhrasePattern, RegexPattern, Rule, RuleSet

REGEX_SCORE = 100.0
# A line must be at least this fraction of a fuzzy phrase's length to be scored against it.
MIN_PHRASE_COVERAGE = 0.8


@dataclass(frozen=True)
class Evidence:
    line: int  # 0 = the title, 1.. the body's lines
    text: str


@dataclass(frozen=True)
class Match:
    rule: Rule
    score: float
    evidence: Evidence
    pattern: str  # the regex or phrase that matched, for maintainers debugging a rule


class _Haystack:
    """One issue's text prepared once for all rules: lowercased, its words, anchor lookups cached.

    Many rules share anchors ("cannot open shared object"); each is looked up once per issue.
    """

    def __init__(self, text: IssueText, signatures: tuple[ErrorSignature, ...]):
        self.text = text
        self.lowered = text.lowered
        self.words = set(WORD.findall(self.lowered))
        # Fuzzy phrases are scored against the error lines and the title only: scoring every
        # line of a long log would cost much and find coincidences in ordinary prose.
        lines = {0: text.lines[0]}
        for signature in signatures:
            lines.setdefault(signature.line, text.lines[signature.line])
        self.fuzzy_lines = {line: utils.default_process(content) for line, content in lines.items() if content}
        self._present: dict[str, bool] = {}

    def holds_any(self, anchors: tuple[str, ...]) -> bool:
        for anchor in anchors:
            present = self._present.get(anchor)
            if present is None:
                present = self._present[anchor] = anchor in self.lowered
            if present:
                return True
        return False


def match_rules(text: IssueText, signatures: tuple[ErrorSignature, ...], env: Environment, rules: RuleSet) -> tuple[Match, ...]:
    """Every rule the issue matches, best first; superseded and environment-excluded rules removed."""
    haystack = _Haystack(text, signatures)
    matches = []
    for rule in rules.candidates(haystack.words):
        found = _best_hit(rule, haystack)
        if found is None or not _context_holds(rule, haystack) or not env_allows(rule, env):
            continue
        matches.append(found)
    superseded = {target for found in matches for target in found.rule.supersedes}
    kept = [found for found in matches if found.rule.id not in superseded]
    return tuple(sorted(kept, key=lambda m: (-m.score, -m.rule.priority, m.evidence.line)))


def _best_hit(rule: Rule, haystack: _Haystack) -> Match | None:
    for regex in rule.regexes:
        hit = _regex_hit(regex, haystack)
        if hit is not None:
            return Match(rule, REGEX_SCORE, hit, regex.source)
    best: Match | None = None
    for phrase in rule.phrases:
        found = _phrase_hit(phrase, haystack)
        if found is not None and (best is None or found[0] > best.score):
            best = Match(rule, found[0], found[1], phrase.phrase)
    return best


def _regex_hit(regex: RegexPattern, haystack: _Haystack) -> Evidence | None:
    if regex.anchors and not haystack.holds_any(regex.anchors):
        return None
    text = haystack.text
    hit = regex.compiled.search(text.text)
    if hit is None:
        return None
    line = text.line_at(hit.start())
    return Evidence(line, text.lines[line])


def _phrase_hit(phrase: PhrasePattern, haystack: _Haystack) -> tuple[float, Evidence] | None:
    if not haystack.holds_any(phrase.anchors):
        return None
    wanted = utils.default_process(phrase.phrase)
    # partial_ratio finds the shorter text inside the longer: a line much shorter than the
    # phrase ("prior iteration") would score 100 for being a piece of it. Evidence must
    # hold (nearly) the whole phrase.
    shortest = len(wanted) * MIN_PHRASE_COVERAGE
    long_enough = {line: content for line, content in haystack.fuzzy_lines.items() if len(content) >= shortest}
    best = process.extractOne(wanted, long_enough, scorer=fuzz.partial_ratio, score_cutoff=phrase.min_score)
    if best is None:
        return None
    _, score, line = best
    return round(score, 1), Evidence(line, haystack.text.lines[line])


def _context_holds(rule: Rule, haystack: _Haystack) -> bool:
    """A rule's context may be met by the issue's text or by the project it was filed on.

    Only the project's name counts, not its owner: an organisation hosts unrelated code.
    """
    if not rule.context:
        return True
    project = haystack.text.project
    return any(
        _regex_hit(context, haystack) or (project and context.compiled.search(project)) for context in rule.context
    )


def env_allows(rule: Rule, env: Environment) -> bool:
    """False when the reported environment contradicts the rule's conditions.

    A missing fact never rules a rule out: most reporters paste no environment at all.
    """
    conditions = rule.conditions
    if conditions.platforms and env.platform and env.platform not in conditions.platforms:
        return False
    for attribute, allowed in conditions.versions:
        version = getattr(env, attribute, None)
        if version is not None and not allowed.contains(version):
            return False
    return True
