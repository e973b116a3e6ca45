"""Scoring an issue's text against the rules: regex and fuzzy patterns, context, environment (pure)."""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from bot.environment import Environment, EnvironmentSource, resolve_environment
from bot.findings import Finding, read_findings
from bot.issue import WORD_CHECK_MIN_CHARS, ErrorSignature, IssueText
from bot.rules import FINDING_WORD, PhrasePattern, RegexPattern, Rule, RuleSet

_UNBOUNDED = (False, False)
REGEX_SCORE = 100.0
# An error described in words, not pasted: weaker evidence, ranked after pasted errors.
DESCRIBED_SCORE = 90.0
# A line must be at least this fraction of a fuzzy phrase's length to be scored against it.
MIN_PHRASE_COVERAGE = 0.8


@dataclass(frozen=True)
class Evidence:
    line: int  # 0 = the title, 1.. the body's lines
    text: str
    end: int | None = None  # where a regex's match ends in ``text``; None for a phrase or a finding


@dataclass(frozen=True)
class Match:
    rule: Rule
    score: float
    evidence: Evidence
    pattern: str  # the regex or phrase that matched, for maintainers debugging a rule
    findings: tuple[Finding, ...] = ()  # what the rule's finding patterns accepted, for the reply
    described: bool = False  # the error put in the reporter's words, not pasted


class _Haystack:
    """One issue's text prepared once for all rules: lowercased, its words, anchor lookups cached.

    Many rules share anchors ("cannot open shared object"); each is looked up once per issue.
    """

    def __init__(self, text: IssueText, signatures: tuple[ErrorSignature, ...], findings: tuple[Finding, ...] = ()):
        self.text = text
        self.lowered = text.lowered
        self.findings = findings
        self.short = len(self.lowered) < WORD_CHECK_MIN_CHARS
        self.words = text.words | {FINDING_WORD + found.kind for found in findings} if findings else text.words
        # Fuzzy phrases are scored against the error lines and the title only: scoring every
        # line of a long log would cost much and find coincidences in ordinary prose.
        lines = {0: text.lines[0]}
        for signature in signatures:
            lines.setdefault(signature.line, text.lines[signature.line])
        self.fuzzy_lines = {line: utils.default_process(content) for line, content in lines.items() if content}
        self.signature_lines = frozenset(signature.line for signature in signatures)
        self._present: dict[tuple[str, tuple[bool, bool]], bool] = {}
        self._present_short: dict[str, bool] = {}

    def anchor_lines(self, anchors: tuple[str, ...], bounds: Mapping[str, tuple[bool, bool]] | None = None
                     ) -> Iterator[int]:
        """The lines holding one of ``anchors``, in order, each found when it is asked for: a
        pattern that matches on the first such line of a long log needs no scan for the others."""
        offsets, last = self.text.offsets, len(self.text.offsets) - 1
        heads = self._first_occurrences(anchors, bounds)
        while heads:
            number = bisect_right(offsets, heads[0][0]) - 1
            yield number
            if number >= last:
                return
            after = offsets[number + 1]
            while heads and heads[0][0] < after:
                self._advance(heads, after)

    def anchor_positions(self, anchors: tuple[str, ...], bounds: Mapping[str, tuple[bool, bool]] | None = None
                         ) -> Iterator[int]:
        """Where ``anchors`` occur in ``lowered``, in order, each found when it is asked for."""
        heads = self._first_occurrences(anchors, bounds)
        while heads:
            position = heads[0][0]
            yield position
            self._advance(heads, position + 1)

    def _first_occurrences(self, anchors: tuple[str, ...], bounds: Mapping[str, tuple[bool, bool]] | None
                           ) -> list[tuple[int, str]]:
        heads = [(found, anchor) for anchor in anchors
                 if self.holds_any((anchor,), bounds) and (found := self.lowered.find(anchor)) != -1]
        heapq.heapify(heads)
        return heads

    def _advance(self, heads: list[tuple[int, str]], start: int) -> None:
        """The first anchor's next occurrence from ``start`` on replaces its current one."""
        anchor = heads[0][1]
        found = self.lowered.find(anchor, start)
        if found == -1:
            heapq.heappop(heads)
        else:
            heapq.heapreplace(heads, (found, anchor))

    def holds_any(self, anchors: tuple[str, ...], bounds: Mapping[str, tuple[bool, bool]] | None = None) -> bool:
        """Whether the text holds one of ``anchors``; ``bounds`` says which start or end a word."""
        if self.short:  # a scan of a short text is cheaper than the word look-ups: no bounds
            for anchor in anchors:
                present = self._present_short.get(anchor)
                if present is None:  # rules share anchors: each is looked for once per issue
                    present = self._present_short[anchor] = anchor in self.lowered
                if present:
                    return True
            return False
        for anchor in anchors:
            edges = bounds.get(anchor, _UNBOUNDED) if bounds else _UNBOUNDED
            present = self._present.get((anchor, edges))
            if present is None:
                present = self._present[(anchor, edges)] = (
                    self.text.may_hold(anchor, *edges) and anchor in self.lowered)
            if present:
                return True
        return False


