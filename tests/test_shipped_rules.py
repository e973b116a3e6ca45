"""The FAQ rules as shipped: one per FAQ entry, each with its examples passing."""

from pathlib import Path

import pytest

from bot.environment import parse_environment
from bot.matcher import env_allows
from bot.rule_check import check_rules
from bot.rules import build_ruleset, load_rules
from tests.rule_helpers import make_rule

ROOT = Path(__file__).resolve().parent.parent
FAQ_IDS = {
    "registry-key-error", "mmcv-ops-missing", "cuda-arch-mismatch", "undefined-symbol",
    "cuda-invalid-config", "nms-no-gpu", "segfault", "libtorch-cuda-cu-missing", "msvc-unsupported",
    "win-torch150-all-slots", "win-torch160-in-class-init", "win-torch170-profile-kind",
    "mmcv-mmdet-compat", "ddp-unused-params", "backward-twice",
}


def test_every_faq_entry_has_exactly_one_rule():
    assert set(load_rules(ROOT / "rules").ids) == FAQ_IDS


def test_every_rule_answers_in_both_languages_with_a_link_and_labels():
    for rule in load_rules(ROOT / "rules").rules:
        assert rule.answer["en"] and rule.answer["zh"] and rule.faq.startswith("https://")
        assert "faq" in rule.labels


def test_every_example_behaves_and_no_rule_is_slow_on_hostile_text():
    assert check_rules(load_rules(ROOT / "rules")) == []


RULES = load_rules(ROOT / "rules")


@pytest.mark.parametrize("lines, rule", [
    (("sys.platform: linux",), "win-torch160-in-class-init"),
    (("sys.platform: linux",), "msvc-unsupported"),
    (("PyTorch: 1.8.1",), "win-torch160-in-class-init"),
    (("pytorch: 1.8",), "win-torch150-all-slots"),
    (("sys.platform: win32", "PyTorch: 1.6.0+cu101"), "win-torch170-profile-kind"),
])
def test_a_contradicting_environment_rules_a_windows_entry_out(lines, rule):
    assert not env_allows(RULES.get(rule), parse_environment("\n".join(lines)))


@pytest.mark.parametrize("lines, rule", [
    ((), "win-torch160-in-class-init"),  # nothing known
    (("sys.platform: win32",), "win-torch160-in-class-init"),
    (("PyTorch: 1.7.0",), "win-torch160-in-class-init"),  # the 1.7.0 entry repeats that fix
    (("PyTorch: 1.5.1",), "win-torch150-all-slots"),
    (("sys.platform: win32", "NVCC: Cuda compilation tools, release 10.1, V10.1.243"), "msvc-unsupported"),
    (("PyTorch: 1.8.0", "PyTorch: 1.6.0"), "win-torch160-in-class-init"),  # contradictory: unknown
    (("sys.platform: linux",), "segfault"),  # not a Windows entry
])
def test_missing_or_consistent_facts_do_not_rule_an_entry_out(lines, rule):
    assert env_allows(RULES.get(rule), parse_environment("\n".join(lines)))


def test_rules_check_reports_a_rule_that_is_slow_on_hostile_text(tmp_path):
    # Passes the static screening (no nested quantifier, bounded repeats) yet backtracks a lot.
    slow = make_rule(tmp_path, "slow-rule", patterns=[{"regex": r"\bpart \w{0,900}[a-z]{0,900}x"}],
                     examples={"match": ["part ax"], "no_match": ["nothing"]})
    problems = check_rules(build_ruleset([slow]))
    assert [p.rule for p in problems] == ["slow-rule"]
    assert "hostile" in problems[0].message
