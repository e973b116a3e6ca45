"""Building small rule files for tests, so matcher tests do not depend on the shipped FAQ rules."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.rules import Rule, load_rule_file


def rule_document(rule_id: str = "demo-rule", **overrides) -> dict:
    document = {
        "id": rule_id,
        "title": {"en": "Demo problem", "zh": "示例问题"},
        "faq": "https://example.org/faq#demo",
        "labels": ["faq", "demo"],
        "patterns": [{"regex": r"DemoError: the widget \w{1,20} broke"}],
        "answer": {"en": "1. Fix the widget.", "zh": "1. 修好小部件。"},
        "examples": {"match": ["DemoError: the widget gear broke"], "no_match": ["all widgets fine"]},
    }
    document.update(overrides)
    return document


def write_rule(folder: Path, rule_id: str = "demo-rule", **overrides) -> Path:
    path = folder / f"{rule_id}.yaml"
    path.write_text(yaml.safe_dump(rule_document(rule_id, **overrides), allow_unicode=True), encoding="utf-8")
    return path


def make_rule(folder: Path, rule_id: str = "demo-rule", **overrides) -> Rule:
    return load_rule_file(write_rule(folder, rule_id, **overrides))