def match_rules(
    text: IssueText,
    signatures: tuple[ErrorSignature, ...],
    env: EnvironmentSource,
    rules: RuleSet,
    findings: tuple[Finding, ...] | None = None,
) -> tuple[Match, ...]:
    """Every rule the issue matches, best first; superseded and environment-excluded rules removed.
    ``env`` is read only for a rule that matched."""
    if findings is None:
        findings = read_findings(text, env)
    haystack = _Haystack(text, signatures, findings)
    matches = []
    for rule in rules.candidates(haystack.words, haystack.holds_any):
        found = _best_hit(rule, haystack)
        if (found is None or _refusal(rule, haystack) is not None or not _context_holds(rule, haystack)
                or not env_allows(rule, resolve_environment(env))):
            continue
        matches.append(found)
    superseded = {target for found in matches for target in found.rule.supersedes}
    kept = [found for found in matches if found.rule.id not in superseded]
    return tuple(sorted(kept, key=lambda m: (-m.score, -m.rule.priority, m.evidence.line)))


def _best_hit(rule: Rule, haystack: _Haystack) -> Match | None:
    accepted = _accepted_findings(rule, haystack) if rule.findings else ()
    holds_any = haystack.holds_any
    tried = not rule.regex_anchors or holds_any(rule.regex_anchors, rule.regex_bounds)
    for regex in rule.regexes if tried else ():
        if regex.anchors and not holds_any(regex.anchors, regex.bounds):
            continue  # the usual case, checked here: a call less per pattern
        hit = _regex_hit(regex, haystack)
        if hit is not None:
            return Match(rule, REGEX_SCORE, hit, regex.source, accepted)
    if accepted:
        # The error as printed speaks for the reporter better than their words about it: a title's
        # "model is not in the module registry" over the body's "KeyError: 'KNet is not in ...'".
        printed = [found for found in accepted if found.line in haystack.signature_lines]
        first = min(printed or accepted, key=lambda found: found.line)
        evidence = Evidence(first.line, haystack.text.lines[first.line])
        pattern = next(p.source for p in rule.findings if first.kind == p.kind and first.value in p.values)
        return Match(rule, REGEX_SCORE, evidence, pattern, accepted)
    best: Match | None = None
    for phrase in rule.phrases:
        found = _phrase_hit(phrase, haystack)
        if found is not None and (best is None or found[0] > best.score):
            best = Match(rule, found[0], found[1], phrase.phrase)
    if best is not None:
        return best
    for described in rule.described if tried else ():
        if described.anchors and not holds_any(described.anchors, described.bounds):
            continue
        hit = _described_hit(described, haystack)
        if hit is not None and _places(described, haystack):
            return Match(rule, DESCRIBED_SCORE, hit, described.source, described=True)
    return None


def _described_hit(described: RegexPattern, haystack: _Haystack) -> Evidence | None:
    """A described error in the reporter's own words: not inside a code block, where the words are
    a program's ("...if your model has flow control causing later iterations to have unused
    parameters", in PyTorch's warning that it found none)."""
    hit = _regex_hit(described, haystack)
    if hit is None or hit.line not in haystack.text.fenced_lines:
        return hit
    text = haystack.text
    for found in described.compiled.finditer(text.text, text.offsets[hit.line] + len(hit.text)):
        line = text.line_at(found.start())
        if line not in text.fenced_lines:
            return _evidence(text, line, found.end())
    return None


def _accepted_findings(rule: Rule, haystack: _Haystack) -> tuple[Finding, ...]:
    return tuple(
        found for found in haystack.findings
        if any(found.kind == pattern.kind and found.value in pattern.values for pattern in rule.findings)
    )


