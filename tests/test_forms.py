"""The forms in which people really report the FAQ's errors, triaged with the shipped rules.

Each test writes its own text from how the error is produced (CUDA's, PyTorch's and MMCV's code):
numbers instead of messages, errors described in words, MMCV 2.x wording, symbols that say who is
missing, sibling class names of a known clash, registry misses of three kinds, long build logs.
"""

from pathlib import Path

import pytest

from bot.issue import MAX_TEXT_CHARS, Issue
from bot.rules import load_rules
from bot.triage import explain_triage, triage

RULES = load_rules(Path(__file__).resolve().parent.parent / "rules")


def answered(body: str, title: str = "", repo: str = "") -> list[str]:
    return [m.rule.id for m in triage(Issue(title, body, repo), RULES).matches]


# --- 1. numeric CUDA errors ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "body, rule",
    [
        ("mmdet/ops/roi_align/src/roi_align_kernel.cu:139\nRuntimeError: cuda runtime error (209) : unrecognized error code",
         "cuda-arch-mismatch"),
        ("THCudaCheck FAIL file=mmcv/ops/csrc/nms_cuda.cu line=27 error=48 : unrecognized error code", "cuda-arch-mismatch"),
        ("mmcv deform_conv: CUDA error 98", "cuda-arch-mismatch"),
        ("cuda runtime error (9) : invalid configuration argument at mmcv/ops/csrc/roi_align_cuda.cu:40",
         "cuda-invalid-config"),
    ],
)
def test_cuda_error_numbers_answer_the_entry_they_mean(body, rule):
    assert answered(body) == [rule]


def test_a_number_with_two_meanings_waits_for_the_cuda_version():
    line = "RuntimeError: cuda runtime error (8) at mmdet/ops/dcn/src/deform_conv_cuda.cu:71"
    assert answered(line) == []
    assert answered(line + "\nPyTorch: 1.1.0+cu90") == ["cuda-arch-mismatch"]  # CUDA 9.0: 8 is invalid device function
    assert answered(line + "\nPyTorch: 1.10.0+cu113") == []  # CUDA 11.3: 8 is a deprecated profiler code


def test_the_reply_says_what_the_number_means():
    comment = triage(Issue("", "THCudaCheck FAIL file=x.cu line=1 error=209 : unrecognized error code"), RULES).comment
    assert "CUDA error 209 is `cudaErrorNoKernelImageForDevice`" in comment


def test_pytorch_warning_about_the_gpu_architecture():
    body = ("UserWarning:\nNVIDIA GeForce RTX 3080 with CUDA capability sm_86 is not compatible with the current "
            "PyTorch installation.\nThe current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_70.")
    assert answered(body) == ["cuda-arch-mismatch"]


# --- 2. errors described instead of pasted ----------------------------------------------------------

@pytest.mark.parametrize(
    "body, title, rule",
    [
        ("运行 tools/train.py 时 段错误 (核心已转储)，mmcv-full 1.6.0", "", "segfault"),
        ("mmdet 2.28: training ends with 'exited with exit code 139'", "", "segfault"),
        ("import mmcv.ops 之后程序打印 核心已转储 就退出了", "", "segfault"),
        ("the notebook kernel died when I ran inference_detector on the demo image", "Jupyter crash", "segfault"),
        ("多卡训练（dist_train.sh, 4 卡）冻结 stage 之后，报告说有的参数没有参与 loss 的计算", "", "ddp-unused-params"),
        ("With DistributedDataParallel on 8 GPUs some parameters did not take part in the loss after freezing the neck",
         "", "ddp-unused-params"),
        ("I installed mmcv==1.7.2 but mmdet 3.2.0 says they are incompatible", "", "mmcv-mmdet-compat"),
        ("is the mmcv version too high? mmcv 2.2.0, mmdet 3.3.0", "", "mmcv-mmdet-compat"),
        ("dist_train.sh with 2 GPUs stops: the detector has unused parameters after I froze the neck", "",
         "ddp-unused-params"),
        ("mmdet test.py ends with returncode=-11", "", "segfault"),
    ],
)
def test_a_placed_description_is_answered(body, title, rule):
    assert answered(body, title, "open-mmlab/mmdetection") == [rule]


