"""The composed answer, on issues written for these tests: what a reporter would notice in the reply.

One group per point of issue #8: filled commands, the reporter's MMCV major, the printed range,
their repository, conclusions instead of copies, whole facts only, exact quotes, their language,
one screen.
"""

import re
from pathlib import Path

import pytest

from bot.answer import GENERIC_COLLECT_ENV
from bot.issue import Issue
from bot.rules import PLACEHOLDERS, load_rules
from bot.triage import triage

RULES = load_rules(Path(__file__).resolve().parent.parent / "rules")
INDEX = "https://download.openmmlab.com/mmcv/dist"


def reply(body: str, title: str = "Import fails", repo: str = "open-mmlab/mmdetection") -> str:
    verdict = triage(Issue(title, body, repo), RULES)
    assert verdict.comment is not None, "the bot stayed silent"
    return verdict.comment


def outside_details(comment: str) -> str:
    return re.sub(r"<details>.*?</details>", "", comment, flags=re.S)


def prose(comment: str) -> str:
    """The reply without its quoted error and folded environment: the words addressed to the reporter."""
    return re.sub(r"^(`{3,})\n.*?\n\1$", "", outside_details(comment), flags=re.S | re.M)


UNDEFINED = ("ImportError: /opt/conda/lib/python3.8/site-packages/mmcv/_ext.cpython-38-x86_64-linux-gnu.so: "
             "undefined symbol: _ZN2at4_ops5zeros4callEN3c10\n")
NO_OPS = "ModuleNotFoundError: No module named 'mmcv._ext'\n"


# --- 1. commands filled in ---------------------------------------------------------------------

def test_the_exact_wheel_for_their_pytorch_and_cuda():
    comment = reply(UNDEFINED + "PyTorch: 1.12.1+cu116\nMMCV: 1.7.0\nMMCV CUDA Compiler: 11.6\n")
    assert f"pip install mmcv-full==1.7.0 -f {INDEX}/cu116/torch1.12/index.html" in comment
    assert "{cu_version}" not in comment and "{torch_version}" not in comment


def test_the_newest_version_with_a_wheel_when_theirs_has_none():
    comment = reply(NO_OPS + "PyTorch: 2.1.2+cu121\nMMCV: 2.0.1\nMMCV Compiler: n/a\nMMEngine: 0.10.3\n",
                    repo="open-mmlab/mmsegmentation")
    assert f"pip install mmcv==2.1.0 -f {INDEX}/cu121/torch2.1/index.html" in comment


def test_no_wheel_for_the_combination_says_so_and_names_the_nearest():
    comment = reply(UNDEFINED + "PyTorch: 2.0.1+cu117\nMMCV: 1.7.1\nMMCV CUDA Compiler: 11.7\n")
    assert "no prebuilt `mmcv-full` exists for PyTorch 2.0 with CUDA 11.7" in comment
    assert f"PyTorch 1.13 with CUDA 11.7 and `pip install mmcv-full==1.7.1 -f {INDEX}/cu117/torch1.13/index.html`" in comment
    assert 'build it for yours: `pip install mmcv-full==1.7.1`' in comment


def test_pytorch_known_without_its_cuda_hears_when_no_build_exists_for_it_at_all():
    # mmcv-full 1.7.x was built for PyTorch up to 1.13: mim would find nothing for 2.3 and compile.
    none = reply(UNDEFINED + "PyTorch 2.3.1, mmcv-full 1.7.2\n")
    assert 'install PyTorch 1.13 and `mim install "mmcv-full==1.7.2"`' in none
    assert "no prebuilt `mmcv-full` exists for PyTorch 2.3, whatever its CUDA" in none
    assert "build it for yours: `pip install mmcv-full==1.7.2`" in none
    # Some build for their PyTorch fits: mim picks the one for their CUDA.
    some = reply(UNDEFINED + "PyTorch 1.12.1, mmcv-full 1.7.0\n")
    assert '`mim install "mmcv-full==1.7.0"` (mim picks the build for your PyTorch and CUDA)' in some


def test_a_cpu_build_of_pytorch_gets_the_cpu_wheels():
    comment = reply(NO_OPS + "PyTorch: 1.13.1+cpu\nMMCV: 2.0.0\nMMCV Compiler: n/a\nMMDetection: 3.0.0\n")
    assert f"-f {INDEX}/cpu/torch1.13/index.html" in comment


def test_a_nightly_pytorch_is_told_to_build_from_source():
    comment = reply(NO_OPS + "PyTorch: 2.4.0.dev20240301+cu121\nMMEngine: 0.10.3\n", repo="open-mmlab/mmpretrain")
    assert "no prebuilt MMCV fits PyTorch 2.4.0dev20240301+cu121" in comment and "-f https://" not in comment


def test_unknown_versions_get_mim_never_a_template():
    comment = reply(NO_OPS + "mmcv 2.1.0 (from mim)\n")
    assert "mim install" in comment and "{cu_version}" not in comment and "{{" not in comment


# --- 2. the reporter's MMCV major ------------------------------------------------------------------

@pytest.mark.parametrize("facts", [
    "MMCV: 2.1.0\n",
    "MMEngine: 0.10.3\nMMDetection: 3.3.0\n",
    '  File "/opt/conda/lib/python3.10/site-packages/mmengine/runner/runner.py", line 1, in train\n',
])
def test_a_2x_reporter_is_never_told_mmcv_full(facts):
    comment = reply(NO_OPS + facts)
    assert "mmcv-full" not in prose(comment)


def test_a_1x_traceback_gets_mmcv_full():
    body = ('  File "/usr/lib/python3.7/site-packages/mmcv/runner/epoch_based_runner.py", line 50, in train\n'
            + NO_OPS)
    comment = reply(body)
    assert "pip uninstall mmcv-full mmcv" in comment and "mim install mmcv-full" in comment
    assert "mim install mmcv`" not in comment


def test_nothing_said_gives_both():
    comment = reply(NO_OPS, repo="someone/research-code")
    assert "`mim install mmcv` (MMCV 2.x)" in comment and "`mim install mmcv-full` (MMCV 1.x)" in comment


# --- 3. the range the error prints --------------------------------------------------------------------

ASSERT_22 = (
    '  File "/home/u/mmdetection/mmdet/__init__.py", line 17, in <module>\n'
    "    and mmcv_version < digit_version(mmcv_maximum_version)), \\\n"
    "AssertionError: MMCV==2.2.0 is used but incompatible. Please install mmcv>=2.0.0rc4, <2.2.0.\n"
)


def test_the_range_and_the_package_asserting_it_are_named():
    comment = reply(ASSERT_22 + "PyTorch: 2.1.0+cu118\n")
    assert "MMDetection's `mmdet/__init__.py` accepts `mmcv>=2.0.0rc4,<2.2.0`, but you have MMCV 2.2.0" in comment
    assert f"pip install mmcv==2.1.0 -f {INDEX}/cu118/torch2.1/index.html" in comment


def test_pytorch_2_4_with_mmdetection_3_3_has_no_wheel_in_range():
    comment = reply(ASSERT_22 + "PyTorch: 2.4.0+cu121\n")
    assert "no prebuilt `mmcv>=2.0.0rc4,<2.2.0` exists for PyTorch 2.4 with CUDA 12.1" in comment
    assert f"install PyTorch 2.1 with CUDA 12.1 and `pip install mmcv==2.1.0 -f {INDEX}/cu121/torch2.1/index.html`" in comment
    assert "mmcv==2.2.0" not in comment


def test_the_package_is_the_one_whose_init_asserts_it():
    body = ('  File "/home/u/seg/mmseg/__init__.py", line 61, in <module>\n'
            "AssertionError: MMCV==2.2.0 is used but incompatible. Please install mmcv>=2.0.0rc4, <2.2.0.\n")
    assert "MMSegmentation's `mmseg/__init__.py`" in reply(body, repo="someone/segmentation-research")


