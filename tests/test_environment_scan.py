"""The scan for lines worth reading: its shortcuts must never drop a line the full patterns keep."""

import re

from bot import environment

AFTER = re.compile(f"(?:{environment._AFTER_KEY}|{environment._AFTER_NAME})")
GATE = re.compile(environment._AFTER_GATE)

# Characters a name may be followed by: ASCII, Latin, punctuation, every kind of space, and the
# CJK characters and full-width forms the patterns name.
PROBE_CHARS = [chr(code) for code in range(0x3000)] + list("的版本号是为：，、") + [chr(0x3000), chr(0xFEFF)]
SUFFIXES = ["", "1", "1.2", "3.8 ", " 1", ":", " : 1", "version 1", " version: 1", "=1", "v1.2", "amp;: 1", "#39;:"]


def test_the_gate_lets_through_every_start_of_what_follows_a_name() -> None:
    for char in PROBE_CHARS:
        for lead in ("", " ", "\t "):
            for suffix in SUFFIXES:
                text = lead + char + suffix
                if AFTER.match(text):
                    assert GATE.match(text), repr(text)


def test_the_gate_turns_away_paths_and_words() -> None:
    for text in ("/site-packages", "\\include", ".cu", " error: x", " - INFO", "_kernel"):
        assert not GATE.match(text), text


def test_each_line_worth_reading_is_given_with_where_it_starts() -> None:
    text = "Traceback\n  torch/x.py\nPython: 3.8\n\nsome words\n> mmcv==1.7.1, torch 1.8\nCUDA available: True"
    lines = text.split("\n")
    worth = environment._lines_worth_reading(text)
    assert [number for number, _ in worth] == [3, 6, 7]
    for number, start in worth:
        assert text[start:].split("\n", 1)[0] == lines[number - 1]