@pytest.mark.parametrize(
    "body, repo",
    [
        ("my Jupyter kernel died, no idea why", "open-mmlab/mmdetection"),  # no step named
        ("the kernel died during inference of my torchvision model", ""),  # not OpenMMLab code
        ("some parameters do not take part in the loss, is that fine?", "open-mmlab/mmdetection"),  # no DDP
        ("mmdet and mmcv seem incompatible somehow", ""),  # no version named
        ("inference with mmdet: 已放弃 (核心已转储)", "open-mmlab/mmdetection"),  # SIGABRT, not a segfault
    ],
)
def test_a_description_that_nothing_places_is_silence(body, repo):
    assert answered(body, "", repo) == []


def test_the_explanation_says_a_description_was_not_placed():
    lines = explain_triage(Issue("", "my Jupyter kernel died, no idea why", "open-mmlab/mmdetection"), RULES)
    assert any(line.startswith("segfault: an error described in words") for line in lines)


def test_a_description_inside_a_pasted_warning_is_the_programs_words_not_the_reporters():
    # PyTorch's warning that it found NO unused parameters ends "...later iterations to have unused parameters"
    body = ("Is it safe to turn find_unused_parameters off for my DDP training with mmseg?\n```\n"
            "[W reducer.cpp:1300] Warning: find_unused_parameters=True was specified in DDP constructor, but did "
            "not find any unused parameters in the forward pass. Note that this warning may be a false positive if "
            "your model has flow control causing later iterations to have unused parameters.\n```\n")
    assert answered(body, "DDP warning") == []


# --- 3. MMCV 2.x and MMEngine wording ---------------------------------------------------------------

def test_mmcv_2_ops_built_without_cuda():
    assert answered("NotImplementedError: nms_impl: implementation for device cuda:0 not found.") == ["nms-no-gpu"]
    # wrapped at the terminal's edge
    assert answered("RuntimeError: roi_align_forward_impl: implementation for device cu\nda:0 not found.") == ["nms-no-gpu"]


def test_mmengine_registry_message():
    body = ("KeyError: 'MyHead is not in the mmdet::model registry. Please check whether the value of `MyHead` is "
            "correct or it was registered as expected.'")
    assert answered(body) == ["registry-key-error"]


def test_missing_ops_under_mmcv_2_names_the_mmcv_package():
    body = "ModuleNotFoundError: No module named 'mmcv._ext'\nMMCV: 2.1.0\nMMEngine: 0.10.3"
    verdict = triage(Issue("", body), RULES)
    assert [m.rule.id for m in verdict.matches] == ["mmcv-ops-missing"]
    assert "the package with compiled ops is `mmcv`" in verdict.comment
    zh = triage(Issue("导入报错", "运行 demo 时报错：\nModuleNotFoundError: No module named 'mmcv._ext'\nMMCV: 2.1.0"), RULES)
    assert "带编译算子的包叫 `mmcv`" in zh.comment


def test_the_package_without_ops_is_told_once_when_the_environment_names_it():
    # pip's list names mmcv 1.7.1 (not mmcv-full): the diagnosis says it; the error's note would again.
    body = "ModuleNotFoundError: No module named 'mmcv._ext'\n\nmmcv                1.7.1\ntorch               1.12.1\n"
    comment = triage(Issue("", body), RULES).comment
    assert "You have the `mmcv` 1.7.1 package, not `mmcv-full`" in comment
    assert "the package with compiled ops is `mmcv-full`" not in comment


