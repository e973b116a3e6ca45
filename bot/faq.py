"""Reading an FAQ written in markdown: its entries, each with a lead, quoted error messages, an answer."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from bot.issue import Issue, read_issue

# The FAQs this reads are 7 to 18 KB with 15 to 22 entries. Beyond these it is no FAQ page (a log,
# a dump), and checking and drafting every entry would take minutes.
MAX_FAQ_BYTES = 256 * 1024
MAX_FAQ_ENTRIES = 200


class FaqError(ValueError):
    """An FAQ file that cannot be read as one; the message says what to give instead."""


@dataclass(frozen=True)
class FaqEntry:
    lead: str  # the entry's heading, list item or first paragraph, as written
    line: int  # 1-based line of the lead in the FAQ file
    messages: tuple[str, ...]  # the error messages the lead quotes, as issues would show them
    answer: str  # the markdown below the lead
    section: str = ""  # the heading the entry stands under
    anchor: str = ""  # for an entry that is a heading: its link fragment ("segmentation-fault")


def read_faq(path: str | Path) -> str:
    """The FAQ's text; FaqError for a file that is missing, binary, not UTF-8 or too large."""
    path = Path(path)
    try:
        with path.open("rb") as source:
            raw = source.read(MAX_FAQ_BYTES + 1)
    except FileNotFoundError as error:
        raise FaqError(f"{path}: no such FAQ file") from error
    except IsADirectoryError as error:
        raise FaqError(f"{path}: is a folder; give the FAQ's markdown file") from error
    except OSError as error:
        raise FaqError(f"{path}: cannot read the FAQ: {error.strerror or error}") from error
    if len(raw) > MAX_FAQ_BYTES:
        raise FaqError(f"{path}: larger than {MAX_FAQ_BYTES // 1024} KB; an FAQ page is far smaller")
    if b"\x00" in raw:
        raise FaqError(f"{path}: a binary file, not markdown")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FaqError(f"{path}: not UTF-8 text (byte {error.start}); save the FAQ as UTF-8") from error


_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_BULLET = re.compile(r"^( *)[-*+][ \t]+(\S.*)$")
_FENCE = re.compile(r"^ *(```|~~~)")
# A line that starts a block of its own, so it ends the paragraph before it.
_BLOCK_START = re.compile(r"^ *(?:[-*+][ \t]|\d{1,9}[.)][ \t]|```|~~~|#{1,6}[ \t]|\|)")


@dataclass(frozen=True)
class _Heading:
    index: int  # 0-based line
    level: int
    text: str


