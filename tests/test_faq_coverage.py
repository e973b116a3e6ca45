"""Which FAQ entries no rule covers."""

from pathlib import Path

from bot.faq import parse_faq, read_faq
from bot.faq_coverage import coverage
from bot.rules import build_ruleset, load_rules
from tests.rule_helpers import make_rule

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "faq"

FAQ = """\
## Installation

- "DemoError: the widget gear broke" or "DemoError: the widget cog broke"

  Replace the widget.

- "Sprocket misaligned at startup"

  Align the sprocket.

## Widget tuning

How to tune widgets, in prose.
"""


def entries():
    return parse_faq(FAQ)


def test_an_entry_is_covered_when_a_rule_recognises_every_message_it_quotes(tmp_path):
    rules = build_ruleset([make_rule(tmp_path)])  # DemoError: the widget \w{1,20} broke
    widget = coverage(entries(), rules)[0]
    assert widget.covered and widget.rules == ("demo-rule",)


def test_a_message_no_rule_recognises_leaves_the_entry_uncovered_and_is_named(tmp_path):
    rules = build_ruleset([make_rule(tmp_path, patterns=[{"regex": r"DemoError: the widget gear broke"}])])
    widget = coverage(entries(), rules)[0]
    assert not widget.covered
    assert widget.unrecognised == ("DemoError: the widget cog broke",)
    assert '"DemoError: the widget cog broke"' in widget.reason


def test_context_and_conditions_do_not_hide_a_rule_that_recognises_the_message(tmp_path):
    # They decide whether an issue concerns the project and its environment; an FAQ entry does both.
    rule = make_rule(tmp_path, context=[r"\bmmcv"], conditions={"platform": ["win32"]})
    assert coverage(entries(), build_ruleset([rule]))[0].covered


def test_a_rule_whose_title_quotes_the_entry_covers_it(tmp_path):
    title = '"Sprocket misaligned at startup"'
    rules = build_ruleset([make_rule(tmp_path, title={"en": title, "zh": "链轮没有对齐"})])
    sprocket = coverage(entries(), rules)[1]
    assert sprocket.covered and sprocket.rules == ("demo-rule",)


def test_a_rule_whose_faq_link_is_the_heading_anchor_covers_it(tmp_path):
    rules = build_ruleset([make_rule(tmp_path, faq="https://example.org/faq.html#widget-tuning")])
    tuning = coverage(entries(), rules)[2]
    assert tuning.entry.messages == () and tuning.covered


def test_an_entry_quoting_no_error_is_uncovered_with_that_reason(tmp_path):
    tuning = coverage(entries(), build_ruleset([make_rule(tmp_path)]))[2]
    assert not tuning.covered and "quotes no error message" in tuning.reason


def test_the_shipped_rules_cover_the_known_errors_of_an_faq_page():
    found = coverage(parse_faq(read_faq(FIXTURES / "list-en.md")), load_rules(ROOT / "rules"))
    assert [item.entry.lead for item in found if not item.covered] == [
        '"Widget pipeline stalls at epoch zero"',
        "How do I resume training?",
        "`norm_eval` in a backbone",
    ]
    assert {item.rules for item in found if item.covered} >= {("registry-key-error",), ("cuda-arch-mismatch",)}