def test_modules_mmcv_2_removed_are_a_version_mismatch():
    assert answered("from mmcv.runner import load_checkpoint\nModuleNotFoundError: No module named 'mmcv.runner'") == [
        "mmcv-mmdet-compat"
    ]
    assert answered("ImportError: cannot import name 'DataContainer' from 'mmcv.parallel'") == ["mmcv-mmdet-compat"]


# --- 4. symbols and libraries that say who is missing ------------------------------------------------

EXT = "ImportError: /opt/conda/lib/python3.9/site-packages/mmcv/_ext.cpython-39-x86_64-linux-gnu.so"


def test_a_pytorch_symbol_is_answered_with_its_namespace():
    verdict = triage(Issue("", f"{EXT}: undefined symbol: _ZN3c104cuda9SetDeviceEi"), RULES)
    assert [m.rule.id for m in verdict.matches] == ["undefined-symbol"]
    assert "belongs to PyTorch (namespace `c10::`)" in verdict.comment
    assert "`c10::cuda::SetDevice`" in verdict.comment


def test_the_cxx_runtime_and_cuda_runtime_are_named():
    glibcxx = triage(Issue("", "ImportError: /usr/lib/libstdc++.so.6: version `GLIBCXX_3.4.30' not found "
                               "(required by /x/mmcv/_ext.cpython-310-x86_64-linux-gnu.so)"), RULES)
    assert "`GLIBCXX_3.4.30` is a version of the C++ runtime" in glibcxx.comment
    cudart = triage(Issue("", "import mmcv.ops\nOSError: libcudart.so.11.0: cannot open shared object file"), RULES)
    assert "`libcudart.so.11.0` belongs to the CUDA toolkit 11.0" in cudart.comment


@pytest.mark.parametrize(
    "body",
    [
        # PyTorch's own library lacks a symbol (an MKL it was not built with): not MMCV's build
        "mmcv install: ImportError: /x/torch/lib/libtorch_cpu.so: undefined symbol: iJIT_NotifyEvent",
        # the reporter's own op, a plain C function
        "mmdet custom op: ImportError: /home/me/myop/myop_ext.cpython-38-x86_64-linux-gnu.so: undefined symbol: myop_forward",
    ],
)
def test_symbols_that_are_not_this_entry_get_silence(body):
    assert answered(body) == []


# --- 5. sibling names of a known clash --------------------------------------------------------------

@pytest.mark.parametrize("name, registry", [("ConvWS", "conv layer"), ("ConvModule", "plugin layer"),
                                            ("MultiScaleDeformableAttention", "attention")])
def test_any_class_mmcv_registers_clashes_with_an_old_mmdetection(name, registry):
    assert answered(f"import mmdet\nKeyError: '{name} is already registered in {registry}'") == ["mmcv-mmdet-compat"]


def test_the_clash_reply_says_mmcv_registers_the_class():
    comment = triage(Issue("", "KeyError: 'ConvModule is already registered in plugin layer'"), RULES).comment
    assert "MMCV registers `ConvModule` itself" in comment


# --- 6. a registry miss has three causes -------------------------------------------------------------

def test_a_misspelt_builtin_gets_a_did_you_mean_and_no_faq_entry():
    verdict = triage(Issue("", "KeyError: 'COCODataset is not in the dataset registry'"), RULES)
    assert verdict.matches == () and verdict.labels == ()
    assert [h.value for h in verdict.hints] == ["misspelt"]
    assert "Did you mean `CocoDataset`?" in verdict.comment
    # no FAQ entry answers it, and the comment does not claim one
    assert "answering from the FAQ" not in verdict.comment and "no FAQ entry" in verdict.comment


