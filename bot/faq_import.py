"""``rules import``: draft rules from the FAQ entries no rule covers, for a maintainer to review."""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, utils

from bot.faq import FaqEntry
from bot.faq_coverage import coverage
from bot.issue import Issue, detect_language
from bot.rule_check import check_rules
from bot.rules import LANGUAGES, RuleError, RuleSet, build_ruleset, load_rule_file

# A quoted message shorter than this ("Killed") is too common to be evidence on its own.
MIN_MESSAGE_CHARS = 10
# Long enough that a 90 % fuzzy score means the same message retyped, not a neighbouring one.
MIN_DRAFT_PHRASE_CHARS = 30
DRAFT_PHRASE_SCORE = 90
# "xxx", "yyy", "zzz": the FAQ's stand-ins for a name ("yyy is not in the zzz registry").
_PLACEHOLDER = re.compile(r"\b(?:x{3,}|y{3,}|z{3,})\b", re.IGNORECASE)
# What a stand-in matches in a real issue: one name, no spaces. Bounded, so three of them keep
# a failed search within regex_safety's budget.
PLACEHOLDER_REGEX = r"\S{1,60}"
_EXCEPTION_PREFIX = re.compile(r"^[\w.]{0,100}(?:Error|Exception|Warning) ?: ?")
_ID_WORD = re.compile(r"[a-z0-9]+")
MAX_ID_CHARS = 40
# An unrelated error line, for a draft whose FAQ has no other message to serve as a near miss.
UNRELATED_ERROR = "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB"


class DraftError(ValueError):
    """A draft the rule loader or ``rules check`` refuses: a human must write this rule."""


@dataclass(frozen=True)
class Draft:
    entry: FaqEntry
    rule_id: str
    text: str  # the YAML file: review notes in a comment header, then the rule


@dataclass(frozen=True)
class Undrafted:
    entry: FaqEntry
    reason: str
    covered_by: tuple[str, ...] = ()  # set when existing rules already cover the entry


@dataclass(frozen=True)
class _Source:
    """What every draft from one FAQ page shares."""

    name: str  # the FAQ file, as the drafts' headers name it
    language: str  # the language its answers are written in
    url: str  # the link the drafts' faq key gets
    url_guessed: bool  # taken from the existing rules rather than given
    messages: tuple[str, ...]  # every message the page quotes: near misses for each other's drafts


def plan_import(
    entries: tuple[FaqEntry, ...], rules: RuleSet, name: str, faq_url: str | None = None
) -> list[Draft | Undrafted]:
    """A draft for each entry no rule covers and that quotes an error message; a reason for the others.

    ``name`` names the FAQ in the drafts' headers; ``faq_url`` is the page the drafts link
    (default: the link most existing rules use, flagged for review).
    """
    usual = Counter(rule.faq for rule in rules.rules).most_common(1)
    if not faq_url and not usual:
        raise DraftError("no existing rule to take the FAQ's link from: give it with --url")
    source = _Source(
        name,
        detect_language(Issue("", "\n".join(entry.answer for entry in entries))),
        faq_url or usual[0][0],
        not faq_url,
        tuple(message for entry in entries for message in entry.messages),
    )
    taken = set(rules.ids)
    planned: list[Draft | Undrafted] = []
    for found in coverage(entries, rules):
        entry = found.entry
        if found.covered:
            planned.append(Undrafted(entry, "already covered", found.rules))
        elif reason := _why_not_drafted(entry):
            planned.append(Undrafted(entry, reason))
        else:
            rule_id = _free_id(_rule_id(entry), taken)
            taken.add(rule_id)
            planned.append(Draft(entry, rule_id, _render(entry, rule_id, source)))
    return planned


def _why_not_drafted(entry: FaqEntry) -> str:
    if not entry.messages:
        return "its lead quotes no error message: a rule's patterns need the error as issues print it"
    short = [message for message in entry.messages if len(message) < MIN_MESSAGE_CHARS]
    if short:
        return f'"{short[0]}" is too short to be evidence on its own: write patterns that need more of the error'
    if not entry.answer:
        return "it has no answer below its lead"
    return ""


def _rule_id(entry: FaqEntry) -> str:
    message = _EXCEPTION_PREFIX.sub("", entry.messages[0])
    words = [word for word in _ID_WORD.findall(message.lower()) if not _PLACEHOLDER.fullmatch(word)]
    rule_id = ""
    for word in words:
        if rule_id and len(rule_id) + 1 + len(word) > MAX_ID_CHARS:
            break
        rule_id = f"{rule_id}-{word}" if rule_id else word[:MAX_ID_CHARS]
    return rule_id if len(rule_id) >= 3 else f"faq-line-{entry.line}"


