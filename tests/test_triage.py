"""The whole core on the shipped FAQ rules: what a reporter and a maintainer would see."""

from pathlib import Path

import pytest

from bot.issue import Issue
from bot.marker import MARKER
from bot.rules import load_rules
from bot.triage import Options, answer_rule, triage

RULES = load_rules(Path(__file__).resolve().parent.parent / "rules")

COLLECT_ENV_WINDOWS_TORCH_16 = """\
sys.platform: win32
Python: 3.7.9 (default, Aug 31 2020, 17:10:11) [MSC v.1916 64 bit (AMD64)]
CUDA available: True
GPU 0: GeForce GTX 1080 Ti
CUDA_HOME: C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v10.2
NVCC: Not Available
GCC: n/a
PyTorch: 1.6.0
TorchVision: 0.7.0
MMCV: 1.1.5
"""

WINDOWS_BUILD_LOG = (
    "C:\\Users\\dev\\anaconda3\\envs\\open-mmlab\\lib\\site-packages\\torch\\include\\torch/csrc/jit/api/module.h(483): "
    "error: a member with an in-class initializer must be const\n"
    "error: command 'C:\\\\Program Files\\\\NVIDIA GPU Computing Toolkit\\\\CUDA\\\\v10.2\\\\bin\\\\nvcc.exe' failed with exit status 1\n"
)


def test_an_faq_error_gets_one_comment_with_labels_and_evidence():
    body = (
        "I installed mmdet following the docs and ran the demo.\n\n"
        "```\nTraceback (most recent call last):\n"
        '  File "demo/image_demo.py", line 4, in <module>\n'
        "    from mmdet.apis import inference_detector\n"
        "ModuleNotFoundError: No module named 'mmcv._ext'\n```\n"
    )
    verdict = triage(Issue("Demo does not run", body, "open-mmlab/mmdetection"), RULES)
    assert [m.rule.id for m in verdict.matches] == ["mmcv-ops-missing"]
    (found,) = verdict.matches
    assert found.score == 100 and "No module named 'mmcv._ext'" in found.evidence.text
    assert verdict.labels == ("faq", "installation")
    assert verdict.comment.startswith(MARKER)
    assert "pip uninstall mmcv" in verdict.comment
    assert "collect_env.py" in verdict.comment  # no environment given: the bot asks for it


def test_a_question_without_an_faq_error_gets_silence():
    verdict = triage(Issue("How to change the learning rate?", "I train on 2 GPUs instead of 8."), RULES)
    assert verdict.matches == () and verdict.comment is None and verdict.labels == ()


def test_near_misses_stay_silent():
    for body in (
        "ModuleNotFoundError: No module named 'mmdet'",
        "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB",
        "RuntimeError: CUDA error: an illegal memory access was encountered",
        "KeyError: 'image_id'  (raised in build_from_cfg while loading annotations)",
        "The acc_seg is 90% but the segmentation mIoU is low",
    ):
        assert triage(Issue("", body, "open-mmlab/mmdetection"), RULES).comment is None, body


def test_chinese_reporter_gets_the_chinese_answer():
    body = "按照文档安装后运行训练脚本，报错如下，请问怎么解决？\nKeyError: 'MyHead is not in the models registry'"
    verdict = triage(Issue("自定义模块报错", body), RULES)
    assert verdict.language == "zh"
    assert "注册" in verdict.comment and "The registry only knows" not in verdict.comment


def test_specific_library_answer_beats_the_generic_one():
    body = "OSError: libtorch_cuda_cu.so: cannot open shared object file: No such file or directory"
    assert [m.rule.id for m in triage(Issue("import mmcv.ops fails", body), RULES).matches] == [
        "libtorch-cuda-cu-missing"
    ]


def test_windows_build_error_is_confirmed_by_the_reported_environment():
    verdict = triage(Issue("build fails", WINDOWS_BUILD_LOG + "\n" + COLLECT_ENV_WINDOWS_TORCH_16), RULES)
    assert [m.rule.id for m in verdict.matches] == ["win-torch160-in-class-init"]
    assert verdict.env.platform == "win32"
    assert "<details>" in verdict.comment  # the environment as the bot read it


def test_windows_build_answer_is_withheld_when_the_environment_contradicts_it():
    linux = COLLECT_ENV_WINDOWS_TORCH_16.replace("win32", "linux").replace("PyTorch: 1.6.0", "PyTorch: 1.8.1")
    assert triage(Issue("build fails", WINDOWS_BUILD_LOG + "\n" + linux), RULES).comment is None


def test_maintainer_can_ask_for_a_rule_the_matcher_did_not_pick():
    verdict = answer_rule(Issue("training is slow", "it crashes sometimes"), RULES, "segfault")
    assert [m.rule.id for m in verdict.matches] == ["segfault"]
    assert "GCC" in verdict.comment


def test_unknown_rule_id_is_a_key_error():
    with pytest.raises(KeyError):
        answer_rule(Issue("", ""), RULES, "no-such-rule")


def test_json_view_holds_what_the_cli_promises():
    body = "RuntimeError: CUDA error: invalid configuration argument\nat mmcv/ops/csrc/pytorch/cuda/nms_cuda.cu"
    view = triage(Issue("", body), RULES).to_json()
    assert set(view) >= {"matches", "labels", "language", "comment", "env", "diagnoses"}
    assert view["matches"][0]["rule"] == "cuda-invalid-config"
    assert view["matches"][0]["evidence"] == "RuntimeError: CUDA error: invalid configuration argument"


# -- what a repository's config may change (bot.triage.Options) -------------------------------------


def test_default_options_change_nothing():
    issue = Issue("mmcv ops fail", "ModuleNotFoundError: No module named 'mmcv._ext'", "open-mmlab/mmcv")
    assert triage(issue, RULES, Options()) == triage(issue, RULES)


def test_min_score_drops_matches_below_it_but_not_a_maintainers_choice():
    garbled = Issue("nms", "RuntimeError: nms is not compild with GPU support", "open-mmlab/mmcv")
    assert [m.rule.id for m in triage(garbled, RULES, Options(min_score=95)).matches] == ["nms-no-gpu"]
    assert triage(garbled, RULES, Options(min_score=99)).comment is None
    assert answer_rule(garbled, RULES, "nms-no-gpu", Options(min_score=99)).comment is not None


def test_the_fallback_language_answers_an_issue_without_prose():
    only_error = Issue("", "ModuleNotFoundError: No module named 'mmcv._ext'", "open-mmlab/mmcv")
    assert triage(only_error, RULES, Options(fallback_language="zh")).language == "zh"
    english = Issue("The import fails right after I installed mmcv", only_error.body, "open-mmlab/mmcv")
    assert triage(english, RULES, Options(fallback_language="zh")).language == "en"


def test_without_asking_for_the_environment_the_answer_does_not_ask():
    only_error = Issue("mmcv ops fail", "ModuleNotFoundError: No module named 'mmcv._ext'", "open-mmlab/mmcv")
    assert triage(only_error, RULES).asks_environment
    verdict = triage(only_error, RULES, Options(ask_for_environment=False))
    assert not verdict.asks_environment and "Please add your environment" not in verdict.comment