def test_a_builtin_newer_than_the_installed_release_says_since_when():
    verdict = triage(Issue("", "KeyError: 'RTMDet is not in the models registry'\nMMDetection: 2.25.0"), RULES)
    assert verdict.matches == ()
    assert "`RTMDet` is a class mmdet registers from release 3.0.0 on, and you have mmdet 2.25.0" in verdict.comment
    zh = triage(Issue("训练 RTMDet 报错", "KeyError: 'RTMDet is not in the models registry'\nMMDetection: 2.25.0"), RULES)
    assert "从 3.0.0 版本起才注册" in zh.comment


def test_a_builtin_that_arrived_within_the_era_asks_for_the_release_when_none_is_told():
    # MMCV 1.x's registry (no scope) on a 2.x checkout of no release said: YOLOX came with 2.16.0
    verdict = triage(Issue("Training YOLOX", "KeyError: 'YOLOX is not in the models registry'\n"), RULES)
    assert verdict.matches == ()
    assert "`YOLOX` is a class mmdet registers from release 2.16.0 on: check your release with" in verdict.comment
    assert "print(mmdet.__version__)" in verdict.comment
    # a class as old as the era its scope tells is the FAQ's case (its module not imported)
    assert answered("KeyError: 'RTMDet is not in the mmdet::model registry. Please check whether the value of "
                    "`RTMDet` is correct or it was registered as expected.'") == ["registry-key-error"]


def test_an_unimported_module_is_the_faq_entry():
    assert answered("KeyError: 'MyDataset is not in the dataset registry'") == ["registry-key-error"]


# --- 7. errors buried in long build logs --------------------------------------------------------------

MSVC_NOISE = (
    "[{n}/900] nvcc -c mmcv/ops/csrc/x{n}.cu\n"
    "x{n}.cuh(31): warning: variable \"i\" was never referenced\n"
    "Optional.h(554): warning C4624: destructor implicitly deleted\n"
    "   Creating library build\\x{n}.lib\n"
)
NINJA_END = "ninja: build stopped: subcommand failed.\nerror: command 'C:\\\\Program Files\\\\cl.exe' failed with exit status 2\n"


def build_log(error_line: str = "", lines: int = 1_200) -> str:
    """A Windows build log of ``lines`` lines, within GitHub's body limit, ``error_line`` in its middle."""
    noise = [MSVC_NOISE.format(n=n) for n in range(lines // 4)]
    middle = len(noise) // 2
    return "".join(noise[:middle]) + error_line + "".join(noise[middle:]) + NINJA_END


def test_an_faq_error_in_the_middle_of_a_long_msvc_log_is_found():
    error = ("C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v9.2\\include\\crt/host_config.h(133): "
             "fatal error C1189: #error:  -- unsupported Microsoft Visual Studio version! Only the versions "
             "2012, 2013, 2015 and 2017 are supported!\n")
    body = build_log(error)
    assert 50_000 < len(body) <= MAX_TEXT_CHARS and body.count("\n") > 1_000
    assert answered(body, "Build fails on Windows") == ["msvc-unsupported"]


def test_a_windows_torch_error_among_nvcc_lines_is_found():
    error = ("C:/Users/me/anaconda3/envs/mm/lib/site-packages/torch/include\\torch/csrc/jit/api/module.h(474): "
             "error: member \"torch::jit::detail::ModulePolicy::all_slots\" may not be initialized\n")
    assert answered(build_log(error)) == ["win-torch150-all-slots"]


def test_pytorch_1_7_on_windows_fails_with_1_6s_error_too_and_gets_the_one_fix_that_covers_both():
    errors = ("D:/envs/mm/lib/site-packages/torch/include\\torch/csrc/jit/api/module.h(483): "
              "error: a member with an in-class initializer must be const\n"
              "D:/envs/mm/lib/site-packages/torch/include\\torch/csrc/jit/ir/ir.h(1347): "
              "error: member \"torch::jit::ProfileOptionalOp::Kind\" may not be initialized\n")
    assert answered(build_log(errors)) == ["win-torch170-profile-kind"]


def test_build_noise_alone_is_silence():
    assert answered(build_log(), "mmcv build fails") == []
