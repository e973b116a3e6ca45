"""Reports per rule, as markdown and HTML: ordering, escaping, and comments whose fences cannot break out."""

from bot.report import Finding, Report, by_rule, render_html, render_markdown

COMMENT = "<!-- faq-bot -->\nThe error:\n\n````\nboom\n````\n"
FINDINGS = (
    Finding("o/r#1", "https://github.com/o/r/issues/1", "a | b", ("segfault",), ("faq",), COMMENT),
    Finding("o/r#2", "https://github.com/o/r/issues/2", "<script>x</script>", ("segfault", "nms-no-gpu"), (), "hi"),
)
REPORT = Report("faq-bot replay of o/r", (("Issues triaged", "2"),), FINDINGS, ("backward-twice", "nms-no-gpu"))


def test_rules_are_listed_most_fired_first_with_those_that_never_fired():
    assert [(rule, len(found)) for rule, found in by_rule(REPORT)] == [
        ("segfault", 2), ("nms-no-gpu", 1), ("backward-twice", 0)]


def test_markdown_escapes_titles_and_fences_each_comment_longer_than_its_own_fences():
    markdown = render_markdown(REPORT)
    assert "### [o/r#1](https://github.com/o/r/issues/1): a \\| b" in markdown
    assert "\\<script\\>x\\</script\\>" in markdown
    assert "`````markdown\n<!-- faq-bot -->" in markdown and "````\n`````\n" in markdown
    assert "| `segfault` | 2 | [o/r#1](https://github.com/o/r/issues/1), [o/r#2](https://github.com/o/r/issues/2) |" \
        in markdown


def test_html_is_one_self_contained_page_with_a_chart_and_nothing_unescaped():
    page = render_html(REPORT)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1 and "<rect" in page
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "&lt;!-- faq-bot --&gt;" in page and "<link" not in page
