"""Drafting rules from the FAQ entries no rule covers: what a draft holds, and that it loads."""

import re
from pathlib import Path

import pytest

from bot import regex_safety
from bot.faq import parse_faq, read_faq
from bot.faq_import import Draft, DraftError, Undrafted, literal_regex, plan_import, write_draft
from bot.rule_check import check_rules
from bot.rules import build_ruleset, load_rule_file, load_rules
from tests.rule_helpers import make_rule

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "faq"
SHIPPED = load_rules(ROOT / "rules")


def plan(name, rules=SHIPPED, url=None):
    return plan_import(parse_faq(read_faq(FIXTURES / name)), rules, f"tests/fixtures/faq/{name}", url)


def test_only_uncovered_entries_that_quote_an_error_are_drafted():
    planned = plan("list-en.md")
    drafts = [item for item in planned if isinstance(item, Draft)]
    assert [draft.entry.lead for draft in drafts] == ['"Widget pipeline stalls at epoch zero"']
    human = [item for item in planned if isinstance(item, Undrafted) and not item.covered_by]
    assert [item.entry.lead for item in human] == ["How do I resume training?", "`norm_eval` in a backbone"]
    assert all("quotes no error message" in item.reason for item in human)
    assert sum(1 for item in planned if isinstance(item, Undrafted) and item.covered_by) == 6


def test_a_draft_says_it_is_a_draft_and_where_it_came_from():
    draft = next(item for item in plan("list-en.md") if isinstance(item, Draft))
    assert draft.rule_id == "widget-pipeline-stalls-at-epoch-zero"
    header = [line for line in draft.text.splitlines() if line.startswith("#")]
    assert header[0] == (
        "# DRAFT for review, imported by `python -m bot rules import` from tests/fixtures/faq/list-en.md:46:"
    )
    assert any("translate them" in line for line in header)
    assert any("faq: the link most existing rules use" in line for line in header)


def test_a_draft_loads_and_passes_rules_check(tmp_path):
    draft = next(item for item in plan("list-en.md", url="https://example.org/faq.html") if isinstance(item, Draft))
    rule = load_rule_file(write_draft(draft, tmp_path))
    assert check_rules(build_ruleset([rule])) == []
    assert rule.faq == "https://example.org/faq.html"
    assert rule.examples_match == ("Widget pipeline stalls at epoch zero",)
    assert rule.labels == ("faq",)
    assert rule.answer["en"] == rule.answer["zh"] == "Lower the number of data loader workers."
    assert [regex.source for regex in rule.regexes] == [r"\bWidget pipeline stalls at epoch zero\b"]
    assert [phrase.phrase for phrase in rule.phrases] == ["Widget pipeline stalls at epoch zero"]


def test_a_chinese_faq_is_drafted_with_its_answer_in_both_languages_for_translation(tmp_path):
    rules = build_ruleset([make_rule(tmp_path)])
    drafts = [item for item in plan("headings-zh.md", rules) if isinstance(item, Draft)]
    assert [draft.rule_id for draft in drafts] == [
        "segmentation-fault", "invalid-device-function", "widget-loader-refused-the-annotation",
    ]
    assert "the 'en' texts are copies of the FAQ's 'zh' text" in drafts[0].text
    written = [load_rule_file(write_draft(draft, tmp_path / "drafts")) for draft in drafts]
    assert written[0].answer["en"] == written[0].answer["zh"] and "GCC" in written[0].answer["zh"]
    assert check_rules(build_ruleset(written)) == []


def test_a_draft_id_never_takes_an_existing_rule_id(tmp_path):
    rules = build_ruleset([make_rule(tmp_path, "segmentation-fault")])
    drafts = [item for item in plan("headings-zh.md", rules) if isinstance(item, Draft)]
    assert drafts[0].rule_id == "segmentation-fault-2"


def test_an_existing_draft_is_never_overwritten(tmp_path):
    draft = next(item for item in plan("list-en.md") if isinstance(item, Draft))
    target = write_draft(draft, tmp_path)
    target.write_text(target.read_text() + "# reviewed by a maintainer\n")
    with pytest.raises(FileExistsError):
        write_draft(draft, tmp_path)
    assert target.read_text().endswith("# reviewed by a maintainer\n")


def test_a_draft_the_loader_refuses_is_not_written(tmp_path):
    entry = parse_faq('- "DemoError: widget broke"\n\n  Fix it.\n')[0]
    with pytest.raises(DraftError, match="missing required key"):
        write_draft(Draft(entry, "broken-draft", "id: broken-draft\n"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_faqs_stand_ins_match_one_name_each():
    source = literal_regex("KeyError: \"xxx: 'yyy is not in the zzz registry'\"")
    regex_safety.check(source)  # three bounded stand-ins stay within the backtracking budget
    assert re.search(source, "KeyError: \"MaskRCNN: 'MyHead is not in the models registry'\"")
    assert not re.search(source, "KeyError: \"MaskRCNN: 'My Head is not in the models registry'\"")


def test_a_literal_regex_escapes_the_message():
    source = literal_regex("fatal error C1189: #error: -- unsupported (version!)")
    assert re.fullmatch(source, "fatal error C1189: #error: -- unsupported (version!)")
    assert source.startswith(r"\bfatal") and not source.endswith(r"\b")


def test_a_message_too_short_to_be_evidence_is_left_to_a_human():
    planned = plan_import(parse_faq('- "Killed"\n\n  Add memory.\n'), SHIPPED, "FAQ.md")
    assert isinstance(planned[0], Undrafted) and "too short" in planned[0].reason
