import pytest

from bot.version import VersionRangeError, parse_range, parse_version


@pytest.mark.parametrize("text", ["1.x", "latest", "", None, "1.2.3.4.5.6", "cu113", "v"])
def test_what_is_not_a_version_is_none(text):
    assert parse_version(text) is None


def test_local_suffix_is_kept_but_does_not_change_order():
    torch = parse_version("1.12.1+cu113")
    assert str(torch) == "1.12.1+cu113"
    assert torch.same_release(parse_version("1.12.1"))


def test_release_candidates_sort_before_the_release():
    assert parse_version("2.0.0rc4") < parse_version("2.0.0") < parse_version("2.0.1")
    assert parse_version("1.3") == parse_version("1.3") and parse_version("1.3").same_release(parse_version("1.3.0"))


def test_ranges_hold_their_clauses():
    torch_1_6 = parse_range(">=1.6.0,<1.7.0")
    assert torch_1_6.contains(parse_version("1.6.0+cu101"))
    assert not torch_1_6.contains(parse_version("1.7.0"))
    assert parse_range("==1.5").contains(parse_version("1.5.0"))


def test_unreadable_range_says_how_to_write_it():
    with pytest.raises(VersionRangeError, match="write it as"):
        parse_range(">= one")