def _places(described: RegexPattern, haystack: _Haystack) -> bool:
    """A described error's own context: the step or library that places it, in text or project."""
    project = haystack.text.project
    return any(
        _regex_hit(context, haystack) or (project and context.compiled.search(project))
        for context in described.context
    )


def _regex_hit(regex: RegexPattern, haystack: _Haystack) -> Evidence | None:
    if regex.anchors and not haystack.holds_any(regex.anchors, regex.bounds):
        return None
    if not all(haystack.holds_any(group, regex.bounds) for group in regex.also):
        return None  # another required part's literals are nowhere in the issue
    text = haystack.text
    if haystack.short:
        pass  # a search of a short text costs less than narrowing it down to lines first
    elif regex.single_line and regex.anchors:
        # Only lines holding an anchor can match: searching them alone skips the rest of a long log,
        # which a pattern opening with \b or a class would otherwise walk character by character.
        tried: set[str] = set()  # a log repeats lines word for word: one search each
        for line in haystack.anchor_lines(regex.anchors, regex.bounds):
            content = text.lines[line]
            if content in tried:
                continue
            tried.add(content)
            if regex.also and not _holds_each(content.lower(), regex.also):
                continue
            if found := regex.compiled.search(content):
                return Evidence(line, content, found.end())
        return None
    elif regex.anchors and regex.reach is not None:
        return _hit_near_anchors(regex, haystack)
    hit = regex.compiled.search(text.text)
    if hit is None:
        return None
    return _evidence(text, text.line_at(hit.start()), hit.end())


def _hit_near_anchors(regex: RegexPattern, haystack: _Haystack) -> Evidence | None:
    """A pattern that spans lines, searched only around its anchors' occurrences: a match holds
    one and reads at most ``reach`` characters from its start, so none starts farther before an
    occurrence or ends farther after it. Each window is searched for a match starting at or before
    its occurrence (a later one holds a later occurrence); the first found is the whole text's
    first. The search keeps the text before the window in view (lookbehinds, \\b), and the window
    ends past anything such an attempt reads."""
    text, reach = haystack.text, regex.reach
    for position in haystack.anchor_positions(regex.anchors, regex.bounds):
        found = regex.compiled.search(text.text, max(0, position - reach), position + reach + 2)
        if found is not None and found.start() <= position:
            return _evidence(text, text.line_at(found.start()), found.end())
    return None


def _evidence(text: IssueText, line: int, end: int) -> Evidence:
    """The line holding a match of the whole text, with where the match ends in it (a match that
    runs on past the line ends with it)."""
    return Evidence(line, text.lines[line], min(end - text.offsets[line], len(text.lines[line])))


def _holds_each(lowered_line: str, groups: tuple[tuple[str, ...], ...]) -> bool:
    return all(any(literal in lowered_line for literal in group) for group in groups)


def _phrase_hit(phrase: PhrasePattern, haystack: _Haystack) -> tuple[float, Evidence] | None:
    if not haystack.holds_any(phrase.anchors):
        return None
    wanted = utils.default_process(phrase.phrase)
    # partial_ratio finds the shorter text inside the longer: a line much shorter than the
    # phrase ("prior iteration") would score 100 for being a piece of it. Evidence must
    # hold (nearly) the whole phrase.
    # A line at least as long as the phrase may hold it anywhere (partial_ratio); a shorter one is
    # compared whole (partial_ratio would find it inside the phrase: a title "No module named 'mmcv'"
    # scored 100 against "No module named 'mmcv.ops'"), and must hold nearly all of it.
    shortest = len(wanted) * MIN_PHRASE_COVERAGE
    longer = {line: content for line, content in haystack.fuzzy_lines.items() if len(content) >= len(wanted)}
    shorter = {line: content for line, content in haystack.fuzzy_lines.items()
               if shortest <= len(content) < len(wanted)}
    found = [best for choices, scorer in ((longer, fuzz.partial_ratio), (shorter, fuzz.ratio)) if choices
             and (best := process.extractOne(wanted, choices, scorer=scorer, score_cutoff=phrase.min_score))]
    if not found:
        return None
    _, score, line = max(found, key=lambda best: best[1])
    return round(score, 1), Evidence(line, haystack.text.lines[line])


def _refusal(rule: Rule, haystack: _Haystack) -> int | None:
    """The line holding one of the rule's ``refuse`` patterns, which show the issue is not its case
    (the title retelling the error is no better evidence then); None when there is none. Searched
    as a rule's patterns are: only where their literals occur."""
    for refused in rule.refuse:
        found = _regex_hit(refused, haystack)
        if found is not None:
            return found.line
    return None


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


