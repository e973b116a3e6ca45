"""A finding: what an error says beyond its wording, as the readers of bot/findings.py report it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    kind: str  # the reader: one of bot.findings.KINDS
    value: str  # what a rule's ``finding`` pattern asks for
    line: int  # 0 = the title
    message: str = ""  # key of the reply's sentence about it ("" = nothing to add)
    fields: tuple[tuple[str, str], ...] = ()  # the sentence's values
    hint: bool = False  # stands apart from any FAQ entry

    def field(self, name: str) -> str:
        return dict(self.fields).get(name, "")
