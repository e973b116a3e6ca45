import re

import pytest

from bot.rules import RuleError, build_ruleset, load_rule_file, load_rules
from tests.rule_helpers import make_rule, write_rule


def test_a_valid_rule_loads_with_compiled_patterns(tmp_path):
    rule = make_rule(tmp_path)
    assert rule.id == "demo-rule"
    assert rule.regexes[0].compiled.search("DemoError: THE WIDGET cog BROKE")  # case-insensitive
    assert rule.labels == ("faq", "demo")
    assert rule.answer["zh"] == "1. 修好小部件。"


def test_a_step_condition_may_list_the_values_it_is_shown_for(tmp_path):
    rule = make_rule(tmp_path, steps=[{"en": "Do it.", "zh": "做。", "when": {"ops": ["mmcv", "mmdet"], "gpu": "known"}}])
    assert rule.steps[0].when == {"ops": ("mmcv", "mmdet"), "gpu": "known"}


def test_error_names_file_line_rule_and_field(tmp_path):
    path = write_rule(tmp_path, patterns=[{"regex": "(unclosed"}])
    with pytest.raises(RuleError) as error:
        load_rule_file(path)
    message = str(error.value)
    assert str(path) in message
    assert "rule 'demo-rule'" in message
    assert "field 'patterns.[0].regex'" in message
    line_of_regex = path.read_text().splitlines().index("- regex: (unclosed") + 1
    assert f"{path}:{line_of_regex}:" in message


@pytest.mark.parametrize(
    "overrides, complaint",
    [
        ({"colour": "red"}, "unknown key"),
        ({"answer": {"en": "only english"}}, "missing the 'zh' text"),
        ({"faq": "http://insecure.example/faq"}, "https://"),
        ({"patterns": []}, "at least one pattern"),
        ({"patterns": [{"phrase": "too short"}]}, "at least 15 characters"),
        ({"patterns": [{"phrase": "a long enough fuzzy phrase", "min_score": 50}]}, "from 80 to 100"),
        ({"patterns": [{"regex": "(a+)+"}]}, "nested quantifiers"),
        ({"patterns": [{"regex": ".*x.*"}]}, "unbounded repeat"),
        ({"conditions": {"platform": ["windows"]}}, "unknown platform"),
        ({"conditions": {"pytorch": ">=1.x"}}, "cannot read version clause"),
        ({"conditions": {"os": "linux"}}, "unknown condition"),
        ({"steps": [{"en": "Do it.", "zh": "做。", "when": {"ops": ["mmcv", "torchvision"]}}]},
         "must be one of: mmcv, mmdet, mmdet3d, torch, or a list of them"),
        ({"diagnoses": ["gcc-version"], "steps": [{"en": "Check.", "zh": "检查。", "when": {"unsettled": "cuda-unavailable"}}]},
         "'cuda-unavailable' is not among the rule's diagnoses \\(gcc-version\\)"),
        ({"examples": {"match": ["x"]}}, "missing 'no_match' examples"),
        ({"priority": "high"}, "whole number"),
        ({"diagnoses": ["gcc-version"], "asks_environment": {"en": "your GCC version", "zh": "GCC 版本"}},
         "no longer read: what the bot will check is now said per diagnosis"),
        ({"diagnoses": []}, "at least one diagnosis"),
        ({"diagnoses": ["gcc-version"], "environment_from": "conda"},
         "must be collect_env or pip_list"),
        ({"environment_from": "pip_list"}, "only for a rule that declares 'diagnoses'"),
        ({"diagnoses": ["gcc-version", "gcc-version"]}, "listed twice"),
        ({"diagnoses": ["windows-case-confirmed"]}, "go together"),
        ({"diagnoses": ["gcc-version"], "windows_case": {"pytorch": "1.6.0"}}, "go together"),
        ({"diagnoses": ["windows-case-confirmed"], "windows_case": {"pytorch": "1.x"}},
         "must be a version number"),
        ({"diagnoses": ["windows-case-confirmed"], "windows_case": {"cuda": "9.2"}},
         "unknown key"),
        ({"patterns": [{"described": "kernel died"}]}, "needs its own 'context'"),
        ({"patterns": [{"described": "kernel died", "context": []}]}, "at least one context"),
        ({"patterns": [{"finding": "bad-kind", "is": ["x"]}]}, "unknown finding 'bad-kind'"),
        ({"patterns": [{"finding": "missing-symbol"}]}, "needs 'is'"),
        ({"patterns": [{"finding": "missing-symbol", "is": ["tensorflow"]}]}, "never has the value 'tensorflow'"),
        ({"patterns": [{"finding": "cuda-error", "is": ["cudaErrorNoSuchThing"]}]}, "never has the value"),
        ({"patterns": [{"regex": "x", "context": ["y"]}]}, "each pattern is"),
    ],
)
def test_broken_rules_are_refused_with_the_reason(tmp_path, overrides, complaint):
    with pytest.raises(RuleError, match=complaint):
        load_rule_file(write_rule(tmp_path, **overrides))


def test_missing_required_key_is_named(tmp_path):
    path = write_rule(tmp_path)
    path.write_text(path.read_text().replace("labels:", "tags:"))
    with pytest.raises(RuleError, match="unknown key|missing required key 'labels'"):
        load_rule_file(path)


