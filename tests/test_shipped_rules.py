"""The FAQ rules as shipped: one per FAQ entry, each with its examples passing."""

from pathlib import Path

from bot.rule_check import check_rules
from bot.rules import load_rules

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
