"""Findings: who a missing symbol or library belongs to, registry names, MMCV's major version."""

from pathlib import Path

import pytest

from bot.environment import Environment, parse_environment
from bot.findings import read_findings
from bot.issue import Issue, read_issue
from bot.registry_names import load_name_table, name_table

NO_ENV = Environment()


def findings(body: str, env: Environment = NO_ENV, kind: str | None = None):
    found = read_findings(read_issue(Issue("", body)), env)
    return [f for f in found if kind is None or f.kind == kind]


def values(body: str, kind: str, env: Environment = NO_ENV) -> list[str]:
    return [f.value for f in findings(body, env, kind)]


MMCV_EXT = "ImportError: /opt/conda/lib/python3.8/site-packages/mmcv/_ext.cpython-38-x86_64-linux-gnu.so"


@pytest.mark.parametrize(
    "body, expected",
    [
        (f"{MMCV_EXT}: undefined symbol: _ZN2at4_ops5zeros4callEN3c108ArrayRefIlEE", ["pytorch"]),
        (f"{MMCV_EXT}: undefined symbol: _ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE7compareEPKc",
         ["cxx-runtime"]),
        (f"{MMCV_EXT}: undefined symbol: cudaLaunchKernel", ["cuda"]),
        # MMCV's own function: its compiled ops are incomplete or from another build
        (f"{MMCV_EXT}: undefined symbol: _Z20ms_deform_attn_cudaRKN2at6TensorE", ["mmcv-ops"]),
        # ... but a function of an op MMCV does not have: one the reporter added to MMCV's source
        (f"{MMCV_EXT}: undefined symbol: _Z38PointsDensityForwardCUDAKernelLauncherN2at6TensorES0_S0_fi", ["own-op"]),
        # a symbol missing from PyTorch's own library: PyTorch's installation, not MMCV's build
        ("ImportError: /x/site-packages/torch/lib/libtorch_cpu.so: undefined symbol: iJIT_NotifyEvent",
         ["pytorch-internal"]),
        # a research repository's own extension and its own plain function
        ("ImportError: /home/me/repo/ops/voxel_cuda.cpython-38-x86_64-linux-gnu.so: undefined symbol: voxel_forward",
         ["other"]),
        # ... also under an OpenMMLab checkout's folder: only a package's own (mmcv/_ext, mmdet/ops/) is its ops
        ("ImportError: /home/me/mmdetection/projects/fast_op/ops/_C.cpython-38-x86_64-linux-gnu.so: "
         "undefined symbol: fast_op_forward_cuda", ["other"]),
        ("ImportError: /home/me/mmdetection/mmdet/ops/nms/nms_ext.cpython-37m-x86_64-linux-gnu.so: "
         "undefined symbol: nms_cuda_launch", ["mmcv-ops"]),
        # ... and a PyTorch symbol missing there: that extension was built against another PyTorch,
        # no MMCV wheel mends it
        ("ImportError: /home/me/repo/ops/voxel_cuda.so: undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jRKSs",
         ["extension"]),
        ("ImportError: /x/site-packages/MultiScaleDeformableAttention-1.0-py3.8-linux-x86_64.egg/"
         "MultiScaleDeformableAttention.cpython-38-x86_64-linux-gnu.so: undefined symbol: _ZNK2at6Tensor7is_cudaEv",
         ["extension"]),
        # a library named without its folder (a title) is not known to be another project's
        ("voxel_cuda.so: undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jRKSs", ["pytorch"]),
        # the title cut after "undefined symbol:"
        (f"{MMCV_EXT}: undefined symbol:", ["unknown"]),
        ("ImportError: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.29' not found", ["cxx-runtime"]),
        # demangled by c++filt
        (f"ImportError: {MMCV_EXT}: undefined symbol: c10::cuda::c10_cuda_check_implementation(int, char const*, "
         "char const*, int, bool)", ["pytorch"]),
        (f"ImportError: {MMCV_EXT}: undefined symbol: vtable for torch::autograd::Node", ["pytorch"]),
        # prose, not an error
        ("Undefined symbols for architecture arm64", []),
        ("I read the FAQ about undefined symbol errors", []),
    ],
)
def test_who_is_missing_from_an_undefined_symbol(body, expected):
    assert values(body, "missing-symbol") == expected