def test_an_error_that_printed_the_range_and_the_installed_version_asks_no_environment_for_them():
    # The check collect_env would serve (is MMCV in the range MMDetection accepts?) is the error itself.
    for body in (ASSERT_22, "mmdet 3.3.0 requires mmcv<2.2.0,>=2.0.0rc4, but you have mmcv 2.2.0 which is incompatible.\n"):
        comment = reply(body)
        assert "but you have MMCV 2.2.0" in comment and "collect_env" not in comment
    # Without them, the bot still asks what it needs to check.
    clash = reply("KeyError: 'ConvWS is already registered in conv layer'\n")
    assert "`pip list`" in clash and "whether your MMCV version is in the range MMDetection accepts" in clash


def test_code_that_imports_what_mmcv_2_moved_to_mmengine_hears_it_was_written_for_mmcv_1():
    for body in ("  File \"tools/train.py\", line 9, in <module>\n    from mmcv.runner import get_dist_info\n"
                 "ModuleNotFoundError: No module named 'mmcv.runner'\n",
                 "ImportError: cannot import name 'Config' from 'mmcv' (/opt/py/site-packages/mmcv/__init__.py)\n"):
        comment = reply(body, repo="someone/detector-research")
        assert "written for MMCV 1.x" in comment and 'mim install "mmcv-full<2.0.0"' in comment
        assert "compatibility table" not in comment and "__init__.py` checks" not in comment
    # The other way round: code for MMCV 2.x under an MMCV 1.x is not told to go back to 1.x.
    newer = reply("ModuleNotFoundError: No module named 'mmcv.transforms'\n")
    assert "written for MMCV 1.x" not in newer and "compatibility table" in newer


def test_a_release_whose_mmcv_range_is_known_gets_that_install_alone():
    # MMDetection 2.28.2 with MMCV 2.0.1: the exact mmcv-full 1.7.1 wheel, not also a looser
    # "mmcv-full<2.0.0" that could pick another.
    body = ("MMDetection: 2.28.2\nMMCV: 2.0.1\nPyTorch: 1.12.1+cu113\n"
            "ImportError: cannot import name 'Config' from 'mmcv' (/opt/py/site-packages/mmcv/__init__.py)\n")
    comment = reply(body)
    assert f"pip install mmcv-full==1.7.1 -f {INDEX}/cu113/torch1.12/index.html" in comment
    assert 'mmcv-full<2.0.0' not in comment


def test_a_script_for_mmcv_1_beside_packages_made_for_mmcv_2_is_told_to_import_from_mmengine():
    error = "ImportError: cannot import name 'Config' from 'mmcv' (/opt/py/site-packages/mmcv/__init__.py)\n"
    fits = reply(error + "MMCV: 2.0.1\nMMEngine: 0.8.4\nMMDetection: 3.1.0\n", repo="open-mmlab/mmcv")
    assert "`from mmengine import Config`" in fits and "keep them" in fits
    assert "mmcv-full<2.0.0" not in fits
    # Only the installed MMCV known: it may be the mismatch itself, so the way back to MMCV 1.x stays.
    alone = reply(error + "MMCV: 2.1.0\n", repo="someone/detector-research")
    assert 'mim install "mmcv-full<2.0.0"' in alone and "keep them" not in alone


def test_another_projects_release_says_which_mmcv_its_reporter_needs():
    error = "ModuleNotFoundError: No module named 'mmcv._ext'\n"
    old = reply(error + "PyTorch: 1.12.1+cu113\nMMSegmentation: 0.30.0\n", repo="open-mmlab/mmsegmentation")
    assert f"pip install mmcv-full==1.7.1 -f {INDEX}/cu113/torch1.12/index.html" in old and "mmcv==2" not in old
    assert "MMSegmentation: 0.30.0" in old  # shown among the facts used
    new = reply(error + "PyTorch: 2.1.0+cu118\nMMSegmentation: 1.2.2\n", repo="open-mmlab/mmsegmentation")
    assert f"pip install mmcv==2.1.0 -f {INDEX}/cu118/torch2.1/index.html" in new


def test_an_arm_machine_is_told_to_build_on_the_device_not_given_a_wheel():
    # OpenMMLab's wheel index has no aarch64 wheels: a Jetson builds MMCV itself.
    jetson = ("On a Jetson Xavier NX (JetPack 4.6):\nModuleNotFoundError: No module named 'mmcv._ext'\n"
              "sys.platform: linux\nPyTorch: 1.9.0\nMMCV: 1.4.0\nMMCV Compiler: n/a\n")
    comment = reply(jetson)
    assert "OpenMMLab publishes no MMCV wheels for ARM" in comment and "`pip install mmcv-full==1.4.0`" in comment
    assert "download.openmmlab.com" not in comment
    arch = reply("RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
                 "aarch64, Jetson Orin, PyTorch: 2.0.0+nv23.05\nMMCV: 2.0.1\n")
    assert "the prebuilt one for your PyTorch" not in arch
    # a Mac's arm64 is darwin, which has its own wheels: not this case
    mac = reply("ModuleNotFoundError: No module named 'mmcv._ext'\nsys.platform: darwin\nmacOS arm64\n"
                "PyTorch: 2.1.0\nMMCV: 2.1.0\n")
    assert "OpenMMLab publishes no MMCV wheels for ARM" not in mac


def test_a_class_of_another_package_is_told_to_import_that_packages_models():
    error = ("KeyError: \"class `MaskRCNN` in mmdet/models/detectors/mask_rcnn.py: 'mmpretrain.ConvNeXt is not in "
             "the mmdet::model registry. Please check whether the value of `mmpretrain.ConvNeXt` is correct or it "
             "was registered as expected.'\"\n")
    comment = reply(error)
    assert "custom_imports = dict(imports=['mmpretrain.models'], allow_failed_imports=False)" in comment
    assert "`type='mmpretrain.ConvNeXt'`" in comment
    assert "Register it in the `mmdet` scope" not in comment and "If it is your own module" not in comment
    # a dotted name of no OpenMMLab package is the reporter's own: the FAQ's steps
    own = reply("KeyError: 'sareye.FrequencySpatialFPN is not in the mmdet::model registry'\n")
    assert "If it is your own module" in own and ".models']" not in own


def test_a_pytorch_without_the_gpus_architecture_is_not_given_an_mmcv_wheel_for_that_same_pytorch():
    body = ("UserWarning: Tesla K80 with CUDA capability sm_37 is not compatible with the current PyTorch "
            "installation.\nThe current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 "
            "sm_86 sm_90.\nRuntimeError: CUDA error: no kernel image is available for execution on the device\n"
            "GPU 0: Tesla K80\nPyTorch: 2.0.1+cu118\nMMCV: 2.0.1\n")
    comment = reply(body)
    assert "Your PyTorch was not built for your Tesla K80 (`sm_37`, compute capability 3.7)" in comment
    assert "its build has `sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90`, all newer" in comment
    assert "CUDA 11.8 was the last to build for that GPU" in comment  # rules/data/cuda_archs.csv
    assert "cu118/torch2.0" not in comment  # the MMCV for the PyTorch that cannot run on this GPU


def test_mmdetection3d_0x_own_ops_are_rebuilt_in_its_repository_not_mmcv_reinstalled():
    body = ('  File "/home/u/mmdetection3d/mmdet3d/ops/__init__.py", line 1, in <module>\n'
            "    from mmcv.ops import RoIAlign\n"
            "ImportError: /home/u/mmdetection3d/mmdet3d/ops/ball_query/ball_query_ext.cpython-37m-x86_64-linux-gnu.so: "
            "undefined symbol: _ZN2at5emptyEN3c108ArrayRefIlEERKNS0_13TensorOptionsE\n")
    comment = reply(body, repo="open-mmlab/mmdetection3d")
    assert "Your MMDetection3D (before 1.0) builds its own CUDA ops (`mmdet3d/ops`)" in comment
    assert "the one holding `setup.py` and `mmdet3d/`" in comment and "mim install" not in comment