def test_id_must_match_the_file_name(tmp_path):
    path = write_rule(tmp_path)
    path.rename(tmp_path / "other-name.yaml")
    with pytest.raises(RuleError, match="must match the file name"):
        load_rule_file(tmp_path / "other-name.yaml")


def test_invalid_yaml_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(RuleError, match="not valid YAML"):
        load_rules(tmp_path)


def test_duplicate_ids_and_unknown_supersedes_are_refused(tmp_path):
    first = make_rule(tmp_path, "first-rule")
    with pytest.raises(RuleError, match="already used"):
        build_ruleset([first, first])
    superseding = make_rule(tmp_path, "second-rule", supersedes=["nowhere-rule"])
    with pytest.raises(RuleError, match="unknown rule id 'nowhere-rule'"):
        build_ruleset([first, superseding])


def test_empty_or_missing_folder_is_an_error(tmp_path):
    with pytest.raises(RuleError, match="no rule files"):
        load_rules(tmp_path)
    with pytest.raises(RuleError, match="not found"):
        load_rules(tmp_path / "absent")


def test_the_old_signatures_key_is_refused_with_its_new_name(tmp_path):
    path = write_rule(tmp_path)
    path.write_text(path.read_text().replace("patterns:", "signatures:"))
    with pytest.raises(RuleError) as error:
        load_rule_file(path)
    message = str(error.value)
    line = path.read_text().splitlines().index("signatures:") + 2  # its value: the list below the key
    assert f"{path}:{line}: rule 'demo-rule': field 'signatures':" in message
    assert "renamed to 'patterns'" in message


def test_an_unknown_diagnosis_is_refused_with_file_line_and_the_known_ids(tmp_path):
    path = write_rule(tmp_path, diagnoses=["gcc-version", "gcc-too-new"])
    with pytest.raises(RuleError) as error:
        load_rule_file(path)
    message = str(error.value)
    line = path.read_text().splitlines().index("- gcc-too-new") + 1
    assert f"{path}:{line}: rule 'demo-rule': field 'diagnoses.[1]': unknown diagnosis 'gcc-too-new'" in message
    assert "known: mmcv-installed-twice, mmcv-without-ops, " in message and "windows-case-confirmed" in message


def test_declared_diagnoses_and_the_windows_case_load(tmp_path):
    rule = make_rule(tmp_path, diagnoses=["windows-case-confirmed", "cuda-unavailable"],
                     windows_case={"nvcc": "9.2"})
    assert rule.diagnoses == ("windows-case-confirmed", "cuda-unavailable")
    assert rule.windows_case.nvcc == (9, 2) and rule.windows_case.pytorch is None


@pytest.mark.parametrize("label, complaint", [
    ("", "must not be empty"),
    ("   ", "must not be empty"),
    (" faq", "must not begin or end with whitespace"),
    ("faq\t", "must not begin or end with whitespace"),
    ("x" * 51, "at most 50 characters (this one has 51)"),
    ("faq,installation", "must not contain a comma"),
])
def test_a_label_github_would_refuse_is_refused_with_file_line_rule_and_field(tmp_path, label, complaint):
    path = write_rule(tmp_path, labels=["faq", label])
    with pytest.raises(RuleError, match=re.escape(complaint)) as error:
        load_rule_file(path)
    lines = path.read_text().splitlines()
    line = next(number for number, text in enumerate(lines, 1) if text.startswith("labels:")) + 2
    assert f"{path}:{line}: rule 'demo-rule': field 'labels.[1]':" in str(error.value)


def test_a_label_of_exactly_50_characters_is_accepted(tmp_path):
    assert make_rule(tmp_path, labels=["x" * 50]).labels == ("x" * 50,)


def test_only_keeps_the_named_rules_in_order_even_when_one_supersedes_a_rule_left_out():
    from bot.settings import DEFAULT_RULES

    rules = load_rules(DEFAULT_RULES)
    kept = rules.only(["libtorch-cuda-cu-missing", "segfault"])  # the first supersedes undefined-symbol
    assert kept.ids == ("libtorch-cuda-cu-missing", "segfault")
    assert kept.candidates({"segmentation", "fault"}) == [kept.get("segfault")]
    assert rules.only(rules.ids) is rules


def test_described_and_finding_patterns_load(tmp_path):
    from tests.rule_helpers import make_rule

    rule = make_rule(tmp_path, patterns=[
        {"described": r"\bkernel died\b", "context": [r"\binference\b"]},
        {"finding": "cuda-error", "is": ["cudaErrorNoKernelImageForDevice"]},
    ])
    assert rule.described[0].described and rule.described[0].context[0].source == r"\binference\b"
    assert rule.findings[0].values == frozenset({"cudaErrorNoKernelImageForDevice"})


def test_a_rule_may_not_take_the_name_of_a_faq_subcommand(tmp_path):
    from bot.handlers.faq_command import HELP, UNMUTE, WITHDRAW
    from bot.rules import RESERVED_IDS
    from tests.rule_helpers import make_rule

    assert {HELP, WITHDRAW, UNMUTE} == RESERVED_IDS
    with pytest.raises(RuleError, match="help.yaml:.*'help' is a /faq subcommand"):
        make_rule(tmp_path, "help")
