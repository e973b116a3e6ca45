import pytest

from bot.regex_safety import UnsafePattern, check


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+b", r"(\w*)*x", r"(?:foo|bar)+", r"(\w+) \1", r".*error.*", r"[^\n]+ and [^\n]+"],
)
def test_backtracking_shapes_are_refused(pattern):
    with pytest.raises(UnsafePattern):
        check(pattern)


def test_anchor_is_the_longest_required_literal_and_its_inner_word_the_keyword():
    screened = check(r"No module named '?mmcv\.(?:_ext|ops)'?")
    assert screened.anchors == ("no module named ",)
    assert screened.keywords == ("module",)  # "named" is as inner, "no" may run on: "Kno"


def test_alternation_gives_one_anchor_and_keyword_per_branch():
    screened = check(r"(?:invalid device function|no kernel image is available)")
    assert screened.anchors == ("invalid device function", "no kernel image is available")
    assert screened.keywords == ("device", "kernel")


def test_a_word_boundary_makes_an_edge_word_a_keyword():
    assert check(r"\bsegmentation fault\b").keywords == ("segmentation",)
    assert check(r"segmentation fault").keywords == ()  # "xsegmentation fault" would match too


def test_optional_text_is_not_an_anchor():
    assert check(r"(?:segmentation)?\d{1,3}").anchors == ()


def test_bounded_repeats_are_allowed():
    assert check(r"is not in the .{0,80} registry").anchors == ("is not in the ",)


def test_repeats_that_multiply_their_retries_are_refused():
    with pytest.raises(UnsafePattern, match="multiply"):
        check(r"\w{0,1000}\w{0,1000}x")
    check(r"KeyError: .{0,200} is not in the \w{1,40} registry")  # 201 x 40: fine


def test_a_factored_alternation_keeps_its_whole_words_as_anchors():
    # re turns "mmcv|mmdet|mmengine" into "mm" + (cv|det|engine): the anchors are the whole names
    assert check(r"\b(?:mmcv|mmdet|mmengine)\b.{0,9}\d").anchors == ("mmcv", "mmdet", "mmengine")


def test_two_cjk_characters_are_an_anchor_and_weigh_more_than_short_latin():
    assert check("推理|导入 ?mmcv").anchors == ("导入", "推理")
    assert check(r"\bmmcv\b.{0,40}(?:不兼容|版本不匹配)").anchors == ("不兼容", "版本不匹配")


@pytest.mark.parametrize(
    "pattern, single_line",
    [
        (r"undefined symbol: \S{1,40}", True),  # \S never matches a newline
        (r"error.{0,40}code", True),  # "." without DOTALL does not either
        (r"error\s{1,3}code", False),
        (r"error[^:]{0,9}code", False),
        (r"error[^\n.:]{0,9}code", True),  # a negated set that names the newline
        (r"error[^\s]{0,9}code", True),
        (r"error[^\S]{0,9}code", False),
        (r"a\W{0,3}b", False),
        ("a\nb", False),
    ],
)
def test_patterns_that_cannot_span_a_newline_are_searched_line_by_line(pattern, single_line):
    assert check(pattern).single_line is single_line


@pytest.mark.parametrize(
    "pattern, reach",
    [
        ("abc", 3),
        (r"a{2,5}b", 6),
        (r"File \"[^\"\n]{1,20}\"\nKeyError", 36),
        (r"(?=x{3})ab", 5),  # a lookahead reads on past the match
        (r"(?<=xyz)ab", 2),  # a lookbehind reads before it
        (r"(?:a|bcd)e", 4),
        (r"error.*code", None),
    ],
)
def test_reach_bounds_what_a_search_attempt_reads(pattern, reach):
    assert check(pattern).reach == reach


def test_keywords_may_come_from_another_required_part_than_the_anchors():
    screened = check(r"\b(?:param|params|output|outputs)\b.{0,40}\btake part in\b")
    assert screened.anchors == ("take part in",)
    assert screened.keywords in (("output", "outputs", "param", "params"), ("take",))


def test_a_literal_followed_by_a_space_ends_a_word():
    assert check(r"\b(?:python|process) crashed").keywords


def test_short_alternatives_are_no_anchor():
    assert check(r"(?:ab|cd)x").anchors == ()


def test_every_required_part_gives_a_group_of_literals():
    screened = check(r"\bmmcv\b.{0,40}\b(?:removed|deleted)\b.{0,30}\b(?:runner|parallel)\b")
    assert screened.anchors == ("deleted", "removed")
    assert set(screened.also) == {("parallel", "runner"), ("mmcv",)}