def test_a_check_of_mmdetections_version_is_answered_with_an_mmdetection_in_range():
    # MMOCR and MMRotate assert MMDetection's release too: the range is MMDetection's, not MMCV's.
    body = ('  File "/opt/py/site-packages/mmocr/__init__.py", line 52, in <module>\n'
            "AssertionError: MMDetection==3.3.0 is used but incompatible. Please install mmdet>=3.0.0rc5, <3.2.0.\n")
    comment = reply(body, repo="open-mmlab/mmocr")
    assert "MMOCR's `mmocr/__init__.py` accepts `mmdet>=3.0.0rc5,<3.2.0`, but you have MMDetection 3.3.0" in comment
    assert 'mim install "mmdet>=3.0.0rc5,<3.2.0"' in comment and "Look up the MMCV version" not in comment


def test_the_same_error_in_the_title_and_the_body_says_what_it_tells_once():
    error = "KeyError: 'ConvWS is already registered in conv layer'"
    comment = reply(f'  File "/opt/py/site-packages/mmcv/utils/registry.py", line 58\n{error}\n', title=error)
    assert comment.count("MMCV registers `ConvWS` itself") == 1


def test_an_error_that_stops_collect_env_too_is_answered_with_a_request_for_pips_list():
    # collect_env imports mmcv.ops: with MMCV's ops failing to load, it fails the same way.
    error = ("ImportError: /opt/py/site-packages/mmcv/_ext.cpython-310-x86_64-linux-gnu.so: "
             "undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jRKSs\n")
    comment = reply(error)
    assert "paste the output of `pip list`" in comment and "collect_env" not in comment
    # What pip's list then says is enough for the exact wheel.
    followed = reply(error + "torch 2.1.0+cu118\ntorchvision 0.16.0+cu118\nmmcv 2.1.0\n")
    assert f"pip install mmcv==2.1.0 -f {INDEX}/cu118/torch2.1/index.html" in followed


def test_a_range_printed_as_lists_is_read_as_one_printed_with_dots():
    # MMSegmentation 0.x printed digit_version's lists: "mmcv>=[1, 3, 1], <=[1, 4, 0]".
    body = ('  File "/work/seg/mmseg/__init__.py", line 27, in <module>\n'
            "AssertionError: MMCV==1.3.0 is used but incompatible. Please install mmcv>=[1, 3, 1], <=[1, 4, 0].\n")
    comment = reply(body, repo="open-mmlab/mmsegmentation")
    assert "accepts `mmcv>=1.3.1,<=1.4.0`, but you have MMCV 1.3.0" in comment
    assert "compatibility table" not in comment


def test_ops_of_an_old_mmdetection_are_rebuilt_there_not_by_reinstalling_mmcv():
    # MMDetection before 2.3 compiled CUDA ops of its own, in mmdet/ops.
    old = reply('  File "/home/u/mmdetection/mmdet/ops/roi_align/roi_align.py", line 33, in forward\n'
                "RuntimeError: CUDA error: no kernel image is available for execution on the device\n")
    assert "MMDetection (before 2.3) builds its own CUDA ops (`mmdet/ops`)" in old and "python setup.py develop" in old
    assert "Rebuild MMCV" not in old and "mim install" not in old
    current = reply('  File "/opt/py/site-packages/mmcv/ops/roi_align.py", line 88, in forward\n'
                    "RuntimeError: CUDA error: no kernel image is available for execution on the device\n")
    assert "Rebuild MMCV" in current and "setup.py develop" not in current


def test_a_pytorch_built_without_the_gpus_architecture_is_replaced_before_mmcv():
    # PyTorch's own warning: its build lacks sm_86, so would every op built against it.
    warning = ("NVIDIA GeForce RTX 3090 with CUDA capability sm_86 is not compatible with the current PyTorch "
               "installation.\nThe current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_70.\n")
    comment = reply(warning)
    assert ("Your PyTorch was not built for your NVIDIA GeForce RTX 3090 (`sm_86`, compute capability 8.6): its "
            "build has `sm_37 sm_50 sm_60 sm_70`, all older. That GPU needs CUDA 11.1 or newer") in comment
    assert "Rebuild MMCV" not in comment and "Find your GPU's compute capability" not in comment
    # The warning said what the environment would: nothing to ask for.
    assert "Please add your environment" not in comment
    # The error quoted may be another line: the warning still names the capability.
    later = reply(warning + "RuntimeError: CUDA error: no kernel image is available for execution on the device\n")
    assert "no kernel image" in later and "That GPU needs CUDA 11.1 or newer" in later
    # A board newer than any CUDA in the table knows, and PyTorch 1.x's wording without "NVIDIA ".
    blackwell = reply("GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch "
                      "installation.\nThe current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 "
                      "sm_75 sm_80 sm_86 sm_90.\n")
    assert "your GeForce RTX 5090 (`sm_120`, compute capability 12.0)" in blackwell
    assert "CUDA 12.8 or newer" in blackwell


def test_a_cut_pytorch_warning_gets_the_general_step_and_the_request_for_the_environment():
    # Cut before the build's list: the GPU is named, what to install is not told.
    cut = reply("NVIDIA GeForce RTX 3090 with CUDA capability sm_86 is not compatible with the current PyTorch "
                "installation.\nRuntimeError: CUDA error: no kernel image is available for execution on the device\n")
    assert "Your PyTorch itself was not built for your GPU" in cut and "all older" not in cut
    # A GPU between the build's architectures (sm_61 in a build of sm_60 and sm_70): no simple older or newer.
    between = reply("Quadro P4000 with CUDA capability sm_61 is not compatible with the current PyTorch "
                    "installation.\nThe current PyTorch install supports CUDA capabilities sm_37 sm_60 sm_70.\n")
    assert "Your PyTorch itself was not built for your GPU" in between


def test_an_mmdetection_that_built_its_own_ops_is_rebuilt_even_when_no_path_says_so():
    # MMDetection 2.2 (with MMCV 0.6, which had no CUDA ops) compiled its own; 2.3 moved them to MMCV.
    error = "RuntimeError: CUDA error: invalid device function\n"
    old = reply(error + "MMCV: 0.6.2\nMMDetection: 2.2.0+6505a9d\n")
    assert "python setup.py develop" in old and "pip install mmcv-full" not in old
    assert "MMDetection: 2.2.0+6505a9d" in old  # the fact it rests on, in the folded environment
    newer = reply(error + "MMCV: 1.0.5\nMMDetection: 2.3.0\n")
    assert "setup.py develop" not in newer and "mmcv-full" in newer


def test_the_compatibility_lookup_names_the_reporters_own_project():
    error = "ModuleNotFoundError: No module named 'mmcv.transforms'\n"
    assert "the MMCV version your MMSegmentation release needs" in reply(error, repo="open-mmlab/mmsegmentation")
    assert "the MMCV version your MMDetection release needs" in reply(error, repo="open-mmlab/mmdetection")


def test_the_package_to_install_is_not_told_from_the_mmcv_that_is_in_doubt():
    # The installed MMCV may be the wrong major: it cannot say whether mmcv-full or mmcv is needed.
    error = "ModuleNotFoundError: No module named 'mmcv.transforms'\nmmcv                 1.7.2\n"
    unknown = reply(error, repo="open-mmlab/mmsegmentation")
    assert "install that version of MMCV (`mmcv-full` for 1.x, `mmcv` for 2.x) with `mim install`" in unknown
    # MMDetection 2.x says it: MMCV 1.x, whose package with ops is mmcv-full.
    known = reply(error + "MMDetection: 2.25.0\n")
    assert "mmcv-full" in known and "`mmcv` for 2.x" not in known


def test_unused_parameters_with_no_mmcv_major_known_hear_both_ways_to_name_them():
    error = "RuntimeError: Expected to have finished reduction in the prior iteration before starting a new one.\n"
    comment = reply(error, repo="someone/pose-research")
    assert "`optimizer_config = dict(grad_clip=None, detect_anomalous_params=True)` with MMCV 1.x" in comment
    assert "with MMEngine;" in comment  # no project known: no release series named
    mmengine = reply('  File "/opt/py/site-packages/mmengine/runner/loops.py", line 96, in run\n' + error)
    assert "optimizer_config" not in mmengine and "model_wrapper_cfg" in mmengine


