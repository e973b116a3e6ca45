from pathlib import Path

import pytest

from bot.environment import Environment, parse_environment
from bot.issue import Issue, extract_signatures, read_issue
from bot.matcher import explain, match_rules
from bot.rules import build_ruleset, load_rules
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


def test_a_described_error_needs_its_own_context(tmp_path):
    rule = make_rule(tmp_path, patterns=[{"described": r"\bkernel died\b", "context": [r"\binference\b"]}])
    rules = build_ruleset([rule])
    (found,) = matched(rules, "the kernel died during inference")
    assert found.score < 100  # weaker than a pasted error
    assert matched(rules, "the kernel died") == ()


def test_a_finding_pattern_matches_the_values_it_names(tmp_path):
    rule = make_rule(tmp_path, patterns=[{"finding": "cuda-error", "is": ["cudaErrorNoKernelImageForDevice"]}])
    rules = build_ruleset([rule])
    (found,) = matched(rules, "ok\nTHCudaCheck FAIL file=a.cu line=1 error=209 : unrecognized error code")
    assert found.evidence.line == 2 and found.findings[0].field("code") == "209"
    assert matched(rules, "THCudaCheck FAIL file=a.cu line=1 error=700 : an illegal memory access") == ()


def test_line_by_line_search_finds_what_a_whole_text_search_finds(tmp_path):
    rule = make_rule(tmp_path, patterns=[{"regex": r"\b(?:mmcv|mmdet)\b.{0,20}\bbroke\b"}])
    rules = build_ruleset([rule])
    body = "\n".join(["mmcv is fine"] * 500 + ["then mmdet suddenly broke"])
    (found,) = matched(rules, body)
    assert found.evidence.line == 501


@pytest.mark.parametrize("pattern", [
    r'File "[^"\n]{1,80}", line \d{1,6}\n[^\n]{0,60}\nKeyError: \w{1,30}',
    r'(?<![\w.])mmcv\n(?!Traceback)[^\n]{1,40}broke\b',
    r'^mmcv[^\n]{0,40}$\n^\w{1,10} broke$',
    r'\bline \d{1,6}\n[^\n]{0,30}\n[^\n]{0,20}\nsome broke down',  # its anchor at its end
])
def test_a_pattern_spanning_lines_is_found_near_its_anchors_as_in_the_whole_text(tmp_path, pattern):
    import random

    from bot.matcher import _Haystack, _regex_hit

    regex = build_ruleset([make_rule(tmp_path, patterns=[{"regex": pattern}])]).rules[0].regexes[0]
    assert regex.anchors and regex.reach is not None and not regex.single_line
    pieces = ['File "a/b.py", line 12', "mmcv", "then it broke", "Traceback", "KeyError: Foo", "xmmcv",
              "mmcv.ops", "it broke", "padding " * 12, "some broke down", ""]
    randomly = random.Random(7)
    for _ in range(300):
        body = "\n".join(randomly.choice(pieces) for _ in range(randomly.randint(1_100, 1_400)))
        text = read_issue(Issue("", body))
        expected = regex.compiled.search(text.text)
        found = _regex_hit(regex, _Haystack(text, ()))
        assert (found and found.line) == (expected and text.line_at(expected.start()))


def test_explain_says_why_near_rules_did_not_answer(tmp_path):
    from bot.matcher import explain

    rules = build_ruleset([
        make_rule(tmp_path, "needs-context", context=[r"\bmmcv\b"]),
        make_rule(tmp_path, "windows-only", conditions={"platform": ["win32"]}),
        make_rule(tmp_path, "fuzzy-one", patterns=[{"phrase": "DemoError: the widgit gaer broke", "min_score": 99}]),
        make_rule(tmp_path, "keyword-only", patterns=[{"regex": r"DemoError: the widget \d{3} broke"}]),
    ])
    text = read_issue(Issue("", "DemoError: the widget gear broke\nsys.platform: linux"))
    env = parse_environment("sys.platform: linux")
    lines = explain(text, extract_signatures(text), env, rules)
    assert any(line.startswith("needs-context: matched on line 1, but none of its context occurs") for line in lines)
    assert any(line.startswith("windows-only: matched on line 1, but the reported environment rules it out") and
               "platform linux, needs win32" in line for line in lines)
    assert any(line.startswith("fuzzy-one: fuzzy phrase") and "under its threshold 99" in line for line in lines)
    assert any(line.startswith("keyword-only: its keyword") for line in lines)


def test_a_line_missing_another_required_part_is_not_searched_and_nothing_is_lost(tmp_path):
    rule = make_rule(tmp_path, patterns=[{"regex": r"\bmmcv\b.{0,40}\bremoved\b.{0,30}\brunner\b"}])
    rules = build_ruleset([rule])
    body = "\n".join(["the destructor was removed"] * 300 + ["mmcv 2.0 removed the runner"])
    (found,) = matched(rules, body)
    assert found.evidence.line == 301
    assert matched(rules, "\n".join(["the destructor was removed"] * 300 + ["mmcv 2.0 is fine, runner too"])) == ()


def test_a_line_shorter_than_a_fuzzy_phrase_is_compared_whole_not_found_inside_it():
    from bot.issue import Issue, read_issue
    from bot.matcher import _Haystack, _phrase_hit
    from bot.rules import PhrasePattern

    phrase = PhrasePattern("No module named 'mmcv.ops'", 95.0, ("module", "named"))
    # a title "No module named 'mmcv'" is a piece of the phrase: not the same error
    title_only = read_issue(Issue("No module named 'mmcv'", "what did I miss?"))
    assert _phrase_hit(phrase, _Haystack(title_only, ())) is None
    typed = read_issue(Issue("ModuleNotFoundError: No moduel named 'mmcv.ops'", ""))
    assert _phrase_hit(phrase, _Haystack(typed, ()))[0] >= 95


RULES = load_rules(Path(__file__).resolve().parent.parent / "rules")


def test_a_line_the_rule_refuses_shows_the_issue_is_not_its_case():
    # Python's own words for a module named mmcv.py of the reporter's, found before the library: the
    # regex and the fuzzy phrase both find the ops' error in it.
    line = "ModuleNotFoundError: No module named 'mmcv.ops'; 'mmcv' is not a package"
    text = read_issue(Issue("inference script fails", "```\n" + line + "\n```\n", "open-mmlab/mmdetection"))
    assert [m.rule.id for m in match_rules(text, extract_signatures(text), Environment(), RULES)] == []
    why = explain(text, extract_signatures(text), Environment(), RULES)
    assert any(reason.startswith("mmcv-ops-missing: matched on line 2, but what stands on line 2 shows it is not its case")
               for reason in why)
    # The title retelling the error is no better evidence.
    titled = read_issue(Issue("No module named 'mmcv.ops'", "```\n" + line + "\n```\n", "open-mmlab/mmdetection"))
    assert match_rules(titled, extract_signatures(titled), Environment(), RULES) == ()