def _free_id(rule_id: str, taken: set[str]) -> str:
    number, candidate = 2, rule_id
    while candidate in taken:
        candidate, number = f"{rule_id}-{number}", number + 1
    return candidate


def literal_regex(message: str) -> str:
    """The message as a regex that matches it as written, with its stand-ins ("xxx") as one name each."""
    pieces = [re.escape(piece).replace("\\ ", " ") for piece in _PLACEHOLDER.split(message)]
    source = PLACEHOLDER_REGEX.join(pieces)
    start = r"\b" if re.match(r"\w", message) else ""
    end = r"\b" if re.search(r"\w$", message) else ""
    return start + source + end


def _patterns(entry: FaqEntry) -> list[dict]:
    patterns: list[dict] = [{"regex": literal_regex(message)} for message in entry.messages]
    for message in entry.messages:
        if len(message) >= MIN_DRAFT_PHRASE_CHARS and not _PLACEHOLDER.search(message):
            patterns.append({"phrase": message, "min_score": DRAFT_PHRASE_SCORE})
    return patterns


def _near_misses(entry: FaqEntry, others: list[str]) -> list[str]:
    """Other entries' messages the draft must not match: its neighbours' issues are not its own."""
    regexes = [re.compile(literal_regex(message), re.IGNORECASE | re.MULTILINE) for message in entry.messages]
    wanted = [utils.default_process(message) for message in entry.messages]
    misses = []
    for candidate in [*others, UNRELATED_ERROR]:
        similar = any(fuzz.partial_ratio(utils.default_process(candidate), text) >= 80 for text in wanted)
        if not similar and not any(regex.search(candidate) for regex in regexes) and candidate not in misses:
            misses.append(candidate)
    return misses[:2]


def _render(entry: FaqEntry, rule_id: str, source: _Source) -> str:
    language = source.language
    other = next(code for code in LANGUAGES if code != language)
    others = [message for message in source.messages if message not in entry.messages]
    lead = " ".join(entry.lead.split())
    rule = {
        "id": rule_id,
        "title": {code: lead for code in LANGUAGES},
        "faq": source.url,
        "labels": ["faq"],
        "patterns": _patterns(entry),
        "answer": {code: entry.answer + "\n" for code in LANGUAGES},
        "examples": {"match": list(entry.messages), "no_match": _near_misses(entry, others)},
    }
    notes = [
        f"DRAFT for review, imported by `python -m bot rules import` from {source.name}:{entry.line}:",
        f"  {_shorten(lead)}",
        "It loads and passes `rules check`, but it is no rule yet. Before moving it into the rules folder:",
        "- patterns: the FAQ's wording, literally; add the forms real issues print (test with `bot eval`)",
        "- examples: real error lines under match, near misses under no_match",
        f"- title, answer: the {other!r} texts are copies of the FAQ's {language!r} text: translate them",
        f"- labels: add this entry's labels besides faq (its FAQ section: {entry.section or 'none'!r})",
        "- context, conditions, diagnoses: add those the entry needs (README, section Rules)",
    ]
    if source.url_guessed:
        notes.append("- faq: the link most existing rules use; link this entry's page instead if it differs")
    notes.append("Then delete these comment lines.")
    header = "".join(f"# {note}\n" for note in notes)
    return header + yaml.dump(rule, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=1000)


def _shorten(text: str) -> str:
    return text if len(text) <= 70 else text[:67] + "..."


class _BlockDumper(yaml.SafeDumper):
    """Answers as literal blocks (``|``), as the hand-written rules have them."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_text)


def write_draft(draft: Draft, folder: Path) -> Path:
    """Write ``folder/ID.yaml`` once the loader and ``rules check`` accept it. Never overwrites:
    FileExistsError when the file is there; DraftError when the draft is refused."""
    target = folder / f"{draft.rule_id}.yaml"
    if target.exists():
        raise FileExistsError(target)
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / target.name
        trial.write_text(draft.text, encoding="utf-8")
        try:
            rule = load_rule_file(trial)
        except RuleError as error:
            raise DraftError(str(error).replace(str(trial), target.name)) from error
        problems = check_rules(build_ruleset([rule]))
        if problems:
            raise DraftError("; ".join(problem.message for problem in problems))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8") as out:
            out.write(draft.text)
    except FileExistsError:
        raise  # written meanwhile by someone else: theirs to keep
    except OSError:
        target.unlink(missing_ok=True)  # a half-written draft would break `rules check` on the folder
        raise
    return target