def test_a_title_quoted_as_the_error_loses_the_templates_tag():
    comment = reply("The demo stops here, nothing more is printed.",
                    title="[Bug] RuntimeError: CUDA error: invalid configuration argument")
    assert "```\nRuntimeError: CUDA error: invalid configuration argument\n```" in comment
    assert "[Bug]" not in comment


def test_a_short_upper_bound_is_read_as_mmdetection_2_reads_it():
    comment = reply("AssertionError: MMCV==1.1.4 is used but incompatible. Please install mmcv>=1.1.5, <=1.3.\n"
                    "PyTorch: 1.6.0+cu101\n")
    assert f"pip install mmcv-full==1.2.7 -f {INDEX}/cu101/torch1.6/index.html" in comment  # 1.3.0 is refused


def test_pips_resolver_message_is_a_printed_range_too():
    comment = reply("ERROR: pip's dependency resolver does not currently take into account all the packages.\n"
                    "mmdet 3.3.0 requires mmcv<2.2.0,>=2.0.0rc4, but you have mmcv 2.2.0 which is incompatible.\n")
    assert "MMDetection 3.3.0 accepts" in comment and 'mim install "mmcv<2.2.0,>=2.0.0rc4"' in comment


def test_a_message_that_prints_part_of_the_range_is_bounded_by_the_version_it_refused():
    # MMSegmentation 1.x checks mmcv < 2.2.0 but prints only the lower bound
    body = ('  File "/home/u/mmsegmentation/mmseg/__init__.py", line 61, in <module>\n'
            "AssertionError: MMCV==2.2.0 is used but incompatible. Please install mmcv>=2.0.0rc4.\n"
            "PyTorch: 2.4.0+cu121\n")
    comment = reply(body, repo="open-mmlab/mmsegmentation")
    assert "accepts `mmcv>=2.0.0rc4,<2.2.0`, but you have MMCV 2.2.0" in comment
    assert "mmcv==2.2.0" not in comment and "mmcv==2.1.0" in comment


def test_pips_refusal_to_install_names_the_range_the_requirer_depends_on():
    body = ("```\nERROR: Cannot install mmcv==2.2.0 and mmpose==1.3.2 because these package versions have "
            "conflicting dependencies.\nThe conflict is caused by:\n    The user requested mmcv==2.2.0\n"
            "    mmpose 1.3.2 depends on mmcv<2.2.0 and >=2.0.0\n```\n")
    comment = reply(body, title="mim install fails", repo="open-mmlab/mmpose")
    assert "MMPose 1.3.2 accepts `mmcv<2.2.0,>=2.0.0`" in comment
    assert 'mim install "mmcv<2.2.0,>=2.0.0"' in comment
    # asked for with extras: "mmdet[mim] 3.1.0 depends on ..."
    extras = reply("```\nThe conflict is caused by:\n    The user requested mmcv==2.2.0\n    mmdet[mim] 3.1.0 depends on "
                   "mmcv<2.1.0 and >=2.0.0rc4; extra == \"mim\"\n```\n", title="pip install fails")
    assert "MMDetection 3.1.0 accepts `mmcv<2.1.0,>=2.0.0rc4`" in extras


def test_the_mmcv_recommended_on_mmsegmentation_is_one_its_newest_release_accepts():
    # MMSegmentation 1.2.2 asserts mmcv < 2.2.0: the newest wheel for their PyTorch, 2.2.0, would fail it
    body = ("```\nModuleNotFoundError: No module named 'mmcv._ext'\n```\nPyTorch: 2.1.0+cu121\n"
            "MMEngine: 0.10.1\n")
    segmentation = reply(body, repo="open-mmlab/mmsegmentation")
    assert "mmcv==2.1.0 -f https://download.openmmlab.com/mmcv/dist/cu121/torch2.1/index.html" in segmentation
    assert "mmcv==2.2.0" not in segmentation


def test_mmcv_2_installed_under_a_1x_range_also_hears_how_to_keep_2x():
    body = ('  File "/content/seg/mmseg/__init__.py", line 58, in <module>\n'
            "AssertionError: MMCV==2.0.0 is used but incompatible. Please install mmcv>=1.3.17, <=1.5.0.\n")
    comment = reply(body, repo="open-mmlab/mmsegmentation")
    assert "To keep MMCV 2.0.0, use MMSegmentation 1.0.0 or later" in comment


# --- 4. the reporter's repository ----------------------------------------------------------------------

def test_a_hook_missing_from_the_registry_is_told_the_hooks_decorator_and_folder():
    scoped = reply("KeyError: 'FreezeHook is not in the mmdet::hook registry. Please check whether the value of "
                   "`FreezeHook` is correct or it was registered as expected.'\n")
    assert "`@HOOKS.register_module()`" in scoped and "`mmdet/engine/hooks/__init__.py`" in scoped
    # MMCV 1.x era: the decorator is the same, the folder differs from package to package
    unscoped = reply("KeyError: 'FreezeHook is not in the hook registry'\nmmcv-full 1.7.1, mmdet 2.28.2\n")
    assert "`@HOOKS.register_module()`" in unscoped and "engine/hooks" not in unscoped
    assert "models/<part>" not in unscoped and "the `__init__.py` of the `mmdet` folder that holds it" in unscoped


def test_registry_answers_follow_the_project_and_the_scope_in_the_error():
    body = ("KeyError: 'MyNeck is not in the mmseg::model registry. Please check whether the value of "
            "`MyNeck` is correct or it was registered as expected.'\n")
    comment = reply(body, repo="open-mmlab/mmsegmentation")
    assert "`mmseg/models/<part>/__init__.py`" in comment and "default_scope = 'mmseg'" in comment
    assert "type='MyNeck'" in comment and "mmdet" not in prose(comment)


def test_a_registry_miss_on_a_research_repository_follows_the_scope_its_error_names():
    """A repository built on MMSegmentation: the error's scope says which package's files to edit."""
    body = ("KeyError: 'BSSHead is not in the mmseg::model registry. Please check whether the value of "
            "`BSSHead` is correct or it was registered as expected.'\n")
    comment = reply(body, repo="someone/segmentation-research")
    assert "`mmseg/models/<part>/__init__.py`" in comment and "import mmseg;" in comment
    assert "mmdet/" not in comment and "import mmdet" not in comment


def test_a_class_named_only_in_words_is_not_quoted_as_a_class_name():
    """"the model is not in the ... registry" is the reporter's prose: no `type='model'` to check."""
    comment = reply("I train on my own data and get the error in the title.",
                    title="how to deal the model is not in the mmseg::model registry", repo="someone/research")
    assert "type='model'" not in comment and "`model`" not in comment
    assert "the class your config names never was" in comment and "the `type=` value" in comment
    assert "default_scope = 'mmseg'" in comment and "import mmseg;" in comment


def test_the_request_for_the_environment_names_the_projects_own_script():
    comment = reply("RuntimeError: CUDA error: no kernel image is available for execution on the device\n",
                    repo="open-mmlab/mmdetection3d")
    assert "`python mmdet3d/utils/collect_env.py`" in comment and "mmdet/utils" not in comment


def test_an_issue_on_mmcv_links_mmcvs_faq_and_its_collect_env():
    verdict = triage(Issue("Import fails", NO_OPS, "open-mmlab/mmcv"), RULES)
    assert "https://mmcv.readthedocs.io/en/latest/faq.html" in verdict.comment
    assert GENERIC_COLLECT_ENV in verdict.comment and verdict.asks_environment


# --- 5. conclusions, not copies ---------------------------------------------------------------------------

