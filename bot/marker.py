"""How the bot recognises its own comments: hidden markers, light enough for the web front to import.

Anyone can type a marker, so a marker alone only says "this text claims to be the bot's": it is
enough to ignore a comment as input (the bot never reacts to itself), never enough to edit one.
Which comment is the bot's answer is decided with its author too, in bot/github.py.
"""

from __future__ import annotations

# Hidden in the bot's answer on an issue, so it can find (and edit) that one comment again.
MARKER = "<!-- faq-bot -->"
# Hidden in the bot's other notes (an unknown `/faq RULE-ID`): its own too, but never the answer.
NOTE_MARKER = "<!-- faq-bot:note -->"
# Hidden in the bot's replies to the issue author's later comments: never the answer either.
FOLLOW_UP_MARKER = "<!-- faq-bot:follow-up -->"


def carries_marker(body: str | None) -> bool:
    """Whether a comment's text carries one of the bot's markers (its answer or one of its notes)."""
    return isinstance(body, str) and any(marker in body for marker in (MARKER, NOTE_MARKER, FOLLOW_UP_MARKER))
