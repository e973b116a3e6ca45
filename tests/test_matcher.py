from bot.environment import parse_environment
from bot.issue import Issue, extract_signatures, read_issue
from bot.matcher import match_rules
from bot.rules import build_ruleset
from tests.rule_helpers import make_rule

NO_ENV = parse_environment("")


def matched(rules, body, title="", env_text=""):
    text = read_issue(Issue(title, body))
    env = parse_environment(env_text or body)
    return match_rules(text, extract_signatures(text), env, rules)


def test_regex_match_carries_score_and_evidence_line(tmp_path):
    rules = build_ruleset([make_rule(tmp_path)])
    (found,) = matched(rules, "I ran the demo.\nDemoError: the widget cog broke\nthanks")
    assert found.score == 100
    assert found.evidence.line == 2
    assert found.evidence.text == "DemoError: the widget cog broke"


def test_fuzzy_phrase_tolerates_a_truncated_typo_title(tmp_path):
    rule = make_rule(
        tmp_path,
        patterns=[{"phrase": "nms is not compiled with GPU support", "min_score": 90}],
    )
    rules = build_ruleset([rule])
    (found,) = matched(rules, "", title="eError: nms is not compiled with GPU supprt")
    assert 90 <= found.score < 100
    assert found.evidence.line == 0


def test_fuzzy_phrase_ignores_ordinary_prose(tmp_path):
    rule = make_rule(tmp_path, patterns=[{"phrase": "nms is not compiled with GPU support"}])
    rules = build_ruleset([rule])
    assert matched(rules, "Is NMS supported on GPU? The docs say it is compiled in.") == ()


def test_context_is_required_when_given(tmp_path):
    rule = make_rule(tmp_path, patterns=[{"regex": "Segmentation fault"}], context=["mmcv|mmdet"])
    rules = build_ruleset([rule])
    assert matched(rules, "python demo.py\nSegmentation fault (core dumped)") == ()
    assert matched(rules, "import mmcv.ops\nSegmentation fault (core dumped)") != ()


def test_specific_rule_supersedes_the_generic_one(tmp_path):
    generic = make_rule(tmp_path, "cannot-open-so", patterns=[{"regex": r"cannot open shared object file"}])
    specific = make_rule(
        tmp_path,
        "libtorch-missing",
        patterns=[{"regex": r"libtorch_cuda_cu\.so: cannot open shared object file"}],
        supersedes=["cannot-open-so"],
    )
    rules = build_ruleset([generic, specific])
    body = "OSError: libtorch_cuda_cu.so: cannot open shared object file: No such file or directory"
    assert [m.rule.id for m in matched(rules, body)] == ["libtorch-missing"]
    other = "OSError: libcudart.so.10.1: cannot open shared object file: No such file or directory"
    assert [m.rule.id for m in matched(rules, other)] == ["cannot-open-so"]


def test_environment_conditions_gate_rules(tmp_path):
    rule = make_rule(
        tmp_path,
        "windows-build",
        patterns=[{"regex": r"a member with an in-class initializer must be const"}],
        conditions={"platform": ["win32"], "pytorch": ">=1.6.0,<1.7.0"},
    )
    rules = build_ruleset([rule])
    error = "module.h(483): error: a member with an in-class initializer must be const"
    assert matched(rules, error) != ()  # no environment given: the pattern alone decides
    windows = "sys.platform: win32\nPyTorch: 1.6.0\n"
    assert matched(rules, error, env_text=windows) != ()
    assert matched(rules, error, env_text="sys.platform: linux\nPyTorch: 1.6.0\n") == ()
    assert matched(rules, error, env_text="sys.platform: win32\nPyTorch: 1.8.1\n") == ()


def test_user_text_is_data_not_pattern(tmp_path):
    rules = build_ruleset([make_rule(tmp_path)])
    hostile = "DemoError: the widget (.*)+ broke\n" + "(a+)+$" * 1000
    assert [m.rule.id for m in matched(rules, hostile)] == []


def test_context_can_come_from_the_project_the_issue_was_filed_on(tmp_path):
    rule = make_rule(tmp_path, patterns=[{"regex": "Segmentation fault"}], context=["mmcv|mmdet"])
    rules = build_ruleset([rule])
    crash = "python tools/train.py\nSegmentation fault (core dumped)"

    def on(repo):
        text = read_issue(Issue("crash", crash, repo))
        return match_rules(text, extract_signatures(text), NO_ENV, rules)

    assert on("open-mmlab/mmdetection") != ()
    assert on("open-mmlab/OpenPCDet") == ()  # the owner hosts other code too: only the name counts


def test_a_fragment_of_a_phrase_is_not_evidence(tmp_path):
    rule = make_rule(
        tmp_path, patterns=[{"phrase": "Expected to have finished reduction in the prior iteration"}]
    )
    rules = build_ruleset([rule])
    assert matched(rules, "", title="prior iteration") == ()
    typo = "RuntimeError: Expected to have finished reduction in the prior iteraton before starting"
    assert matched(rules, typo) != ()