def test_two_mmcv_packages_installed_at_once_must_both_go():
    comment = reply(NO_OPS + "mmcv                      2.1.0\nmmcv-full                 1.7.2\n"
                    "torch                     2.1.0+cu121\n")
    assert "`mmcv-full` 1.7.2" in comment and "Uninstall both" in comment
    assert "`pip uninstall mmcv mmcv-full`" in comment


def test_nvcc_against_pytorchs_cuda_is_a_finding_where_mmcv_is_built_from_source():
    comment = reply("RuntimeError: nms is not compiled with GPU support\n"
                    "NVCC: Cuda compilation tools, release 10.0, V10.0.130\nPyTorch: 1.6.0+cu101\n")
    assert "Your `nvcc` is CUDA 10.0, but PyTorch was built with CUDA 10.1" in comment


def test_the_gpu_they_have_replaces_the_volta_example():
    comment = reply("RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
                    "GPU 0: NVIDIA GeForce RTX 3090\nPyTorch: 1.12.1+cu113\nMMCV: 1.6.0\n")
    assert 'TORCH_CUDA_ARCH_LIST="8.6"' in comment and "NVIDIA GeForce RTX 3090 (compute capability 8.6)" in comment
    assert "Volta" not in comment and "7.0" not in comment


NO_KERNEL = "```\nRuntimeError: CUDA error: no kernel image is available for execution on the device\n```\n"


@pytest.mark.parametrize("said, arch, gpu", [
    ("Running it on 4 张 Tesla K80，torch 1.7.1+cu101。", "3.7", "Tesla K80 (compute capability 3.7)"),
    ("My machine: gtx1080ti, pytorch 1.5 with cuda 10.1.", "6.1", "GeForce GTX 1080 Ti (compute capability 6.1)"),
    # a GPU newer than the CUDA at hand knows: the newest architecture of its major it builds, said why
    ("RTX 4090, torch 1.13.1+cu117, mmcv 2.0.1", "8.6",
     "GeForce RTX 4090 (compute capability 8.9: CUDA 11.7 cannot build for 8.9, and code built for 8.6 runs on it)"),
])
def test_a_gpu_named_in_words_is_the_one_the_rebuild_is_for(said, arch, gpu):
    comment = reply(said + "\n" + NO_KERNEL)
    assert f'TORCH_CUDA_ARCH_LIST="{arch}"' in comment and gpu in comment
    assert "get_device_capability" not in comment  # no need to look it up
    assert "Please add your environment" in comment  # a GPU named in words is no pasted collect_env


@pytest.mark.parametrize("said, needed", [
    ("RTX 3090, torch 1.7.1+cu101, mmcv-full 1.2.4", "needs CUDA 11.1 or newer, and the CUDA here is 10.1"),
    ("GPU 0: NVIDIA A100-SXM4-40GB\nPyTorch: 1.6.0+cu102\nMMCV: 1.1.5", "needs CUDA 11.0 or newer, and the CUDA here is 10.2"),
])
def test_a_gpu_the_cuda_at_hand_cannot_build_for_is_told_to_change_pytorch_not_to_rebuild(said, needed):
    comment = reply(said + "\n" + NO_KERNEL)
    assert needed in comment and "Install a PyTorch built with CUDA" in comment
    assert "TORCH_CUDA_ARCH_LIST" not in comment and "prebuilt one for your PyTorch" not in comment


def test_a_gpu_the_cuda_at_hand_no_longer_builds_for_is_told_an_older_cuda():
    comment = reply("Colab gave me a Tesla K80; torch 2.1.0+cu121, mmcv 2.1.0\n" + NO_KERNEL)
    assert "CUDA 12.1 no longer builds for your Tesla K80 (compute capability 3.7): CUDA 11.8 was the last" in comment
    assert "TORCH_CUDA_ARCH_LIST" not in comment


def test_two_gpus_named_in_words_are_a_comparison_not_the_reporters():
    comment = reply("Fine on the A100 server, fails on my RTX 3060 laptop.\n" + NO_KERNEL)
    assert "get_device_capability" in comment and "A100 (compute" not in comment


def test_steps_that_do_not_apply_are_left_out():
    pasted = reply(UNDEFINED + "sys.platform: linux\nPyTorch: 1.12.1+cu113\nMMCV: 1.7.1\n")
    assert "collect_env" not in pasted and "Please add your environment" not in pasted
    no_convws = reply("AssertionError: MMCV==2.2.0 is used but incompatible. Please install mmcv>=2.0.0rc4, <2.2.0.\n")
    assert "ConvWS" not in prose(no_convws).split("###", 1)[1].split("\n", 1)[1]


def test_the_environment_block_shows_only_what_was_used_and_nothing_internal():
    comment = reply(UNDEFINED + "PyTorch: 1.8.0\nPyTorch: 1.9.0+cu111\nOpenCV: 4.5.4\nMMCV: 1.7.1\n")
    assert "Contradictory" not in comment and "ignored" not in comment and "OpenCV" not in comment
    silent_env = reply("RuntimeError: Expected to have finished reduction in the prior iteration before starting "
                       "a new one.\nOpenCV: 4.5.4\n")
    assert "<details>" not in silent_env  # nothing concluded from it: left out


# --- 6. only facts that are whole -------------------------------------------------------------------------

def test_an_architecture_list_the_paste_cut_off_concludes_nothing():
    body = ("RuntimeError: CUDA error: no kernel image is available for execution on the device\n```\n"
            "GPU 0: NVIDIA GeForce RTX 3090\nPyTorch: 1.12.1+cu113\n"
            "  - NVCC architecture flags: -gencode;arch=compute_37,code=sm_37;-gencode;arch=compute_50,code=sm_50;-gen")
    verdict = triage(Issue("no kernel image", body, "open-mmlab/mmdetection"), RULES)
    assert [d.id for d in verdict.diagnoses] == [] and "architectures this PyTorch" not in verdict.comment


def test_a_pasted_dict_gives_the_same_exact_command():
    body = NO_OPS + ("{'sys.platform': 'linux', 'CUDA available': True, 'PyTorch': '1.13.1+cu117', "
                     "'MMCV': '2.0.1', 'MMCV Compiler': 'n/a', 'MMEngine': '0.8.4'}")
    assert f"pip install mmcv==2.0.1 -f {INDEX}/cu117/torch1.13/index.html" in reply(body)


# --- 7. quote exactly -----------------------------------------------------------------------------------------

def test_the_quote_is_the_line_as_written_not_the_titles_prose():
    body = "```\nTraceback (most recent call last):\nRuntimeError：CUDA error: invalid configuration argument\n```\n"
    comment = reply(body, title="Training crashes: CUDA error: invalid configuration argument")
    assert "```\nRuntimeError：CUDA error: invalid configuration argument\n```" in comment
    assert "(line 3)" in comment


def test_an_error_described_in_words_is_quoted_as_words_not_as_program_output():
    comment = reply("Running `python demo/image_demo.py` in a notebook after `import mmcv.ops` with mmdet 2.25.\n",
                    title="Jupyter kernel died on import mmcv.ops")
    assert "What you describe (in the title):\n\n> Jupyter kernel died on import mmcv.ops" in comment
    assert "The error in your report" not in comment and "```\nJupyter kernel" not in comment
    # a pasted error keeps its code block
    pasted = reply("```\nSegmentation fault (core dumped)\n```\nafter import mmcv.ops\n", title="Crash")
    assert "The error in your report (line 2):\n\n```\nSegmentation fault (core dumped)\n```" in pasted


def test_an_error_inside_a_long_line_of_prose_is_quoted_as_written():
    body = ("I compiled my own op exactly like the old version and it builds fine, but calling it in training "
            "fails with `RuntimeError: CUDA error: invalid device function` every time, any idea why?\n")
    comment = reply(body, title="custom op fails")
    assert "```\nRuntimeError: CUDA error: invalid device function\n```" in comment


