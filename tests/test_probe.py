"""The rules on three probe sets written apart from them (tests/fixtures/probe/README.md): every case
answered as labelled."""

from pathlib import Path

import pytest

from bot.evaluate import evaluate, read_corpus
from bot.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
PROBES = ROOT / "tests" / "fixtures" / "probe"


@pytest.mark.parametrize("name, cases", [("issues.jsonl", 90), ("second.jsonl", 100), ("third.jsonl", 100)])
def test_each_probe_set_is_answered_as_labelled(name, cases):
    report = evaluate(read_corpus(PROBES / name), load_rules(ROOT / "rules"))
    wrong = sorted(r.case.id for r in report.results if r.predicted != r.case.expected)
    assert wrong == [] and len(report.results) == cases
