"""Rendering a composed answer: what the reporter reads, decided elsewhere (bot/answer.py)."""

import re
import string

from bot import answer, diagnosis
from bot.answer import Answer, Filled, Section
from bot.diagnosis import Message
from bot.marker import carries_marker
from bot.matcher import Evidence, Match
from bot.reply import (
    GITHUB_COMMENT_LIMIT,
    MARKER,
    TEXT,
    labels_for,
    render,
    render_nothing_found,
    render_unknown_rule,
    shorten,
)
from tests.rule_helpers import make_rule


def a_section(quote="DemoError: the widget cog broke", line=3, steps=("Fix the widget.",), **values):
    return Section("demo-rule", "Demo problem", quote, line, Filled("The widget broke."),
                   tuple(Filled(step, values) for step in steps), "https://example.org/faq#demo")


def an_answer(*sections, language="en", findings=(), ask=None, env_rows=()):
    return Answer(language, tuple(findings), sections or (a_section(),), ask, tuple(env_rows))


def test_answer_quotes_evidence_numbers_steps_links_the_faq_and_carries_the_marker():
    comment = render(an_answer())
    assert comment.startswith(MARKER)
    assert "```\nDemoError: the widget cog broke\n```" in comment
    assert "(line 3)" in comment
    assert "The widget broke.\n1. Fix the widget." in comment
    assert "https://example.org/faq#demo" in comment
    assert "`/faq`" in comment


def test_placeholders_are_written_with_the_values_compose_chose():
    section = a_section(steps=("Run {{collect_env}} for {{package}}.",),
                        collect_env=Message("code", {"code": "python mmseg/utils/collect_env.py"}), package="mmseg")
    comment = render(an_answer(section))
    assert "1. Run `python mmseg/utils/collect_env.py` for mmseg." in comment and "{{" not in comment


def test_chinese_reporters_get_the_chinese_frame():
    comment = render(an_answer(language="zh"))
    assert "第 3 行" in comment and "解决方法" in comment and "What to do" not in comment


def test_evidence_cannot_break_out_of_its_code_block():
    sneaky = "DemoError: ``` @maintainers <script>alert(1)</script> ```` end"
    comment = render(an_answer(a_section(quote=sneaky)))
    fence = re.search(r"^(`{3,})\n" + re.escape(sneaky), comment, re.M).group(1)
    assert len(fence) == 5  # longer than the longest run of backticks in the evidence


def test_the_environment_is_folded_and_the_request_for_it_is_written_as_composed():
    ask = Message("ask", {"command": "python mmdet/utils/collect_env.py", "checks": "the CUDA of MMCV"})
    comment = render(an_answer(ask=ask, env_rows=[("PyTorch", "1.12.1+cu113")]))
    assert "<details><summary>" in comment and "PyTorch: 1.12.1+cu113" in comment
    assert "`python mmdet/utils/collect_env.py`" in comment and "the CUDA of MMCV" in comment
    assert "<details>" not in render(an_answer())  # nothing concluded from an environment: no block


def test_labels_come_from_the_answered_rules_once_each(tmp_path):
    first = Match(make_rule(tmp_path, "first-rule", labels=["faq", "installation"]), 100, Evidence(1, "x"), "r")
    second = Match(make_rule(tmp_path, "second-rule", labels=["faq", "usage"]), 100, Evidence(1, "x"), "r")
    assert labels_for([first, second]) == ("faq", "installation", "usage")


def test_nothing_found_reply_is_marked_as_the_bots_own():
    assert carries_marker(render_nothing_found("en"))
    assert "没有找到" in render_nothing_found("zh")
    assert not carries_marker("thanks!") and not carries_marker(None)


def test_shorten_keeps_the_marker_and_fits_github():
    long_step = "step " + "x" * 500
    comment = render(an_answer(a_section(steps=(long_step,) * 300)))
    assert len(comment) > GITHUB_COMMENT_LIMIT
    short = shorten(comment, GITHUB_COMMENT_LIMIT)
    assert len(short) <= GITHUB_COMMENT_LIMIT
    assert short.startswith(MARKER)
    assert "shortened" in short
    assert short.count("```") % 2 == 0


def test_what_the_report_shows_comes_before_the_general_steps(monkeypatch):
    monkeypatch.setitem(diagnosis.TEXT["en"], "demo-no-ops", "Your mmcv lacks ops.")
    monkeypatch.setitem(diagnosis.TEXT["zh"], "demo-no-ops", "您的 mmcv 没有算子。")
    comment = render(an_answer(findings=[Message("demo-no-ops")]))
    assert comment.index("Your mmcv lacks ops.") < comment.index("1. Fix the widget.")
    assert "您的" not in comment


def test_several_entries_share_one_header_and_one_footer():
    comment = render(an_answer(a_section(), a_section(quote="OtherError: x", line=9)))
    assert comment.count(MARKER) == 1 and comment.count("<sub>") == 1
    assert comment.count("### Demo problem") == 2 and TEXT["en"]["intro_many"] in comment


def test_a_note_about_an_unknown_rule_is_the_bots_own_but_never_taken_for_its_answer():
    note = render_unknown_rule("en", "no-such-rule", ["segfault"])
    assert carries_marker(note)
    assert MARKER not in note  # so finding the answer by its marker cannot pick this note


def test_every_text_table_has_the_same_keys_and_fields_in_both_languages():
    for table in (TEXT, diagnosis.TEXT, answer.TEXT):
        assert set(table) == {"en", "zh"}
        assert table["en"].keys() == table["zh"].keys()
        for key, template in table["en"].items():
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            assert fields == {name for _, name, _, _ in string.Formatter().parse(table["zh"][key]) if name}, key
    assert not set(answer.TEXT["en"]) & set(diagnosis.TEXT["en"])  # one key, one sentence


def test_every_finding_message_renders_in_both_languages():
    from bot.findings import Finding
    from bot.reply import TEXT, render_finding

    fields = (("code", "209"), ("name", "X"), ("numbering", "CUDA 10.1 and newer"), ("symbol", "at::empty"),
              ("scope", "at"), ("library", "_ext.so"), ("version", " 10.1"), ("since", "3.0.0"),
              ("installed", "2.25.0"), ("suggestion", "CocoDataset"), ("until", "1.7.0"))
    keys = [key for key in TEXT["en"] if key.startswith(("cuda-", "symbol-", "library-", "already-", "hint-", "ops-"))]
    assert set(keys) == {key for key in TEXT["zh"] if key.startswith(("cuda-", "symbol-", "library-", "already-", "hint-", "ops-"))}
    for key in keys:
        for language in ("en", "zh"):
            assert "{" not in render_finding(Finding("k", "v", 1, key, fields), language)
