import pytest

from bot.regex_safety import UnsafePattern, check


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+b", r"(\w*)*x", r"(?:foo|bar)+", r"(\w+) \1", r".*error.*", r"[^\n]+ and [^\n]+"],
)
def test_backtracking_shapes_are_refused(pattern):
    with pytest.raises(UnsafePattern):
        check(pattern)


def test_anchor_is_the_longest_required_literal():
    assert check(r"No module named '?mmcv\.(?:_ext|ops)'?") == ("no module named ",)


def test_alternation_gives_one_anchor_per_branch():
    assert check(r"(?:invalid device function|no kernel image is available)") == (
        "invalid device function",
        "no kernel image is available",
    )


def test_optional_text_is_not_an_anchor():
    assert check(r"(?:segmentation)?\d{1,3}") == ()


def test_bounded_repeats_are_allowed():
    assert check(r"is not in the .{0,80} registry") == ("is not in the ",)