def test_the_reply_fields_name_the_namespace_and_the_library():
    found = findings(f"{MMCV_EXT}: undefined symbol: _ZNK2at10TensorBase8data_ptrIfEEPT_v", kind="missing-symbol")[0]
    assert found.message == "symbol-pytorch"
    assert dict(found.fields) == {
        "symbol": "at::TensorBase::data_ptr<…>", "scope": "at", "library": "_ext.cpython-38-x86_64-linux-gnu.so",
    }


def test_a_missing_cuda_library_says_which_cuda_the_build_wanted():
    found = findings("OSError: libcudart.so.10.1: cannot open shared object file: No such file or directory",
                     kind="missing-library")
    assert [(f.value, f.field("library"), f.field("version")) for f in found] == [
        ("cuda-runtime", "libcudart.so.10.1", " 10.1")
    ]
    assert values("ImportError: libGL.so.1: cannot open shared object file", "missing-library") == ["other"]


# --- registry names -----------------------------------------------------------------------------

def test_the_names_table_knows_what_each_library_registers_and_since_when():
    table = name_table()
    assert {row.library for row in table.by_name["ConvWS"]} == {"mmcv"}
    rtmdet = [row for row in table.by_name["RTMDet"] if row.library == "mmdet"]
    assert str(min(row.first for row in rtmdet)) == "3.0.0"
    assert "CocoDataset" in table.by_name and "MultiScaleDeformableAttention" in table.by_name


@pytest.mark.parametrize(
    "body, env_text, expected",
    [
        # the FAQ's case: the reporter's own class, never imported
        ("KeyError: 'MyRoIHead is not in the models registry'", "", "unregistered"),
        # a built-in class with no installed release to compare: the FAQ's answer (scope, import)
        ("KeyError: 'RTMDet is not in the mmdet::model registry. Please check whether ...'", "", "unregistered"),
        # a built-in class newer than the installed release
        ("KeyError: 'RTMDet is not in the models registry'", "MMDetection: 2.25.0", "newer-release"),
        ("KeyError: 'RTMDet is not in the models registry'", "MMDetection: 3.1.0", "unregistered"),
        # no release said, but only MMCV 1.x's registry prints a miss without its scope: MMDetection 2.x
        ("KeyError: 'RTMDet is not in the models registry'", "", "newer-release"),
        ("KeyError: 'RTMDet is not in the mmdet::model registry. Please check whether ...'", "", "unregistered"),
        # a class in the oldest release read may be older still: no arrival to tell
        ("KeyError: 'FasterRCNN is not in the models registry'", "MMDetection: 2.0.0", "unregistered"),
        # a class the installed release no longer has: MMCV 1.x's hook under MMEngine's scope, or with the
        # installed MMCV past its last release
        ("KeyError: 'GradientCumulativeOptimizerHook is not in the mmdet::hook registry'", "", "older-release"),
        ("KeyError: 'GradientCumulativeOptimizerHook is not in the hook registry'", "MMCV: 2.1.0", "older-release"),
        ("KeyError: 'GradientCumulativeOptimizerHook is not in the hook registry'", "MMCV: 1.6.0", "unregistered"),
        # no release said: it arrived in MMCV 1.4.0, within the era a scope-less message tells, so an
        # older 1.x lacks it (a hint to check the release, not the FAQ's import)
        ("KeyError: 'GradientCumulativeOptimizerHook is not in the hook registry'", "", "newer-release"),
        ("KeyError: 'YOLOX is not in the models registry'", "", "newer-release"),  # MMDetection 2.16.0
        ("KeyError: 'GroundingDINO is not in the mmdet::model registry. Please check ...'", "", "newer-release"),
        # ... but not under MMEngine's root registry: a config without its default_scope, the FAQ's case
        ("KeyError: 'GroundingDINO is not in the mmengine::model registry. Please check ...'", "", "unregistered"),
        # MMPose 0.x's model under MMPose 1.x's scope (a 0.x config), or with MMPose 1.x installed
        ("KeyError: 'TopDown is not in the mmpose::model registry'", "", "older-release"),
        ("KeyError: 'TopDown is not in the models registry'", "MMPose: 1.3.1", "older-release"),
        ("KeyError: 'TopDown is not in the posenets registry'", "MMPose: 0.29.0", "unregistered"),
        # misspellings of registered classes
        ("KeyError: 'COCODataset is not in the dataset registry'", "", "misspelt"),
        ("KeyError: 'CocoDatset is not in the dataset registry'", "", "misspelt"),
        ("KeyError: 'mmdet.RetinaNte is not in the model registry'", "", "misspelt"),
        # the reporter's own subclasses and versions are not misspellings
        ("KeyError: 'YOLOXHead2 is not in the models registry'", "", "unregistered"),
        ("KeyError: 'SwinTransformerV3 is not in the backbone registry'", "", "unregistered"),
        ("KeyError: 'MyCocoDataset is not in the dataset registry'", "", "unregistered"),
        ("KeyError: 'MyHead is not in the models registry'", "", "unregistered"),  # not DyHead
        ("KeyError: 'BBoxHead3 is not in the models registry'", "", "unregistered"),
    ],
)
def test_which_case_a_registry_miss_is(body, env_text, expected):
    env = parse_environment(env_text) if env_text else NO_ENV
    assert values(body, "registry-miss", env) == [expected]