def test_a_chinese_sentence_holding_the_error_is_quoted_from_the_error():
    # Sixty Chinese characters fill a line as 120 Latin ones do.
    body = "我按照文档装好了环境，在自己的笔记本电脑上运行官方给的图片推理示例脚本，第一步导入模块时就报错 ModuleNotFoundError: No module named 'mmcv._ext'\n"
    assert "```\nModuleNotFoundError: No module named 'mmcv._ext'\n```" in reply(body, title="推理报错")


def test_a_registry_error_in_a_sentence_is_quoted_to_the_end_of_its_first_sentence():
    body = ("When I run tools/train.py with the config of my own project I get KeyError: 'MyHead is not in the "
            "mmdet::model registry. Please check whether the value of `MyHead` is correct or it was registered "
            "as expected. What did I miss when installing?\n")
    assert "```\nKeyError: 'MyHead is not in the mmdet::model registry.'\n```" in reply(body, title="my head")
    # A pasted error line stays whole.
    pasted = ("KeyError: 'MyHead is not in the mmdet::model registry. Please check whether the value of `MyHead` "
              "is correct or it was registered as expected.'")
    assert f"```\n{pasted}\n```" in reply("```\n" + pasted + "\n```\n", title="my head")


def test_the_reporters_own_quotation_marks_around_a_paste_are_not_quoted():
    body = "The demo fails on Windows:\n“    return _bootstrap._gcd_import(name[level:], package, level)\nImportError: DLL load failed while importing _ext: 找不到指定的模块。”\n"
    assert "```\nImportError: DLL load failed while importing _ext: 找不到指定的模块。\n```" in reply(body, title="demo")


def test_a_chinese_step_has_no_space_after_a_value_closed_by_a_full_width_bracket():
    body = ("在 3090 上训练时报错，请问怎么解决？\n```\nRuntimeError: CUDA error: invalid device function\n```\n"
            "sys.platform: linux\nGPU 0: NVIDIA GeForce RTX 3090\nPyTorch: 1.10.0+cu113\nMMCV: 1.6.0\n")
    comment = reply(body, title="训练报错")
    assert "针对您的 NVIDIA GeForce RTX 3090（计算能力 8.6）重新编译 MMCV" in comment
    # nor between Chinese words the template and a Chinese value put side by side
    other = reply("训练时报错，怎么办？\nImportError: /opt/py/mmcv/_ext.cpython-310-x86_64-linux-gnu.so: undefined "
                  "symbol: _ZN3c104cuda29c10_cuda_check_implementationEiPKcS2_ib\nPyTorch: 2.2.1+cu121\n"
                  "MMDetection: 3.3.0\n", title="训练报错")
    assert "再安装 PyTorch 2.1" in other and "再 安装" not in other


def test_an_error_in_a_sentences_code_span_is_quoted_from_the_span():
    body = "Running the demo gives `ModuleNotFoundError: No module named 'mmcv._ext'` (from `ext_loader.py`). Why?\n"
    assert "```\nModuleNotFoundError: No module named 'mmcv._ext'\n```" in reply(body, title="demo fails")
    build = ("Building on Windows stops at `torch/include\\torch/csrc/jit/api/module.h(483): error: a member with an "
             "in-class initializer must be const` with PyTorch 1.6.0.\n")
    assert "```\nerror: a member with an in-class initializer must be const\n```" in reply(build, title="build")
    # A name the message quotes in its own marks does not cut it into spans.
    mmengine = ("I get `KeyError: 'MyHead is not in the mmdet::model registry. Please check whether the value of "
                "`MyHead` is correct or it was registered as expected.'` when training\n")
    assert "the value of\n```" not in reply(mmengine, title="my head")


def test_a_check_the_environment_already_settles_is_not_a_step():
    crash = "Training stops at once:\nSegmentation fault (core dumped)\n"
    unknown = reply(crash, title="crash")
    assert "Use GCC 5.4 or newer" in unknown and "torch.cuda.is_available()" in unknown
    known = reply(crash + "sys.platform: linux\nCUDA available: True\nGCC: gcc (Ubuntu 9.4.0-1ubuntu1~20.04) 9.4.0\n"
                  "PyTorch: 1.12.1+cu113\nMMCV: 1.7.1\nMMCV Compiler: GCC 9.3\n", title="crash")
    assert "Use GCC 5.4 or newer" not in known and "torch.cuda.is_available()" not in known
    assert "1. Check MMCV" in known and "If nothing above explains it" in known


def test_a_quoted_name_is_closed_where_a_long_line_is_cut():
    body = ("ImportError: cannot import name 'Config' from 'mmcv' "
            "(/home/jp/miniconda3/envs/mmdet2/lib/python3.8/site-packages/mmcv/__init__.py)\n"
            "mmcv 2.0.1, mmdet 2.28.2\n")
    assert "```\nImportError: cannot import name 'Config' from 'mmcv'\n```" in reply(body)


@pytest.mark.parametrize("line, quoted", [
    ('D:/envs/mm/lib/site-packages/torch/include\\torch/csrc/jit/api/module.h(474): error: member '
     '"torch::jit::detail::ModulePolicy::all_slots" may not be initialized',
     'error: member "torch::jit::detail::ModulePolicy::all_slots" may not be initialized'),
    ("C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v9.2\\include\\crt/host_config.h(133): fatal error "
     "C1189: #error:  -- unsupported Microsoft Visual Studio version! Only the versions 2012, 2013, 2015 and 2017 "
     "are supported!",
     "fatal error C1189: #error:  -- unsupported Microsoft Visual Studio version! Only the versions 2012, 2013, "
     "2015 and 2017 are supported!"),
])
def test_a_compiler_error_in_a_long_line_is_quoted_from_its_error_not_mid_word(line, quoted):
    assert f"```\n{quoted}\n```" in reply("Building mmcv-full on Windows:\n" + line + "\n", title="build fails")


def test_a_symbol_in_the_title_and_in_the_body_is_explained_once_with_its_library():
    symbol = "_ZNK3c1010TensorImpl36is_contiguous_nondefault_policy_implENS_12MemoryFormatE"
    body = (f"ImportError: /opt/conda/lib/python3.8/site-packages/mmcv/_ext.cpython-38-x86_64-linux-gnu.so: "
            f"undefined symbol: {symbol}\n")
    both = reply(body, title=f"undefined symbol: {symbol}")
    assert both.count("The missing symbol") == 1 and "the one `` was" not in both
    assert "not the one `_ext.cpython-38-x86_64-linux-gnu.so` was built with" in both
    title_only = reply("import mmcv.ops fails after upgrading torch\n", title=f"undefined symbol: {symbol}")
    assert "not the one MMCV's compiled ops were built with" in title_only and "the one `` was" not in title_only


def test_mmdetections_own_ops_missing_a_symbol_are_rebuilt_in_its_folder_not_replaced_by_mmcv():
    body = ("ImportError: /home/u/mmdetection/mmdet/ops/dcn/deform_conv_cuda.cpython-37m-x86_64-linux-gnu.so: "
            "undefined symbol: _ZN6caffe26detail37_typeMetaDataInstance_preallocated_32E\n")
    comment = reply(body, title="undefined symbol after upgrading PyTorch")
    assert "MMDetection's compiled ops do not fit" in comment and "python setup.py develop" in comment
    assert "Reinstall MMCV" not in comment and "mim install" not in comment
    assert "two MMCV packages" not in comment  # MMCV's packages are not what failed


def test_windows_dll_errors_are_told_to_rebuild_with_msvc_not_gcc():
    windows = reply("ImportError: DLL load failed while importing _ext: The specified module could not be found.\n")
    assert "Visual Studio (MSVC)" in windows and "GCC" not in windows
    linux = reply("ImportError: /x/site-packages/mmcv/_ext.cpython-38-x86_64-linux-gnu.so: undefined symbol: "
                  "_ZN2at4_ops5zeros4callEv\n")
    assert "with the GCC and CUDA that PyTorch uses" in linux and "MSVC" not in linux


