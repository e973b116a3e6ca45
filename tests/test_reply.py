import re
import string

from bot import diagnosis
from bot.matcher import Evidence, Match
from bot.marker import carries_marker
from bot.reply import (
    GITHUB_COMMENT_LIMIT,
    MARKER,
    TEXT,
    labels_for,
    render_answer,
    render_nothing_found,
    render_unknown_rule,
    shorten,
)
from tests.rule_helpers import make_rule


def a_match(tmp_path, rule_id="demo-rule", evidence="DemoError: the widget cog broke", line=3, **overrides):
    return Match(make_rule(tmp_path, rule_id, **overrides), 100.0, Evidence(line, evidence), "regex")


def test_answer_quotes_evidence_gives_steps_link_marker_and_rerun_hint(tmp_path):
    comment = render_answer("en", [a_match(tmp_path)])
    assert comment.startswith(MARKER)
    assert "```\nDemoError: the widget cog broke\n```" in comment
    assert "(line 3)" in comment
    assert "1. Fix the widget." in comment
    assert "https://example.org/faq#demo" in comment
    assert "`/faq`" in comment


def test_chinese_reporters_get_the_chinese_answer(tmp_path):
    comment = render_answer("zh", [a_match(tmp_path)])
    assert "1. 修好小部件。" in comment
    assert "Fix the widget" not in comment
    assert "第 3 行" in comment


def test_evidence_cannot_break_out_of_its_code_block(tmp_path):
    sneaky = "DemoError: ``` @maintainers <script>alert(1)</script> ```` end"
    comment = render_answer("en", [a_match(tmp_path, evidence=sneaky)])
    fence = re.search(r"^(`{3,})\n" + re.escape(sneaky), comment, re.M).group(1)
    assert len(fence) == 5  # longer than the longest run of backticks in the evidence


def test_environment_is_shown_folded_and_missing_environment_is_asked_for(tmp_path):
    comment = render_answer(
        "en", [a_match(tmp_path)], env_checks=["the CUDA version mmcv was built with"],
        env_rows=[("PyTorch", "1.12.1+cu113")],
    )
    assert "<details><summary>" in comment and "PyTorch: 1.12.1+cu113" in comment
    assert "python mmdet/utils/collect_env.py" in comment
    assert "the CUDA version mmcv was built with" in comment


def test_labels_come_from_the_answered_rules_once_each(tmp_path):
    first = a_match(tmp_path, "first-rule", labels=["faq", "installation"])
    second = a_match(tmp_path, "second-rule", labels=["faq", "usage"])
    assert labels_for([first, second]) == ("faq", "installation", "usage")


def test_nothing_found_reply_is_marked_as_the_bots_own():
    assert carries_marker(render_nothing_found("en"))
    assert "没有找到" in render_nothing_found("zh")
    assert not carries_marker("thanks!") and not carries_marker(None)


def test_shorten_keeps_the_marker_and_fits_github(tmp_path):
    long_answer = "\n\n".join(["1. step " + "x" * 500] * 300)
    comment = render_answer("en", [a_match(tmp_path, answer={"en": long_answer, "zh": long_answer})])
    assert len(comment) > GITHUB_COMMENT_LIMIT
    short = shorten(comment, GITHUB_COMMENT_LIMIT)
    assert len(short) <= GITHUB_COMMENT_LIMIT
    assert short.startswith(MARKER)
    assert "shortened" in short
    assert short.count("```") % 2 == 0


def test_what_the_environment_shows_comes_before_the_general_steps(tmp_path, monkeypatch):
    monkeypatch.setitem(diagnosis.TEXT["en"], "demo-no-ops", "Your mmcv lacks ops.")
    monkeypatch.setitem(diagnosis.TEXT["zh"], "demo-no-ops", "您的 mmcv 没有算子。")
    found = diagnosis.Diagnosis("demo", {}, diagnosis.Message("demo-no-ops"))
    comment = render_answer("en", [a_match(tmp_path)], diagnoses=[found])
    assert comment.index("Your mmcv lacks ops.") < comment.index("1. Fix the widget.")
    assert "您的" not in comment


def test_a_note_about_an_unknown_rule_is_the_bots_own_but_never_taken_for_its_answer():
    note = render_unknown_rule("en", "no-such-rule", ["segfault"])
    assert carries_marker(note)
    assert MARKER not in note  # so finding the answer by its marker cannot pick this note


def test_every_text_table_has_the_same_keys_and_fields_in_both_languages():
    for table in (TEXT, diagnosis.TEXT):
        assert set(table) == {"en", "zh"}
        assert table["en"].keys() == table["zh"].keys()
        for key, template in table["en"].items():
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            assert fields == {name for _, name, _, _ in string.Formatter().parse(table["zh"][key]) if name}, key


def test_every_finding_message_renders_in_both_languages():
    from bot.findings import Finding
    from bot.reply import TEXT, render_finding

    fields = (("code", "209"), ("name", "X"), ("numbering", "CUDA 10.1 and newer"), ("symbol", "at::empty"),
              ("scope", "at"), ("library", "_ext.so"), ("version", " 10.1"), ("since", "3.0.0"),
              ("installed", "2.25.0"), ("suggestion", "CocoDataset"))
    keys = [key for key in TEXT["en"] if key.startswith(("cuda-", "symbol-", "library-", "already-", "hint-", "ops-"))]
    assert set(keys) == {key for key in TEXT["zh"] if key.startswith(("cuda-", "symbol-", "library-", "already-", "hint-", "ops-"))}
    for key in keys:
        for language in ("en", "zh"):
            assert "{" not in render_finding(Finding("k", "v", 1, key, fields), language)