def parse_faq(text: str) -> tuple[FaqEntry, ...]:
    """The entries of an FAQ page.

    An entry is a top-level list item under a heading (the shape of OpenMMLab's FAQs), a heading
    whose own text quotes an error message, a heading with prose and no sub-headings or list
    items, or the first paragraph under a heading when it quotes error messages before the list.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    in_code = _code_lines(lines)
    headings = [
        _Heading(index, len(found.group(1)), found.group(2).strip())
        for index, line in enumerate(lines)
        if not in_code[index] and (found := _HEADING.match(line))
    ]
    sections = [_Heading(-1, 0, ""), *headings]  # the text before the first heading, then each heading's
    # The page's title ("# Notes" above all else) with prose below it is the page, not a question.
    title = headings[0] if headings and all(h.level > headings[0].level for h in headings[1:]) else None
    entries: list[FaqEntry] = []
    parents: list[_Heading] = []  # the headings the current one stands under
    position = 0
    while position < len(sections):
        heading = sections[position]
        while parents and parents[-1].level >= heading.level:
            parents.pop()
        section = parents[-1].text if parents else ""
        following = sections[position + 1] if position + 1 < len(sections) else None
        end = following.index if following else len(lines)
        is_leaf = following is None or following.level <= heading.level
        body = range(heading.index + 1, end)
        position += 1
        if heading.text and messages_in(heading.text):
            # Its answer runs to the next heading of its level or above, sub-headings included.
            while position < len(sections) and sections[position].level > heading.level:
                position += 1
            end = sections[position].index if position < len(sections) else len(lines)
            entries.append(_heading_entry(lines, heading, end, section))
        elif bullets := _top_level_bullets(lines, in_code, body):
            entries += _preamble_entry(lines, heading, body.start, bullets[0])
            for number, start in enumerate(bullets[: MAX_FAQ_ENTRIES + 1]):
                stop = bullets[number + 1] if number + 1 < len(bullets) else end
                entries.append(_item_entry(lines, start, stop, heading.text))
        elif heading.text and heading is not title and is_leaf and _has_text(lines, body):
            entries.append(_heading_entry(lines, heading, end, section))
        parents.append(heading)
        if len(entries) > MAX_FAQ_ENTRIES:
            raise FaqError(f"more than {MAX_FAQ_ENTRIES} entries: an FAQ page has far fewer")
    return tuple(entries)


def _code_lines(lines: list[str]) -> list[bool]:
    """For each line: is it inside (or the fence of) a fenced code block."""
    marks, fence = [], ""
    for line in lines:
        found = _FENCE.match(line)
        if fence:
            marks.append(True)
            if found and found.group(1) == fence:
                fence = ""
        else:
            marks.append(bool(found))
            fence = found.group(1) if found else ""
    return marks


def _top_level_bullets(lines: list[str], in_code: list[bool], body: range) -> list[int]:
    """The bullet lines of ``body`` at its shallowest indentation: the entries, not their sub-points."""
    bullets = [
        (index, len(found.group(1)))
        for index in body
        if not in_code[index] and (found := _BULLET.match(lines[index])) and not _is_rule_line(lines[index])
    ]
    if not bullets:
        return []
    shallowest = min(indent for _, indent in bullets)
    return [index for index, indent in bullets if indent == shallowest and indent <= 3]


def _is_rule_line(line: str) -> bool:
    """A thematic break such as ``- - -`` or ``* * *``, which looks like a bullet."""
    return set(line.strip()) <= {"-", "*", "_", " "}


def _paragraph_end(lines: list[str], start: int, stop: int) -> int:
    """The line after the paragraph that begins at ``start``."""
    index = start + 1
    while index < stop and lines[index].strip() and not _BLOCK_START.match(lines[index]):
        index += 1
    return index


def _item_entry(lines: list[str], start: int, stop: int, section: str) -> FaqEntry:
    first = _BULLET.match(lines[start]).group(2)
    lead_end = _paragraph_end(lines, start, stop)
    lead = " ".join([first, *(line.strip() for line in lines[start + 1 : lead_end])])
    return FaqEntry(lead, start + 1, messages_in(lead), _block(lines[lead_end:stop]), section)


def _preamble_entry(lines: list[str], heading: _Heading, start: int, stop: int) -> list[FaqEntry]:
    """The first paragraph under a heading, when it quotes errors (mmdetection's compatibility entry)."""
    first = next((index for index in range(start, stop) if lines[index].strip()), None)
    if first is None or _BLOCK_START.match(lines[first]):
        return []
    lead_end = _paragraph_end(lines, first, stop)
    lead = " ".join(line.strip() for line in lines[first:lead_end])
    messages = messages_in(lead)
    if not messages:
        return []
    return [FaqEntry(lead, first + 1, messages, _block(lines[lead_end:stop]), heading.text)]


def _heading_entry(lines: list[str], heading: _Heading, end: int, section: str) -> FaqEntry:
    return FaqEntry(
        heading.text, heading.index + 1, messages_in(heading.text), _block(lines[heading.index + 1 : end]),
        section, anchor=anchor_of(heading.text),
    )


def _has_text(lines: list[str], body: range) -> bool:
    return any(lines[index].strip() for index in body)


def _block(lines: list[str]) -> str:
    return textwrap.dedent("\n".join(lines)).strip("\n").rstrip()


# --- the error messages a lead quotes -------------------------------------------------------

# A backslash escape of markdown punctuation: "mmcv.\_ext", "\<=xxx".
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# A lead that is itself an error line: "KeyError: ...", "setuptools.sandbox.UnpickleableException: ...".
_ERROR_LEAD = re.compile(r"^[A-Za-z_][\w.]{0,100}(?:Error|Exception|Warning)[ \t]?:")
_CODE_SPAN = re.compile(r"`([^`\n]{1,500})`")
_OPENS_AFTER = set("([{;:,")
_CLOSES_BEFORE = set(".,;:!?)]}*")


def messages_in(lead: str) -> tuple[str, ...]:
    """The error messages a lead quotes: "double-quoted" (nesting allowed), `code with spaces`,
    or the whole lead when it begins as an error line. Normalised as the matcher reads issues."""
    text = _plain(lead)
    if _ERROR_LEAD.match(text):
        return (text,)
    spans = _quoted_spans(text)
    inside = [range(start, stop) for start, stop in spans]
    for found in _CODE_SPAN.finditer(text):
        if " " in found.group(1).strip() and not any(found.start() in span for span in inside):
            spans.append((found.start(1), found.end(1)))
    messages = []
    for start, stop in sorted(spans):
        message = text[start:stop].strip()
        if message and message not in messages:
            messages.append(message)
    return tuple(messages)


def _plain(lead: str) -> str:
    """The lead as text: markdown escapes and surrounding emphasis gone, quotes and spaces folded."""
    text = read_issue(Issue(_ESCAPE.sub(r"\1", lead), "")).lines[0]
    while len(text) > 4 and text[:2] in ("**", "__") and text.rstrip(".").endswith(text[:2]):
        text = text.rstrip(".")[2:-2].strip()
    return text


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """The outermost "..." spans; a quote opens after a space or punctuation and closes before one,
    so ``"error: member "X::all_slots" may not be initialized"`` is one span, not two."""
    spans, opened = [], []
    for index, char in enumerate(text):
        if char != '"':
            continue
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        can_open = (before.isspace() or before in _OPENS_AFTER) and not after.isspace()
        can_close = (after.isspace() or after in _CLOSES_BEFORE) and not before.isspace()
        if can_close and opened:
            start = opened.pop()
            if not opened:
                spans.append((start + 1, index))
        elif can_open:
            opened.append(index)
    return spans


def anchor_of(heading: str) -> str:
    """The link fragment a documentation site gives a heading: "PyTorch 2.0 Support" -> "pytorch-2-0-support"."""
    words = re.findall(r"\w+", _plain(heading).lower())
    return "-".join(words)


def same_name(text: str) -> str:
    """A lead, title or message reduced for comparison: case, quotes, emphasis, end punctuation."""
    return " ".join(_plain(text).casefold().strip(" .;:!\"'`*").split())