def test_a_range_from_the_table_and_the_incompatibility_found_in_the_list_are_said_once():
    body = ("  File \"tools/train.py\", line 10, in <module>\n    from mmcv import Config, DictAction\n"
            "ImportError: cannot import name 'Config' from 'mmcv' (/x/site-packages/mmcv/__init__.py)\n"
            "```\n$ pip list | grep mm\nmmcv                   2.0.1\nmmdet                  2.28.2\n```\n")
    comment = reply(body)
    assert comment.count("MMDetection 2.28.2 accepts `mmcv-full>=1.3.17,<=1.8.0`") == 1
    assert "To keep MMCV 2.0.1, use MMDetection 3.0.0 or later" in comment


# --- 8. language ------------------------------------------------------------------------------------------------

def test_a_chinese_title_over_an_english_traceback_gets_a_chinese_reply():
    verdict = triage(Issue("安装后导入 mmdet 报错", ASSERT_22, "open-mmlab/mmdetection"), RULES)
    assert verdict.language == "zh" and "解决方法" in verdict.comment and "What to do" not in verdict.comment


# --- 9. one screen ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    ASSERT_22 + "PyTorch: 2.4.0+cu121\n",
    "RuntimeError: CUDA error: no kernel image is available for execution on the device\n",
    UNDEFINED + "PyTorch: 2.0.1+cu117\nMMCV: 1.7.1\nMMCV CUDA Compiler: 11.7\n",
    "RuntimeError: nms is not compiled with GPU support\nPyTorch: 1.13.1\n  - CUDA Runtime 11.4\n",
])
def test_a_single_entry_reply_fits_on_one_screen(body):
    assert len(outside_details(reply(body))) <= 1500


def test_every_placeholder_is_filled_for_every_shipped_rule():
    for rule in RULES.rules:
        example = rule.examples_match[0]
        comment = triage(Issue("", example), RULES).comment or ""
        assert "{{" not in comment, rule.id
    assert set(PLACEHOLDERS) >= {"install_mmcv", "collect_env"}


def test_a_long_error_line_is_quoted_whole_to_its_end():
    line = ("ImportError: /home/someone/miniconda3/envs/det/lib/python3.8/site-packages/mmcv/"
            "_ext.cpython-38-x86_64-linux-gnu.so: undefined symbol: _ZNK2at10TensorBase8data_ptrIfEEPT_v")
    comment = reply("```\n" + line + "\n```\nPyTorch: 1.12.1+cu113\nMMCV: 1.7.1\n")
    assert f"```\n{line}\n```" in comment


def test_the_environment_block_follows_collect_envs_order():
    comment = reply(UNDEFINED + "sys.platform: linux\nPyTorch: 1.12.1+cu113\nMMCV: 1.7.1\nMMCV CUDA Compiler: 10.2\n")
    block = re.search(r"<details>.*?</details>", comment, re.S).group(0)
    labels = [line.split(":")[0] for line in block.splitlines() if ": " in line]
    assert labels == ["sys.platform", "PyTorch", "PyTorch CUDA", "MMCV", "MMCV CUDA Compiler"]


NMS = "RuntimeError: nms is not compiled with GPU support\n"
ASK = "Please add your environment"


def test_versions_in_prose_that_leave_the_checks_open_still_get_the_ask():
    # Whether PyTorch sees the GPU and whether MMCV was built with CUDA: neither version says it.
    comment = reply(NMS + "PyTorch 1.13.1, mmcv-full 1.7.1, CUDA 11.7\n")
    assert ASK in comment and "whether PyTorch sees your GPU" in comment


def test_versions_in_prose_that_answer_every_check_get_no_ask():
    # The package named tells whether the ops were compiled: mmcv-full has them.
    assert ASK not in reply(NO_OPS + "My mmcv-full version is 1.7.1, torch 1.12.1.\n")


def test_a_pasted_collect_env_is_never_asked_for_again_even_with_a_fact_missing():
    # A collect_env without a "GPU 0" line (a driver that does not list it) leaves the architecture
    # check open; the reporter pasted what they could.
    body = ("RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
            "sys.platform: linux\nCUDA available: True\nPyTorch: 1.12.1+cu113\nMMCV: 1.7.1\n"
            "MMCV Compiler: GCC 9.3\nMMCV CUDA Compiler: 11.3\n")
    assert ASK not in reply(body, title="no kernel image")


def test_pip_list_is_asked_for_until_a_listing_is_pasted():
    named = reply(UNDEFINED + "PyTorch 1.12.1, mmcv-full 1.7.1\n")
    listed = reply(UNDEFINED + "```\nPackage    Version\n---------- -------\nmmcv-full  1.7.1\ntorch      1.12.1\n```\n")
    assert "`pip list`" in named and ASK in named
    assert ASK not in listed


def test_a_version_clash_asks_for_pip_list_as_collect_env_would_stop_at_the_same_error():
    # collect_env imports MMDetection, whose __init__.py asserts the MMCV range: out of range it
    # fails as the reporter's code did. pip's list names both versions without importing either.
    described = reply("mmcv 1.7.2 and mmdet 3.x are always incompatible, which version should I use?\n")
    assert "`pip list`" in described and "collect_env" not in described
    listed = reply("mmcv 1.7.2 and mmdet 3.x are always incompatible\n```\nPackage    Version\n"
                   "---------- -------\nmmcv-full  1.7.2\nmmdet      3.1.0\n```\n")
    assert ASK not in listed and "1.7.2" in listed


def test_asks_environment_is_true_exactly_when_the_reply_asks_for_it():
    asked = triage(Issue("Import fails", NO_OPS, "open-mmlab/mmdetection"), RULES)
    pasted = triage(Issue("Import fails", NO_OPS + "sys.platform: linux\nPyTorch: 1.12.1+cu113\nMMCV: 1.7.1\n",
                          "open-mmlab/mmdetection"), RULES)
    no_diagnoses = triage(Issue("DDP", "RuntimeError: Expected to have finished reduction in the prior iteration "
                                       "before starting a new one.", "open-mmlab/mmdetection"), RULES)
    assert asked.asks_environment and "Please add your environment" in asked.comment
    assert not pasted.asks_environment and "Please add your environment" not in pasted.comment
    assert not no_diagnoses.asks_environment and "Please add your environment" not in no_diagnoses.comment
    assert asked.to_json()["asks_environment"] is True


def test_the_ask_names_only_the_checks_the_issue_leaves_open():
    symbol = ("ImportError: /opt/conda/lib/python3.8/site-packages/mmcv/_ext.cpython-38-x86_64-linux-gnu.so: "
              "undefined symbol: _ZN2at6detail10empty_cudaEN3c108ArrayRefIlEENS1_10ScalarTypeE\n")
    unknown = reply(symbol)
    assert re.search(r"I will then check which MMCV build fits your PyTorch and its CUDA and whether two MMCV "
                     r"packages are installed side by side\.", unknown)
    # PyTorch with its CUDA and MMCV named: the reply gives the exact wheel, and does not promise to find it
    known = reply(symbol + "My env is torch==1.13.1+cu117, mmcv==1.7.1\n")
    assert "https://download.openmmlab.com/mmcv/dist/cu117/torch1.13/index.html" in known
    assert re.search(r"I will then check whether two MMCV packages are installed side by side\.", known)
    assert "which MMCV build fits" not in known
    chinese = reply("安装后导入 mmcv.ops 就报错：\n" + symbol + "我的环境是 torch==1.13.1+cu117，mmcv==1.7.1\n",
                    title="导入报错")
    assert "我会再检查是否同时安装了两个 MMCV 包。" in chinese and "哪个 MMCV 版本" not in chinese


def test_the_printed_error_is_quoted_over_the_title_that_retells_it():
    body = ("I followed the tutorial on custom models and added custom_imports.\n"
            "```\nKeyError: 'SparseRCNNPlus is not in the models registry'\n```\n")
    comment = reply(body, title="my own model: model is not in the module registry")
    assert "```\nKeyError: 'SparseRCNNPlus is not in the models registry'\n```" in comment
    assert "`type='SparseRCNNPlus'`" in comment and "type='model'" not in comment


