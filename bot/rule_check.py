"""``rules check``: every rule's examples behave, and no rule is slow on hostile text."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.issue import Issue
from bot.rules import Rule, RuleSet
from bot.triage import triage

# A rule's regexes together may take at most this long on one hostile 64 KB body. The shipped
# rules take under 20 ms here; a runaway shape takes far longer, so CI noise cannot trip this.
HOSTILE_BUDGET_SECONDS = 0.1


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str


def check_rules(rules: RuleSet) -> list[Problem]:
    problems: list[Problem] = []
    for rule in rules.rules:
        problems += _check_examples(rule, rules)
        problems += _check_hostile_text(rule)
    return problems


def _check_examples(rule: Rule, rules: RuleSet) -> list[Problem]:
    problems = []
    for example in rule.examples_match:
        if rule.id not in _matched_ids(example, rules):
            problems.append(Problem(rule.id, f"example should match but does not: {_preview(example)}"))
    for example in rule.examples_no_match:
        if rule.id in _matched_ids(example, rules):
            problems.append(Problem(rule.id, f"example should not match but does: {_preview(example)}"))
    return problems


def _matched_ids(example: str, rules: RuleSet) -> set[str]:
    return {found.rule.id for found in triage(Issue("", example), rules).matches}


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 100 else flat[:97] + "..."


def hostile_texts(rule: Rule) -> list[str]:
    """64 KB bodies built from the rule's own literals: the text most likely to make it backtrack."""
    texts = ["a" * 65_536, " " * 65_536, ("x" * 1_999 + "\n") * 32]
    for regex in (*rule.regexes, *rule.context):
        for anchor in regex.anchors or (regex.source[:40],):
            texts.append(((anchor + " ") * (2_000 // (len(anchor) + 1)) + "\n") * 32)
            # The literal, then a long run that every repeat after it can take, and no ending.
            for filler in ("a", " ", "."):
                texts.append((anchor + filler * (1_999 - len(anchor)) + "\n") * 32)
    return texts


def _check_hostile_text(rule: Rule) -> list[Problem]:
    # A short probe first: a pattern that is slow on 2 KB would take far longer on 64 KB,
    # and rules check must report it rather than hang on it.
    for size in (2_048, 65_536):
        for text in hostile_texts(rule):
            elapsed = _search_time(rule, text[:size])
            if elapsed > HOSTILE_BUDGET_SECONDS:
                kilobytes = len(text[:size]) // 1024
                return [
                    Problem(rule.id, f"regexes took {elapsed * 1000:.0f} ms on a hostile {kilobytes} KB body "
                                     f"(budget {HOSTILE_BUDGET_SECONDS * 1000:.0f} ms): bound their repeats")
                ]
    return []


def _search_time(rule: Rule, text: str) -> float:
    started = time.thread_time()  # CPU time: other processes on a busy machine must not fail the check
    for regex in (*rule.regexes, *rule.context):
        regex.compiled.search(text)
    return time.thread_time() - started
