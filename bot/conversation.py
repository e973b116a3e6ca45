"""Reading the issue author's later comments: what they add that triage reads (pure).

A reporter answers the bot, or shows the next error, in a new comment. Only their own words count:
quoted lines (`> ...`) and code blocks copied from the bot's comments are somebody else's text, and
a comment that adds neither environment output nor an error signature ("thanks, solved", "still
not working") adds nothing to read.
"""

from __future__ import annotations

import re

from bot.environment import parse_environment
from bot.issue import Issue, extract_signatures, read_issue

MAX_FOLLOW_UPS = 3  # replies to the author's comments per issue; after that, the maintainers'
_QUOTE = re.compile(r"^ {0,3}>")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def own_words(comment: str, bot_texts: tuple[str, ...] = ()) -> str:
    """``comment`` without quoted lines and without code blocks copied from ``bot_texts``."""
    kept: list[str] = []
    block: list[str] | None = None
    for line in comment.splitlines():
        if block is not None:
            block.append(line)
            if _FENCE.match(line):
                if not _copied("\n".join(block[1:-1]), bot_texts):
                    kept += block
                block = None
            continue
        if _FENCE.match(line):
            block = [line]
        elif not _QUOTE.match(line):
            kept.append(line)
    if block is not None and not _copied("\n".join(block[1:]), bot_texts):
        kept += block  # an unclosed fence runs to the end, as GitHub renders it
    return "\n".join(kept).strip()


def _copied(content: str, bot_texts: tuple[str, ...]) -> bool:
    content = content.strip()
    return bool(content) and any(content in text for text in bot_texts)


def adds_environment(text: str) -> bool:
    return not parse_environment(text).is_empty()


def adds_error(text: str) -> bool:
    return bool(extract_signatures(read_issue(Issue("", text))))


def adds_input(text: str) -> bool:
    """Whether the text holds what triage reads: environment output or an error signature."""
    return bool(text) and (adds_environment(text) or adds_error(text))