def test_a_registry_miss_told_in_the_reporters_words_names_no_class_and_gets_no_hint():
    # "the retinanet" is the reporter's word for their model, not a class to spell-check against RetinaNet.
    told = findings("Why is the retinanet is not in the mmdet::model registry?", kind="registry-miss")
    assert [(f.value, dict(f.fields)["name"], f.hint) for f in told] == [("unregistered", "", False)]
    printed = findings("KeyError: 'retinanet is not in the mmdet::model registry. Please check whether ...'",
                       kind="registry-miss")
    assert [(f.value, dict(f.fields)["suggestion"]) for f in printed] == [("misspelt", "RetinaNet")]


def test_a_registry_miss_is_told_against_its_own_librarys_classes_only():
    # MMDetection3D's classes are not in the table: no hint
    body = "KeyError: 'COCODataset is not in the mmdet3d::dataset registry. Please check whether ...'"
    assert values(body, "registry-miss") == ["unregistered"]
    # an MMSegmentation issue's "COCODataset" is not MMDetection's CocoDataset misspelt ...
    on_mmseg = read_findings(read_issue(Issue("", "KeyError: 'COCODataset is not in the dataset registry'",
                                              "open-mmlab/mmsegmentation")), NO_ENV)
    assert [f.value for f in on_mmseg] == ["unregistered"]
    # ... but its own class misspelt is
    ade = read_findings(read_issue(Issue("", "KeyError: 'ADE20KDatset is not in the mmseg::dataset registry'",
                                         "open-mmlab/mmsegmentation")), NO_ENV)
    assert [(f.value, dict(f.fields).get("suggestion")) for f in ade] == [("misspelt", "ADE20KDataset")]
    body = "KeyError: 'COCODataset is not in the mmdet::dataset registry. Please check whether ...'"
    assert values(body, "registry-miss") == ["misspelt"]