# --- why a rule did not answer (``triage --explain``) ----------------------------------------

# A fuzzy score at least this high is a near miss worth reporting.
EXPLAIN_MIN_SCORE = 70


def explain(
    text: IssueText,
    signatures: tuple[ErrorSignature, ...],
    env: Environment,
    rules: RuleSet,
    findings: tuple[Finding, ...] | None = None,
) -> list[str]:
    """One line for each rule that came close but did not answer, saying why."""
    if findings is None:
        findings = read_findings(text, env)
    haystack = _Haystack(text, signatures, findings)
    answered = {m.rule.id for m in match_rules(text, signatures, env, rules, findings)}
    lines = []
    for rule in rules.rules:
        if rule.id in answered:
            continue
        reason = _why_not(rule, haystack, env, rules)
        if reason:
            lines.append(f"{rule.id}: {reason}")
    return lines


def _why_not(rule: Rule, haystack: _Haystack, env: Environment, rules: RuleSet) -> str | None:
    found = _best_hit(rule, haystack)
    if found is not None:
        place = where(found.evidence.line)
        if (refused := _refusal(rule, haystack)) is not None:
            wanted = " | ".join(pattern.source for pattern in rule.refuse)
            return f"matched {place}, but what stands {where(refused)} shows it is not its case ({wanted})"
        if not _context_holds(rule, haystack):
            wanted = " | ".join(context.source for context in rule.context)
            return f"matched {place}, but none of its context occurs in the issue or project name ({wanted})"
        if not env_allows(rule, env):
            return f"matched {place}, but the reported environment rules it out ({_conditions_text(rule, env)})"
        other = next((m.rule.id for m in rules.rules if rule.id in m.supersedes and _best_hit(m, haystack)), "?")
        return f"matched {place}, but {other} is more specific and supersedes it"
    for pattern in rule.findings:
        for finding in haystack.findings:
            if finding.kind == pattern.kind:
                detail = ", ".join(f"{name} {value}" for name, value in finding.fields if value)
                return (f"{finding.kind} {where(finding.line)} is {finding.value!r}"
                        f"{' (' + detail + ')' if detail else ''}; this rule answers only "
                        f"{', '.join(sorted(pattern.values))}")
    for described in rule.described:
        hit = _regex_hit(described, haystack)
        if hit is not None:
            wanted = " | ".join(context.source for context in described.context)
            return f"an error described in words {where(hit.line)}, but nothing places it ({wanted})"
    near = _nearest_phrase(rule, haystack)
    if near is not None:
        phrase, score, line = near
        return f"fuzzy phrase {phrase.phrase!r} scored {score:.0f} {where(line)}, under its threshold {phrase.min_score:.0f}"
    for regex in rule.regexes:
        present = [anchor for anchor in regex.anchors if anchor in haystack.lowered]
        if present:
            line = haystack.text.line_at(haystack.lowered.find(present[0]))
            return f"its keyword {present[0]!r} occurs {where(line)}, but no pattern matched"
    return None


def _nearest_phrase(rule: Rule, haystack: _Haystack) -> tuple[PhrasePattern, float, int] | None:
    best = None
    for phrase in rule.phrases:
        if not haystack.holds_any(phrase.anchors):
            continue
        wanted = utils.default_process(phrase.phrase)
        shortest = len(wanted) * MIN_PHRASE_COVERAGE
        lines = {line: content for line, content in haystack.fuzzy_lines.items() if len(content) >= shortest}
        found = process.extractOne(wanted, lines, scorer=fuzz.partial_ratio, score_cutoff=EXPLAIN_MIN_SCORE)
        if found is not None and (best is None or found[1] > best[1]):
            best = (phrase, found[1], found[2])
    return best


def where(line: int) -> str:
    """Where evidence stands, as explanations say it."""
    return "in the title" if line == 0 else f"on line {line}"


def _conditions_text(rule: Rule, env: Environment) -> str:
    parts = []
    if rule.conditions.platforms and env.platform:
        parts.append(f"platform {env.platform}, needs {' or '.join(rule.conditions.platforms)}")
    for attribute, allowed in rule.conditions.versions:
        version = getattr(env, attribute, None)
        if version is not None and not allowed.contains(version):
            needs = ",".join(f"{op}{bound}" for op, bound in allowed.clauses)
            parts.append(f"{attribute} {version}, needs {needs}")
    return "; ".join(parts)
