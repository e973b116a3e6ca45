"""Which FAQ entries no rule covers: the drift between the FAQ and rules/ (pure)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.faq import FaqEntry, messages_in, same_name
from bot.issue import Issue
from bot.rules import Conditions, Rule, RuleSet, build_ruleset
from bot.triage import triage


@dataclass(frozen=True)
class Coverage:
    entry: FaqEntry
    rules: tuple[str, ...]  # ids of the rules that cover the entry; () when none does
    unrecognised: tuple[str, ...] = ()  # the entry's messages no rule's patterns match

    @property
    def covered(self) -> bool:
        return bool(self.rules)

    @property
    def reason(self) -> str:
        """Why the entry counts as not covered, for the maintainer reading the list."""
        if not self.entry.messages:
            return "its lead quotes no error message, and no rule's title or faq link names it"
        quoted = ", ".join(f'"{message}"' for message in self.unrecognised)
        return f"no rule's patterns recognise {quoted}, and no rule's title or faq link names it"


def coverage(entries: tuple[FaqEntry, ...], rules: RuleSet) -> list[Coverage]:
    """For each entry, the rules that cover it.

    A rule covers an entry when its patterns recognise every message the entry quotes, read as
    the title of an issue, or when its title or its faq link's #fragment names the entry.
    Context and environment conditions are left out: they decide whether an issue concerns
    OpenMMLab and fits the entry's environment, which an entry of OpenMMLab's FAQ does by being there.
    """
    recognising = pattern_only(rules)
    titles = {rule.id: _title_names(rule) for rule in rules.rules}
    found = []
    for entry in entries:
        by_message = {message: _recognised_by(message, recognising) for message in entry.messages}
        unrecognised = tuple(message for message, ids in by_message.items() if not ids)
        ids = [rule_id for ids in by_message.values() for rule_id in ids] if by_message and not unrecognised else []
        ids += [rule.id for rule in rules.rules if _names(rule, titles[rule.id], entry)]
        found.append(Coverage(entry, tuple(dict.fromkeys(ids)), unrecognised))
    return found


def pattern_only(rules: RuleSet) -> RuleSet:
    """The rules with only their patterns: no context, conditions or supersedes to hide a match."""
    return build_ruleset(
        dataclasses.replace(rule, context=(), conditions=Conditions(), supersedes=()) for rule in rules.rules
    )


def _recognised_by(message: str, rules: RuleSet) -> tuple[str, ...]:
    return tuple(match.rule.id for match in triage(Issue(message, ""), rules).matches)


def _title_names(rule: Rule) -> list[set[str]]:
    """Per title language: the title and each message it quotes, as ``same_name`` reduces them."""
    return [
        {same_name(title), *(same_name(message) for message in messages_in(title))} for title in rule.title.values()
    ]


def _names(rule: Rule, titles: list[set[str]], entry: FaqEntry) -> bool:
    """The rule's title is the entry's lead (or quotes all its messages), or its link is the entry's anchor."""
    if entry.anchor and urlsplit(rule.faq).fragment == entry.anchor:
        return True
    lead = same_name(entry.lead)
    wanted = {same_name(message) for message in entry.messages}
    return any(lead in names or (wanted and wanted <= names) for names in titles)