@pytest.mark.parametrize(("installed", "says_which_package"), [
    ("mmcv                 1.7.0", True),   # MMCV 1.x without ops: the package with them is mmcv-full
    ("mmcv-full            1.7.0", False),  # has that package already: naming it tells nothing
    ("mmcv-lite            2.1.0", True),
    ("mmcv                 2.1.0", False),  # pip's columns: the package is mmcv itself
])
def test_which_package_carries_the_ops_is_said_only_to_those_without_it(installed, says_which_package):
    body = "ModuleNotFoundError: No module named 'mmcv._ext'\n" + installed + "\n"
    (found,) = findings(body, parse_environment(body), "ops-missing")
    assert bool(found.message) == says_which_package

def test_hints_say_what_to_do():
    typo = findings("KeyError: 'COCODataset is not in the dataset registry'", kind="registry-miss")[0]
    assert typo.hint and dict(typo.fields)["suggestion"] == "CocoDataset"
    newer = findings("KeyError: 'RTMDet is not in the models registry'", parse_environment("MMDetection: 2.25.0"),
                     "registry-miss")[0]
    assert newer.hint and dict(newer.fields) == {
        "name": "RTMDet", "library": "mmdet", "since": "3.0.0", "installed": "2.25.0",
    }


@pytest.mark.parametrize(
    "body, expected",
    [
        ("KeyError: 'ConvWS is already registered in conv layer'", "mmcv-class"),
        ("KeyError: 'ConvModule is already registered in plugin layer'", "mmcv-class"),
        ("KeyError: 'MyNeck is already registered in neck'", "other"),
    ],
)
def test_a_class_registered_twice_is_a_clash_with_mmcv_when_mmcv_registers_it(body, expected):
    assert values(body, "already-registered") == [expected]


def test_a_broken_names_table_names_its_line(tmp_path):
    from bot.reference_tables import DataFileError

    path = tmp_path / "registered_names.csv"
    path.write_text("library,registry,name,first,last\nmmdet,models,RTMDet,3.0.0,3.3.0\ntorch,x,y,1,2\n")
    with pytest.raises(DataFileError, match=":3:"):
        load_name_table(path)


# --- MMCV without its ops ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "env_text, expected",
    [
        ("MMCV: 2.1.0", "mmcv-2"),
        ("MMCV: 1.7.1", "mmcv-1"),
        ("mmengine 0.10.3", "mmcv-2"),
        ("MMDetection: 2.28.2", "mmcv-1"),
        ("", "unknown"),
    ],
)
def test_which_mmcv_lacks_its_ops(env_text, expected):
    body = "ModuleNotFoundError: No module named 'mmcv._ext'\n" + env_text
    assert values(body, "ops-missing", parse_environment(body)) == [expected]


def test_an_mmengine_path_in_the_traceback_means_mmcv_2():
    body = 'File "/x/site-packages/mmengine/registry/build_functions.py", line 121\nNo module named \'mmcv._ext\''
    assert values(body, "ops-missing") == ["mmcv-2"]


def test_a_title_cut_after_undefined_symbol_defers_to_the_body_line_of_the_same_library():
    title = "ImportError: DCNv3.cpython-38-x86_64-linux-gnu.so: undefined symbol"
    body = ("ImportError: /x/site-packages/DCNv3-1.0-py3.8-linux-x86_64.egg/DCNv3.cpython-38-x86_64-linux-gnu.so: "
            "undefined symbol: _ZNK3c1010TensorImpl36is_contiguous_nondefault_policy_implENS_12MemoryFormatE\n")
    text = read_issue(Issue(title, body))
    assert [f.value for f in read_findings(text, parse_environment(body)) if f.kind == "missing-symbol"] == ["extension"]


