"""The rules on a probe set written apart from them (tests/fixtures/probe/README.md): no answer
lost, no wrong answer added."""

from pathlib import Path

from bot.evaluate import evaluate, read_corpus
from bot.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "fixtures" / "probe" / "issues.jsonl"
# The one disagreement kept on purpose: an error the reporter says they fixed, answered as the dev
# sets label such reports.
KNOWN_DISAGREEMENTS = {"probe-001"}


def test_the_probe_set_is_answered_as_labelled_but_for_the_known_disagreement():
    report = evaluate(read_corpus(PROBE), load_rules(ROOT / "rules"))
    wrong = {r.case.id for r in report.results if r.predicted != r.case.expected}
    assert wrong <= KNOWN_DISAGREEMENTS, sorted(wrong - KNOWN_DISAGREEMENTS)
    assert report.overall.recall == 1.0 and len(report.results) == 90