@pytest.mark.parametrize("error, repo, decorator, init", [
    ("KeyError: 'FloodDataset is not in the dataset registry'", "open-mmlab/mmsegmentation",
     "`@DATASETS.register_module()`", "`mmseg/datasets/__init__.py`"),
    ("KeyError: 'RandomSkyCrop is not in the mmdet::transform registry. Please check whether the value of "
     "`RandomSkyCrop` is correct or it was registered as expected.'", "open-mmlab/mmdetection",
     "`@TRANSFORMS.register_module()`", "`mmdet/datasets/transforms/__init__.py`"),
    ("KeyError: 'TinyFPN is not in the neck registry'", "open-mmlab/mmdetection",
     "`@NECKS.register_module()`", "`mmdet/models/necks/__init__.py`"),
    ("KeyError: 'GlassHead is not in the models registry'", "open-mmlab/mmdetection",
     "`@MODELS.register_module()`)", "`mmdet/models/<part>/__init__.py`"),
])
def test_a_registry_miss_is_told_the_decorator_and_init_of_the_registry_it_names(error, repo, decorator, init):
    comment = reply(error + "\n", title="KeyError when training", repo=repo)
    assert f"with {decorator}" in comment and f"add it to {init}" in comment


def test_a_registry_the_table_does_not_know_keeps_the_hedged_models_example():
    comment = reply("KeyError: 'CloudRunner is not in the runner registry'\n", title="KeyError when training")
    assert "with `@MODELS.register_module()` or the like" in comment


def test_the_release_series_named_for_each_mmcv_are_the_reporters_projects():
    error = ("RuntimeError: Expected to have finished reduction in the prior iteration before starting a new one. "
             "This error indicates that your module has parameters that were not used in producing loss.\n")
    pose = reply(error, title="DDP training fails", repo="open-mmlab/mmpose")
    assert "with MMCV 1.x (MMPose before 1.0.0)" in pose and "with MMEngine (MMPose 1.0.0 and later)" in pose
    assert "MMDetection" not in prose(pose)
    research = reply(error + "mmcv\n", title="DDP training fails", repo="someone/lane-detection")
    assert "with MMCV 1.x, or" in research and "with MMEngine;" in research


def test_a_class_missed_in_mmengines_root_registry_is_told_to_set_the_default_scope_first():
    # With no default_scope, MMEngine looks in its root registry; PanopticFPNHead is MMDetection's.
    error = ("KeyError: 'PanopticFPNHead is not in the mmengine::model registry. Please check whether the value of "
             "`PanopticFPNHead` is correct or it was registered as expected.'\n")
    comment = reply(error, title="KeyError when building the model", repo="open-mmlab/mmengine")
    assert "1. The error looked in MMEngine's root registry (`mmengine::`) instead of `mmdet`'s: " \
           "set `default_scope = 'mmdet'` in your config." in comment
    assert "default_scope = 'mmengine'" not in comment
    # A scope that is a package's own keeps its step: register the class there.
    own = reply(error.replace("mmengine::", "mmseg::"), title="KeyError", repo="open-mmlab/mmsegmentation")
    assert "Register it in the `mmseg` scope the error names" in own and "root registry" not in own


def test_a_registry_miss_whose_traceback_runs_through_the_installed_package_is_told_so():
    trace = ('  File "{root}/mmdet/datasets/builder.py", line 71, in build_dataset\n'
             "    dataset = build_from_cfg(cfg, DATASETS, default_args)\n"
             "KeyError: 'HarbourDataset is not in the dataset registry'\n")
    installed = reply(trace.format(root="/home/u/miniconda3/envs/mm/lib/python3.8/site-packages"),
                      title="I added harbour.py to mmdet/datasets")
    assert "Your traceback runs through the installed `mmdet` (in `site-packages`)" in installed
    checkout = reply(trace.format(root="/home/u/mmdetection"), title="I added harbour.py to mmdet/datasets")
    assert "site-packages" not in checkout


def test_nms_without_gpu_in_mmdetections_own_ops_is_rebuilt_there_not_by_reinstalling_mmcv():
    own = reply("RuntimeError: nms is not compiled with GPU support (nms at mmdet/ops/nms/src/nms_ext.cpp:23)\n",
                title="nms fails")
    assert own.count("MMDetection was compiled without its CUDA ops") == 1 and "python setup.py develop" in own
    assert "prebuilt MMCV" not in own and "MMCV's `build/`" not in own
    mmcv = reply(NMS, title="nms fails")
    assert "MMCV was compiled without its CUDA ops" in mmcv and "prebuilt MMCV" in mmcv and "setup.py develop" not in mmcv


def test_a_windows_build_error_with_the_pytorch_named_is_not_asked_for_platform_and_pytorch():
    error = ("C:/Users/me/anaconda3/envs/mm/lib/site-packages/torch/include\\torch/csrc/jit/api/module.h(483): "
             "error: a member with an in-class initializer must be const\n")
    assert ASK not in reply("Windows 10, torch 1.6.0, building mmcv-full:\n" + error, repo="open-mmlab/mmcv")
    assert "your platform and PyTorch version" in reply(error, repo="open-mmlab/mmcv")


@pytest.mark.parametrize("registry", ["loss", "losses"])
def test_a_registry_named_in_the_singular_or_the_plural_is_the_same_registry(registry):
    comment = reply(f"KeyError: 'SoftFocalLoss is not in the {registry} registry'\n", title="KeyError")
    assert "with `@LOSSES.register_module()`" in comment and "add it to `mmdet/models/losses/__init__.py`" in comment


@pytest.mark.parametrize("refusal, said", [
    ("Only the versions between 2017 and 2022 (inclusive) are supported! The nvcc flag '-allow-unsupported-compiler' "
     "can be used to override this version check", "only the versions `between 2017 and 2022 (inclusive)`"),
    ("Only the versions 2012, 2013, 2015 and 2017 are supported!", "only the versions `2012, 2013, 2015 and 2017`"),
])
def test_the_visual_studio_versions_are_the_ones_their_cuda_names(refusal, said):
    comment = reply("sys.platform: win32\n```\nC:\\CUDA\\include\\crt/host_config.h(153): fatal error C1189: #error:  "
                    f"-- unsupported Microsoft Visual Studio version! {refusal}\n```\n", repo="open-mmlab/mmcv")
    assert said in comment and "for CUDA 9.2, a lower version" not in comment
    cut = reply("sys.platform: win32\nfatal error C1189: #error: -- unsupported Microsoft Visual Studio version!\n",
                repo="open-mmlab/mmcv")
    assert "for CUDA 9.2, a lower version such as VS 2017" in cut  # cut before the versions: the FAQ's words


def test_a_pytorch_older_than_mmdetection_3_needs_is_told_mmcv_full_and_to_reinstall_its_own_pytorch():
    comment = reply("sys.platform: linux\nGPU 0,1: Tesla V100-PCIE-32GB\nNVCC: Cuda compilation tools, release 10.0, "
                    "V10.0.130\nPyTorch: 1.6.0\n  - CUDA Runtime 10.0\n" + NO_KERNEL, title="no kernel image")
    # MMDetection 3.x needs PyTorch 1.8: on 1.6 it is 2.x, for MMCV 1.x
    assert "`pip install mmcv-full` with `TORCH_CUDA_ARCH_LIST=\"7.0\"`" in comment and "mmcv==2" not in comment
    # no mmcv-full wheel for PyTorch 1.6 with CUDA 10.0: the same PyTorch, built with CUDA 10.1
    assert "reinstall PyTorch 1.6 built with CUDA 10.1" in comment
    # on another project, whose releases for MMCV 2.x the table does not bound, both packages are told
    other = reply("PyTorch: 1.6.0\n  - CUDA Runtime 10.0\nGPU 0: Tesla V100-PCIE-32GB\n" + NO_KERNEL,
                  title="no kernel image", repo="open-mmlab/mmpose")
    assert "mmcv-full` (1.x)" in other