def test_a_title_naming_the_library_without_its_folder_defers_to_the_body_line_that_gives_it():
    # the title's "X.so" alone looks like MMCV's case; the body's full path says another project's extension
    title = "MultiScaleDeformableAttention.so: undefined symbol _ZN3c106detail14torchCheckFailEPKcS2_jRKSs"
    body = ("ImportError: /env/lib/python3.7/site-packages/MultiScaleDeformableAttention-1.0-py3.7-linux-x86_64.egg/"
            "MultiScaleDeformableAttention.cpython-37m-x86_64-linux-gnu.so: undefined symbol: "
            "_ZN3c106detail14torchCheckFailEPKcS2_jRKSs\n")
    text = read_issue(Issue(title, body))
    assert [f.value for f in read_findings(text, parse_environment(body)) if f.kind == "missing-symbol"] == ["extension"]


def test_the_same_hint_in_the_title_and_the_body_is_said_once():
    from bot.rules import load_rules
    from bot.triage import triage

    error = "KeyError: 'CocoDatset is not in the dataset registry'"
    verdict = triage(Issue(error, f"```\n{error}\n```\n"), load_rules(Path(__file__).resolve().parent.parent / "rules"))
    assert len(verdict.hints) == 1 and verdict.comment.count("Did you mean `CocoDataset`?") == 1


def test_torchvisions_warning_about_its_image_extension_is_not_a_missing_library_of_mmcv():
    from bot.rules import load_rules
    from bot.triage import triage

    body = ("```\nModuleNotFoundError: No module named 'mmcv._ext'\n```\n"
            "/opt/py/site-packages/torchvision/io/image.py:13: UserWarning: Failed to load image Python extension: "
            "libtorch_cuda_cu.so: cannot open shared object file: No such file or directory\n")
    text = read_issue(Issue("demo fails", body))
    assert [f for f in read_findings(text, NO_ENV) if f.kind == "missing-library"] == []
    verdict = triage(Issue("demo fails", body), load_rules(Path(__file__).resolve().parent.parent / "rules"))
    assert [m.rule.id for m in verdict.matches] == ["mmcv-ops-missing"]


@pytest.mark.parametrize("frame, value", [
    # another installed package's extension asks for the CUDA runtime: its build, not MMCV's
    ('File "/opt/envs/mm/lib/python3.9/site-packages/cumm/core_cc/__init__.py", line 1, in <module>\n'
     "from . import csrc", "extension"),
    ('File "/opt/py/site-packages/torch_cluster-1.6.0-py3.9-linux-x86_64.egg/torch_cluster/__init__.py", line 18, '
     "in <module>", "extension"),
    # MMCV's loader, PyTorch's, or Python's importlib between them: the error as the FAQ means it
    ('File "/opt/py/site-packages/mmcv/utils/ext_loader.py", line 13, in load_ext\n'
     "ext = importlib.import_module('mmcv.' + name)", "cuda-runtime"),
    ('File "/opt/py/site-packages/torch/__init__.py", line 199, in _load_global_deps\n'
     "ctypes.CDLL(lib_path, mode=ctypes.RTLD_GLOBAL)", "cuda-runtime"),
    ('File "/usr/lib/python3.9/importlib/__init__.py", line 127, in import_module\n'
     "return _bootstrap._gcd_import(name[level:], package)", "cuda-runtime"),
])
def test_a_cuda_library_another_package_loads_is_that_packages_need(frame, value):
    body = f"Traceback (most recent call last):\n{frame}\nImportError: libcudart.so.11.0: cannot open shared object file\n"
    assert values(body, "missing-library") == [value]


def test_a_title_naming_a_missing_library_defers_to_the_body_line_that_shows_who_loads_it():
    title = "ImportError: libcublas.so.11: cannot open shared object file (mmdet3d)"
    body = ('File "/x/site-packages/spconv/pytorch/__init__.py", line 2, in <module>\n'
            "ImportError: libcublas.so.11: cannot open shared object file: No such file or directory\n")
    text = read_issue(Issue(title, body))
    found = [f for f in read_findings(text, parse_environment(body)) if f.kind == "missing-library"]
    assert [(f.value, f.line, f.field("package")) for f in found] == [("extension", 2, "spconv")]
