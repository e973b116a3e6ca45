"""Reading collect_env output, pip/conda lists and hand-written versions into an Environment."""

import json
import time

import pytest

from bot.environment import Environment, Gpu, parse_environment
from bot.text import ascii_lower
from bot.version import parse_version

V = parse_version

TORCH_DETAILS_CUDA = """\
PyTorch compiling details: PyTorch built with:
  - GCC 7.3
  - C++ Version: 201402
  - OpenMP 201511 (a.k.a. OpenMP 4.5)
  - CUDA Runtime 11.1
  - NVCC architecture flags: -gencode;arch=compute_37,code=sm_37;-gencode;arch=compute_61,code=sm_61;-gencode;arch=compute_86,code=sm_86;-gencode;arch=compute_37,code=compute_37
  - CuDNN 8.0.5  (built against CUDA 11.2)
  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, CUDA_VERSION=11.1, CUDNN_VERSION=8.0.5, CXX_FLAGS= -O2 -fPIC, TORCH_VERSION=1.9.0, USE_CUDA=ON, USE_CUDNN=ON, USE_ROCM=OFF, 
"""

LINUX_MMCV1 = f"""\
sys.platform: linux
Python: 3.7.11 (default, Jul 27 2021, 14:32:16) [GCC 7.5.0]
CUDA available: True
GPU 0,1: NVIDIA GeForce RTX 3080
GPU 2: Tesla T4
CUDA_HOME: /usr/local/cuda-11.1
NVCC: Build cuda_11.1.TC455_06.29190527_0
GCC: gcc (Ubuntu 8.4.0-1ubuntu1~18.04) 8.4.0
PyTorch: 1.9.0+cu111
{TORCH_DETAILS_CUDA}
TorchVision: 0.10.0+cu111
OpenCV: 4.5.3-dev
MMCV: 1.3.17
MMCV Compiler: GCC 7.3
MMCV CUDA Compiler: 11.1
MMDetection: 2.20.0+a1b2c3d
"""

WINDOWS_MMENGINE = """\
sys.platform: win32
Python: 3.10.9 | packaged by Anaconda, Inc. | (main, Mar  1 2023, 18:18:15) [MSC v.1916 64 bit (AMD64)]
CUDA available: True
MUSA available: False
numpy_random_seed: 2147483648
GPU 0: NVIDIA GeForce RTX 4070
CUDA_HOME: C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.8
NVCC: Cuda compilation tools, release 11.8, V11.8.89
MSVC: Microsoft (R) C/C++ Optimizing Compiler Version 19.36.32537 for x64
GCC: n/a
PyTorch: 2.0.1
PyTorch compiling details: PyTorch built with:
  - C++ Version: 199711
  - MSVC 193431937
  - CUDA Runtime 11.8
  - NVCC architecture flags: -gencode;arch=compute_61,code=sm_61;-gencode;arch=compute_89,code=sm_89;-gencode;arch=compute_90,code=compute_90
  - CuDNN 8.7
  - Build settings: BLAS_INFO=mkl, CUDA_VERSION=11.8, CUDNN_VERSION=8.7.0, USE_CUDA=ON, USE_ROCM=OFF, 

TorchVision: 0.15.2
OpenCV: 4.8.0
MMEngine: 0.8.4
MMDetection: 3.1.0+unknown
"""

CPU_ONLY = """\
sys.platform: linux
Python: 3.9.16 (main, Jan 11 2023, 16:05:54) [GCC 11.2.0]
CUDA available: False
GCC: gcc (GCC) 11.3.1 20221121 (Red Hat 11.3.1-4)
PyTorch: 1.12.1
PyTorch compiling details: PyTorch built with:
  - GCC 9.3
  - CPU capability usage: AVX2
  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, TORCH_VERSION=1.12.1, USE_CUDA=OFF, USE_CUDNN=OFF, USE_ROCM=OFF, 

TorchVision: 0.13.1
OpenCV: 4.6.0
MMCV: 1.6.2
MMCV Compiler: GCC 11.3
MMCV CUDA Compiler: not available
MMDetection: 2.26.0+unknown
"""

RUNNER_LOG = """\
2023/06/02 09:41:07 - mmengine - INFO - 
------------------------------------------------------------
System environment:
    sys.platform: linux
    Python: 3.8.17 (default, Jul  5 2023, 21:04:15) [GCC 11.2.0]
    CUDA available: True
    numpy_random_seed: 1289374
    GPU 0,1,2,3: NVIDIA A100-SXM4-80GB
    CUDA_HOME: /usr/local/cuda
    NVCC: Cuda compilation tools, release 11.7, V11.7.99
    GCC: gcc (Ubuntu 9.4.0-1ubuntu1~20.04.1) 9.4.0
    PyTorch: 1.13.1+cu117
    PyTorch compiling details: PyTorch built with:
  - GCC 9.3
  - CUDA Runtime 11.7
  - NVCC architecture flags: -gencode;arch=compute_80,code=sm_80;-gencode;arch=compute_86,code=sm_86
  - CuDNN 8.5
  - Build settings: CUDA_VERSION=11.7, CUDNN_VERSION=8.5.0, USE_CUDA=ON, 

    TorchVision: 0.14.1+cu117
    OpenCV: 4.8.0
    MMEngine: 0.8.2

Runtime environment:
    cudnn_benchmark: False
    dist_cfg: {'backend': 'nccl'}
    seed: 1289374
    Distributed launcher: none
    Distributed training: False
    GPU number: 4
------------------------------------------------------------
"""

MMDET2_TRAIN_LOG = """\
2021-03-04 10:22:41,573 - mmdet - INFO - Environment info:
------------------------------------------------------------
sys.platform: linux
Python: 3.7.9 (default, Aug 31 2020, 12:42:55) [GCC 7.3.0]
CUDA available: True
GPU 0: GeForce GTX 1080 Ti
CUDA_HOME: /usr/local/cuda
NVCC: Cuda compilation tools, release 10.1, V10.1.243
GCC: gcc (Ubuntu 7.5.0-3ubuntu1~18.04) 7.5.0
PyTorch: 1.6.0
TorchVision: 0.7.0
OpenCV: 4.5.1
MMCV: 1.2.7
MMCV Compiler: GCC 7.3
MMCV CUDA Compiler: 10.1
MMDetection: 2.10.0+8f6b6a5
------------------------------------------------------------

2021-03-04 10:22:42,017 - mmdet - INFO - Distributed training: False
"""


def test_linux_mmcv1_report_gives_every_field():
    env = parse_environment(LINUX_MMCV1)
    assert env.platform == "linux"
    assert env.python == V("3.7.11")
    assert env.cuda_available is True
    assert env.gpus == (Gpu((0, 1), "NVIDIA GeForce RTX 3080"), Gpu((2,), "Tesla T4"))
    assert env.cuda_home == "/usr/local/cuda-11.1"
    assert env.nvcc == V("11.1") and env.gcc == V("8.4.0")
    assert env.pytorch == V("1.9.0+cu111") and env.pytorch_cuda == V("11.1")
    assert env.pytorch_cuda_build is True
    assert env.pytorch_archs == ("sm_37", "sm_61", "sm_86", "compute_37")
    assert env.cudnn == V("8.0.5")
    assert env.torchvision == V("0.10.0+cu111") and env.opencv == V("4.5.3")
    assert env.mmcv == V("1.3.17") and env.mmcv_package is None
    assert (env.mmcv_compiler, env.mmcv_cuda_compiler) == ("GCC 7.3", "11.1")
    assert str(env.mmdet) == "2.20.0+a1b2c3d" and env.mmengine is None  # collect_env adds the git hash
    assert env.conflicts == frozenset()


def test_windows_report_reads_msvc_and_cuda_runtime_without_wheel_suffix():
    env = parse_environment(WINDOWS_MMENGINE)
    assert env.platform == "win32"
    assert env.python == V("3.10.9")
    assert env.cuda_home == "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.8"
    assert env.msvc.startswith("Microsoft (R) C/C++ Optimizing Compiler Version 19.36")
    assert env.gcc is None
    assert env.pytorch == V("2.0.1") and env.pytorch_cuda == V("11.8")
    assert env.pytorch_archs == ("sm_61", "sm_89", "compute_90")
    assert env.nvcc == V("11.8.89")
    assert env.mmengine == V("0.8.4") and str(env.mmdet) == "3.1.0+unknown"
    assert env.mmcv is None


def test_cpu_only_report_is_a_cpu_build_without_gpus():
    env = parse_environment(CPU_ONLY)
    assert env.cuda_available is False
    assert env.gpus == () and env.nvcc is None and env.cuda_home is None
    assert env.pytorch_cuda is None and env.pytorch_cuda_build is False
    assert env.gcc == V("11.3.1")
    assert env.mmcv_cuda_compiler == "not available"


def test_mmengine_runner_log_is_read_through_prefix_and_indent():
    env = parse_environment(RUNNER_LOG)
    assert env.platform == "linux"
    assert env.gpus == (Gpu((0, 1, 2, 3), "NVIDIA A100-SXM4-80GB"),)  # "GPU number: 4" is not a GPU
    assert env.pytorch_cuda == V("11.7") and env.cudnn == V("8.5.0")
    assert env.pytorch_archs == ("sm_80", "sm_86")
    assert env.torchvision == V("0.14.1+cu117") and env.mmengine == V("0.8.2")


def test_mmdet2_train_log_is_read():
    env = parse_environment(MMDET2_TRAIN_LOG)
    assert env.gpus == (Gpu((0,), "GeForce GTX 1080 Ti"),)
    assert env.pytorch == V("1.6.0") and env.mmcv == V("1.2.7") and env.mmdet.same_release(V("2.10.0"))
    assert env.pytorch_cuda is None  # no suffix, no compiling details: not guessed from NVCC


def test_paste_inside_markdown_fence_and_quote():
    body = "I get this:\n\n```shell\n" + MMDET2_TRAIN_LOG + "```\n\n> MMCV: 1.2.7\n"
    assert parse_environment(body).mmcv == V("1.2.7")


@pytest.mark.parametrize("value, expected", [
    ("Build cuda_11.1.TC455_06.29190527_0", "11.1"),
    ("Build cuda_11.3.r11.3/compiler.29920130_0", "11.3"),
    ("Build cuda_11.0_bu.TC445_37.28845127_0", "11.0"),
    ("Cuda compilation tools, release 10.2, V10.2.89", "10.2.89"),
    ("Not Available", None),
    ("HIP version: 5.4.22803-474e8620", None),
    ("Build", None),
])
def test_nvcc_forms(value, expected):
    assert parse_environment(f"NVCC: {value}").nvcc == V(expected)


@pytest.mark.parametrize("value, expected", [
    ("gcc (Ubuntu 9.4.0-1ubuntu1~20.04.1) 9.4.0", "9.4.0"),
    ("gcc (GCC) 12.1.1 20220507 (Red Hat 12.1.1-1)", "12.1.1"),
    ("x86_64-linux-gnu-gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0", "11.4.0"),
    ("gcc (Ubuntu 5.5.0-12ubuntu1) 5.5.0 20171010", "5.5.0"),
    ("gcc-9 (Ubuntu 9.4.0-1ubuntu1~20.04) 9.4.0", "9.4.0"),
    ("n/a", None),
    ("Apple clang version 14.0.3 (clang-1403.0.22.14.1)", None),
    ("7.5", "7.5"),
])
def test_gcc_forms(value, expected):
    assert parse_environment(f"GCC: {value}").gcc == V(expected)


@pytest.mark.parametrize("torch, cuda, build", [
    ("1.12.1+cu113", "11.3", True),
    ("1.5.1+cu92", "9.2", True),
    ("1.7.1+cu110", "11.0", True),
    ("2.0.1+cpu", None, False),
    ("2.0.1+rocm5.4.2", None, None),
    ("1.13.1", None, None),
])
def test_pytorch_wheel_suffix_tells_its_cuda(torch, cuda, build):
    env = parse_environment(f"PyTorch: {torch}")
    assert (env.pytorch_cuda, env.pytorch_cuda_build) == (V(cuda), build)


def test_rocm_build_settings_are_not_a_cpu_build():
    env = parse_environment("  - Build settings: USE_CUDA=OFF, USE_ROCM=ON, ")
    assert env.pytorch_cuda_build is None


def test_value_is_split_on_first_colon_space_only():
    env = parse_environment("Python: 3.8.16 | packaged by conda-forge | (default: x) [GCC 11.3.0]")
    assert env.python == V("3.8.16")


def test_html_escaped_and_full_width_colon_lines():
    env = parse_environment("&gt; MMCV: 1.7.1\nPyTorch：1.13.1\nMMDetection ： 2.28.2")
    assert (env.mmcv, env.pytorch, env.mmdet) == (V("1.7.1"), V("1.13.1"), V("2.28.2"))


def test_stray_warning_and_git_lines_are_ignored():
    body = (
        "fatal: not a git repository (or any of the parent directories): .git\n"
        "UserWarning: On January 1, 2023, MMCV will release v2.0.0, in which it will remove...\n"
        "PyTorch: 1.11.0\n"
    )
    env = parse_environment(body)
    assert env.pytorch == V("1.11.0") and env.mmcv is None


def test_pytorch_config_items_are_read_without_the_header():
    body = "  - GCC 9.3\n  - CUDA Runtime 10.2\n  - CuDNN 7.6.5\n"
    env = parse_environment(body)
    assert env.pytorch_cuda == V("10.2") and env.cudnn == V("7.6.5")
    assert env.gcc is None  # PyTorch's own compiler, not the reporter's GCC


def test_pip_list_rows_name_the_mmcv_distribution():
    body = "Package    Version\n---------- -------\nmmcv-full  1.7.1\ntorch      1.12.1+cu113\nmmdet      2.28.2   /home/u/mmdetection\n"
    env = parse_environment(body)
    assert env.mmcv == V("1.7.1") and env.mmcv_package == "mmcv-full"
    assert env.pytorch == V("1.12.1+cu113") and env.pytorch_cuda == V("11.3")
    assert env.mmdet == V("2.28.2")


def test_pip_list_lite_mmcv_row():
    env = parse_environment("mmcv                   1.7.0\nmmdet                  2.25.0\n")
    assert env.mmcv_package == "mmcv"


def test_hand_written_plain_mmcv_does_not_name_the_distribution():
    env = parse_environment("mmcv 1.4.6\nmmcv version: 1.4.6")
    assert env.mmcv == V("1.4.6") and env.mmcv_package is None


def test_pip_freeze_and_conda_list():
    body = (
        "mmcv-full==1.6.0\n"
        "pytorch                   1.12.1          py3.8_cuda11.3_cudnn8.3.2_0    pytorch\n"
        "cudatoolkit               11.3.1               h2bc3f7f_2\n"
    )
    env = parse_environment(body)
    assert env.mmcv == V("1.6.0") and env.mmcv_package == "mmcv-full"
    assert env.pytorch == V("1.12.1") and env.pytorch_cuda == V("11.3")
    assert env.pytorch_cuda_build is True and env.cudatoolkit == V("11.3.1")


def test_conda_cpu_pytorch_build():
    env = parse_environment("pytorch                   1.13.1              py3.9_cpu_0    pytorch")
    assert env.pytorch_cuda_build is False


@pytest.mark.parametrize("line, name, expected", [
    ("mmcv==2.1.0", "mmcv", "2.1.0"),
    ("torch 2.0.1", "pytorch", "2.0.1"),
    ("pytorch: 1.8", "pytorch", "1.8"),
    ("mmdet version 2.25.0", "mmdet", "2.25.0"),
    ("- mmcv version :1.4.6", "mmcv", "1.4.6"),
    ("CUDA 11.3", "cuda_stated", "11.3"),
    ("我的环境是torch==1.9.0+cu102，mmcv==2.1.0，mmdet==3.3.0", "mmdet", "3.3.0"),
    ("- mmdet 2.22.0, mmcv 1.4.6", "mmcv", "1.4.6"),
])
def test_hand_written_versions(line, name, expected):
    assert getattr(parse_environment(line), name) == V(expected)


@pytest.mark.parametrize("line", [
    "pip install mmcv-full==1.7.1",
    "conda install pytorch=1.3.1 torchvision cudatoolkit=10.0 -c pytorch",
    "I tried mmcv 1.4.6 but it does not work",
    "torch 1.10 and cuda",
    "mmcv>=1.3.17, <=1.5.0",
    "onedl-mmcv==2.3.0",
    "python 3",
])
def test_free_text_that_is_not_a_clear_version_is_ignored(line):
    assert parse_environment(line).is_empty()


@pytest.mark.parametrize("line, name, expected, package", [
    ("mmcv-lite 2.1.0（pip 安装）", "mmcv", "2.1.0", "mmcv-lite"),
    ("mmcv-full 1.7.1 (built from source)", "mmcv", "1.7.1", "mmcv-full"),
    ("torch 1.13.1 (cuda 11.7)", "pytorch", "1.13.1", None),
    # the remark's "install" is not the item's: what follows it was asked for, not what is there
    ("mmcv-lite 2.1.0 (installed with pip because `mim install mmcv` took 40 minutes)", "mmcv", "2.1.0", "mmcv-lite"),
])
def test_an_item_with_a_remark_in_brackets_is_still_the_item(line, name, expected, package):
    env = parse_environment(line + "\n")
    assert getattr(env, name) == V(expected) and env.mmcv_package == package


@pytest.mark.parametrize("line", ["I use mmcv 2.1.0 (the latest) and it fails", "mmcv 2.1.0 (or 2.2.0?) and mmdet",
                                  "pip install mmcv-full==1.7.1 (it did not work)"])
def test_a_remark_inside_a_sentence_makes_no_item(line):
    assert parse_environment(line).mmcv is None


def test_version_in_compat_assertion_is_read_but_not_the_range_to_install():
    line = "AssertionError: MMCV==1.1.4 is used but incompatible. Please install mmcv==1.2.0."
    assert parse_environment(line).mmcv == V("1.1.4")


def test_collect_env_and_pip_list_naming_two_mmcv_versions_leave_it_unknown():
    # one of them is from before a change, and nothing says which: no version is better than a wrong one
    body = "MMCV: 1.2.0\nmmcv-full                 1.3.17\n"
    env = parse_environment(body)
    assert env.mmcv is None and env.mmcv_package is None and "mmcv" in env.conflicts


def test_pip_list_fills_what_collect_env_lacks():
    env = parse_environment("PyTorch: 1.12.1\nmmcv-full==1.7.1\ntorch      1.12.1+cu113\n")
    assert env.pytorch == V("1.12.1") and env.mmcv == V("1.7.1")
    assert env.pytorch_cuda == V("11.3")  # the pip row is the same torch, so its suffix applies


def test_two_pytorch_versions_are_a_conflict_never_a_guess():
    env = parse_environment("PyTorch: 1.8.0\nsome text\nPyTorch: 1.10.0+cu113\n")
    assert env.pytorch is None and "pytorch" in env.conflicts
    assert "pytorch" not in env.evidence


def test_repeated_identical_report_is_not_a_conflict():
    env = parse_environment(MMDET2_TRAIN_LOG + "\n" + MMDET2_TRAIN_LOG)
    assert env.conflicts == frozenset() and env.mmcv == V("1.2.7")


def test_versions_that_only_add_detail_agree():
    env = parse_environment("pytorch: 1.9\nPyTorch: 1.9.0+cu111\n")
    assert env.pytorch == V("1.9.0+cu111") and not env.conflicts


def test_hand_written_contradiction_is_a_conflict():
    env = parse_environment("mmcv==1.3.17\nmmcv==1.4.0\n")
    assert env.mmcv is None and env.conflicts == {"mmcv"}


@pytest.mark.parametrize("value", ["1.x", "latest", "", "unknown"])
def test_garbage_versions_are_unknown_not_conflicts(value):
    env = parse_environment(f"PyTorch: {value}\nMMCV: {value}\n")
    assert env.pytorch is None and env.mmcv is None and not env.conflicts


def test_unknown_gpu_name_is_kept():
    assert parse_environment("GPU 0: Moore Threads MTT S80").gpus == (Gpu((0,), "Moore Threads MTT S80"),)


def test_same_gpu_id_with_two_names_is_a_conflict():
    env = parse_environment("GPU 0: Tesla K80\nGPU 0: Tesla T4\n")
    assert env.gpus == () and "gpus" in env.conflicts


def test_two_hundred_gpu_lines():
    body = "\n".join(f"GPU {i}: Tesla V100-SXM2-32GB" for i in range(200))
    assert len(parse_environment(body).gpus) == 200


@pytest.mark.parametrize("junk", [
    "\x00\x01\xff" * 10_000,
    "x" * 1_000_000,
    ("PyTorch: " + "9" * 5000 + "\n") * 3,
    "GPU : \nGPU 0:\nGPU a,b: x\n: \n:::\n- \n- - \n",
    "\ud800 broken surrogate: \udfff",
])
def test_junk_never_raises(junk):
    env = parse_environment(junk)
    assert isinstance(env, Environment)


def test_evidence_gives_one_based_line_numbers():
    env = parse_environment(LINUX_MMCV1)
    assert env.evidence["platform"] == 1 and env.evidence["gpus"] == 4
    assert LINUX_MMCV1.split("\n")[env.evidence["mmcv"] - 1] == "MMCV: 1.3.17"


def test_rows_follow_collect_env_order_and_skip_unknowns():
    rows = parse_environment(LINUX_MMCV1).as_rows()
    labels = [label for label, _ in rows]
    assert labels[:5] == ["sys.platform", "Python", "CUDA available", "GPU 0,1", "GPU 2"]
    assert labels.index("PyTorch") < labels.index("MMCV") < labels.index("MMDetection")
    assert "MMEngine" not in labels


def test_contradictions_are_kept_for_maintainers_but_never_shown_to_the_reporter():
    env = parse_environment("PyTorch: 1.8.0\nPyTorch: 1.9.0\nMMCV: 1.3.8")
    assert env.as_rows() == [("MMCV", "1.3.8")]
    assert env.conflicts == {"pytorch"} and env.to_json()["conflicts"] == ["pytorch"]


def test_to_json_is_json_safe_and_omits_unknowns():
    data = parse_environment(WINDOWS_MMENGINE).to_json()
    json.dumps(data)
    assert data["pytorch"] == "2.0.1" and data["gpus"] == [{"ids": [0], "name": "NVIDIA GeForce RTX 4070"}]
    assert "mmcv" not in data and "gcc" not in data


def test_empty_body_is_empty():
    assert parse_environment("").is_empty()
    assert Environment().to_json() == {}


def test_large_log_body_does_not_run_away():
    body = (LINUX_MMCV1 + "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n" * 400)
    body = (body * 3)[:65_536]
    started = time.perf_counter()
    parse_environment(body)
    assert time.perf_counter() - started < 0.5  # generous: the target is ~20 ms for a whole triage


# --- every shape collect_env is pasted in (issue #8, point 6) ------------------------------------

def test_a_printed_dict_of_collect_env_is_read_like_its_lines():
    pasted = (
        "{'sys.platform': 'linux', 'Python': '3.9.7 (default) [GCC 7.5.0]', 'CUDA available': True, "
        "'GPU 0,1': 'NVIDIA GeForce RTX 3080', 'CUDA_HOME': '/usr/local/cuda-11.6', "
        "'NVCC': 'Cuda compilation tools, release 11.6, V11.6.124', 'PyTorch': '1.13.1+cu116', "
        "'PyTorch compiling details': 'PyTorch built with:\\n  - GCC 9.3\\n  - CUDA Runtime 11.6\\n"
        "  - NVCC architecture flags: -gencode;arch=compute_75,code=sm_75;-gencode;arch=compute_86,code=sm_86\\n', "
        "'MMCV': '2.0.1', 'MMCV Compiler': 'GCC 9.3', 'MMCV CUDA Compiler': '11.6'}"
    )
    env = parse_environment(pasted)
    assert str(env.pytorch) == "1.13.1+cu116" and str(env.pytorch_cuda) == "11.6"
    assert env.gpus == (Gpu((0, 1), "NVIDIA GeForce RTX 3080"),) and env.cuda_available is True
    assert env.pytorch_archs == ("sm_75", "sm_86") and str(env.mmcv) == "2.0.1"
    assert env.mmcv_cuda_compiler == "11.6" and str(env.nvcc) == "11.6.124"


def test_an_ordered_dict_and_json_are_read_too():
    ordered = parse_environment(
        "OrderedDict([('sys.platform', 'win32'), ('CUDA available', False), ('PyTorch', '2.0.1+cpu'), "
        "('MMEngine', '0.8.4')])")
    assert ordered.platform == "win32" and ordered.cuda_available is False
    assert ordered.pytorch_cuda_build is False and str(ordered.mmengine) == "0.8.4"
    as_json = parse_environment('{\n  "sys.platform": "linux",\n  "CUDA available": true,\n'
                                '  "PyTorch": "2.1.2+cu118",\n  "MMCV": "2.1.0"\n}')
    assert str(as_json.pytorch_cuda) == "11.8" and str(as_json.mmcv) == "2.1.0" and as_json.cuda_available


def test_a_dict_string_the_paste_cut_off_gives_nothing():
    env = parse_environment("{'PyTorch': '1.12.1+cu113', 'MMCV': '1.7")
    assert str(env.pytorch) == "1.12.1+cu113" and env.mmcv is None


def test_versions_written_in_chinese_prose_with_full_width_colons():
    env = parse_environment("我的环境：torch版本是1.10.1，mmcv 的版本为 1.4.0\nmmdet版本：2.25.0")
    assert str(env.pytorch) == "1.10.1" and str(env.mmcv) == "1.4.0" and str(env.mmdet) == "2.25.0"


def test_nightly_and_source_builds_of_pytorch_are_versions():
    assert str(parse_environment("PyTorch: 2.4.0.dev20240301+cu121\n").pytorch_cuda) == "12.1"
    assert str(parse_environment("PyTorch: 2.1.0a0+32f93b1\n").pytorch) == "2.1.0a0+32f93b1"


ARCH_LINE = ("  - NVCC architecture flags: -gencode;arch=compute_37,code=sm_37;-gencode;arch=compute_50,code=sm_50;"
             "-gencode;arch=compute_60,code=sm_60;-gencode;arch=compute_70,code=sm_70")


@pytest.mark.parametrize("cut", [
    ARCH_LINE[:-3],  # "code=sm_" and a digit short of a whole architecture
    ARCH_LINE + ";-gencode;arch",  # the next group begun and cut
    ARCH_LINE[: ARCH_LINE.rindex(";")],  # ends on a whole group, but the body ends here, unterminated
])
def test_an_architecture_list_the_paste_cut_off_gives_no_architectures(cut):
    env = parse_environment("PyTorch: 1.10.0+cu113\n" + cut)
    assert env.pytorch_archs == () and str(env.pytorch) == "1.10.0+cu113"


def test_a_whole_architecture_list_is_read():
    assert parse_environment(ARCH_LINE + "\n").pytorch_archs == ("sm_37", "sm_50", "sm_60", "sm_70")


def test_the_last_line_of_a_code_block_left_open_was_cut():
    env = parse_environment("```\nPyTorch: 1.12.1+cu113\nMMCV: 1.6")
    assert env.mmcv is None and str(env.pytorch) == "1.12.1+cu113"
    closed = parse_environment("```\nPyTorch: 1.12.1+cu113\nMMCV: 1.6.2\n```")
    assert str(closed.mmcv) == "1.6.2"


def test_a_line_the_reporter_cut_short_gives_nothing():
    assert parse_environment("PyTorch: 1.1...\nMMCV: 1.7.1\n").pytorch is None


def test_two_mmcv_distributions_listed_together_are_both_kept():
    env = parse_environment("mmcv                      2.1.0\nmmcv-full                 1.7.2\n")
    assert dict(env.mmcv_distributions) == {"mmcv": parse_version("2.1.0"), "mmcv-full": parse_version("1.7.2")}
    assert env.mmcv is None  # which one Python imports is not said


BUILD_LOG_LINES = (
    '  File "/opt/conda/lib/python3.8/site-packages/torch/utils/cpp_extension.py", line 1740, in _run_ninja_build\n'
    "/usr/local/cuda/bin/nvcc -I/opt/conda/lib/python3.8/site-packages/torch/include -c ./mmcv/ops/csrc/nms.cu\n"
    "2022-03-01 10:00:00,000 - mmdet - INFO - Epoch [3][100/500]\tlr: 2.000e-02, memory: 3813, loss: 0.5121\n"
)


def test_facts_between_thousands_of_log_lines_are_read_and_the_logs_add_none():
    """Only the lines where a fact may start are read in full: every shape still counts wherever it
    stands, PyTorch's block still ends where its bullets end, and paths give no versions."""
    text = (BUILD_LOG_LINES * 300 + LINUX_MMCV1 + BUILD_LOG_LINES * 300
            + "mmcv-full                 1.3.17\n" + "'CUDA_HOME': '/usr/local/cuda-11.1',\n")
    env = parse_environment(text)
    assert env.python == V("3.7.11") and env.pytorch == V("1.9.0+cu111") and env.mmdet == V("2.20.0+a1b2c3d")
    assert env.pytorch_cuda == V("11.1") and env.cudnn == V("8.0.5") and env.nvcc == V("11.1")
    assert env.gcc == V("8.4.0") and env.mmcv_package == "mmcv-full" and env.cuda_home == "/usr/local/cuda-11.1"
    assert env.evidence["python"] == 900 + 2
    assert not env.conflicts


def test_a_line_that_states_nothing_still_ends_pytorchs_block():
    """PyTorch's own compiler is never the reporter's; a bullet after the block has ended is."""
    inside = parse_environment(TORCH_DETAILS_CUDA.replace("  - GCC 7.3", "- GCC 7.3"))
    after = parse_environment(TORCH_DETAILS_CUDA + "Then I built MMCV myself:\n- GCC 5.4\n")
    assert inside.gcc is None
    assert after.gcc == V("5.4")


def test_pip_show_output_names_the_package_and_its_version():
    shown = parse_environment(
        "$ pip show mmcv-full\nName: mmcv-full\nVersion: 1.7.2\nSummary: OpenMMLab Computer Vision Foundation\n"
        "Location: /opt/conda/lib/python3.8/site-packages\n\n$ pip show torch\nName: torch\nVersion: 1.13.1+cu117\n")
    assert (str(shown.mmcv), shown.mmcv_package) == ("1.7.2", "mmcv-full")
    assert (str(shown.pytorch), str(shown.pytorch_cuda)) == ("1.13.1+cu117", "11.7")
    # A Name with no Version right under it, or another program's Name/Version pair, says nothing.
    assert str(parse_environment("Name: mmengine\nVersion: 0.10.3\n").mmengine) == "0.10.3"
    assert parse_environment("Name: mmcv\nSummary: x\nVersion: 2.1.0\n").mmcv is None
    assert parse_environment("Name: NVIDIA GeForce RTX 3090\nVersion: 535.54\n").is_empty()
    # Quoted in a reply ("> " on each line), as people paste what someone asked them to run.
    quoted = parse_environment("I ran it:\n\n> Name: mmcv-full\n> Version: 1.6.0\n> Summary: OpenMMLab\n")
    assert (str(quoted.mmcv), quoted.mmcv_package) == ("1.6.0", "mmcv-full")


def test_a_letter_that_lowercases_to_two_still_leaves_the_facts_readable():
    # str.lower turns "İ" into two characters, which shifted every offset after it.
    body = "İstanbul'da eğitim çalışmıyor\nPyTorch: 1.13.1+cu117\nMMCV: 1.7.1\n"
    env = parse_environment(body)
    assert (str(env.pytorch), str(env.mmcv)) == ("1.13.1+cu117", "1.7.1")


def test_ascii_lower_keeps_every_offset():
    text = "İ PyTorch 段错误 ＡＢ"
    assert ascii_lower(text) == "İ pytorch 段错误 ＡＢ"
    assert len(ascii_lower(text)) == len(text)


def test_versions_named_in_english_prose_with_is():
    env = parse_environment("My mmdetection version is 2.28 and MMCV-full is 1.7.0, python is 3.8.10.")
    assert (str(env.mmdet), str(env.mmcv), env.mmcv_package, str(env.python)) == ("2.28", "1.7.0", "mmcv-full", "3.8.10")
    # A number that is no version of the package: "is 1.8 times slower", "the mmcv is installed".
    assert parse_environment("Inference with torch is 1.8 times slower than before").pytorch is None
    assert parse_environment("the mmcv is installed, 2 GPUs").is_empty()


@pytest.mark.parametrize("line, facts", [
    ("（pytorch1.9+cuda10.2）", {"pytorch": "1.9", "cuda_stated": "10.2"}),
    ("environment: ubuntu18.04, python3.7, torch1.10.2", {"python": "3.7", "pytorch": "1.10.2"}),
    ("mmdet2.7.0", {"mmdet": "2.7.0"}),
    ("pytorch1.7.1 cuda10.1", {"pytorch": "1.7.1", "cuda_stated": "10.1"}),
    ("I am using cuda11.1+torch 1.9.0.", {"cuda_stated": "11.1"}),
])
def test_a_version_glued_to_its_name_is_read_where_the_line_lists_the_environment(line, facts):
    env = parse_environment(line)
    assert {name: str(getattr(env, name)) for name in facts} == facts


@pytest.mark.parametrize("line", [
    "The op compiles and was used successfully in mmdet1.0, but not now.",  # another version, in passing
    "  File \"/usr/lib/python3.8/site-packages/torch/nn/modules/module.py\", line 1102, in _call_impl",
    "pip install mmcv-full -f https://download.openmmlab.com/mmcv/dist/cu111/torch1.9.0/index.html",
])
def test_a_glued_version_in_passing_or_in_a_path_is_not_read(line):
    env = parse_environment(line)
    assert env.mmdet is None and env.python is None and env.pytorch is None


def test_a_list_of_versions_under_a_label_is_read():
    env = parse_environment("环境：mmcv 2.0.1、mmengine 0.8.4、mmdet 3.1.0、torch 1.13.1+cu117，demo 可以正常跑。")
    assert (str(env.mmcv), str(env.mmengine), str(env.mmdet), str(env.pytorch)) == ("2.0.1", "0.8.4", "3.1.0",
                                                                                  "1.13.1+cu117")
    assert str(parse_environment("My env: mmcv 2.1.0, mmdet 3.3.0").mmcv) == "2.1.0"
    # a label over a single item is a key of its own: MMDetection's compiler is not the system's GCC
    assert parse_environment("MMDetection Compiler: GCC 7.3").gcc is None


def test_a_list_that_ends_a_sentence_is_read_to_its_last_item():
    env = parse_environment("Ubuntu 20.04, torch 1.12.1+cu113, mmdet 2.25.0, mmcv-full 1.6.0. What am I missing?")
    assert (str(env.pytorch), str(env.mmdet), str(env.mmcv)) == ("1.12.1+cu113", "2.25.0", "1.6.0")
    zh = parse_environment("Windows 10，torch 2.0.1+cu118，mmcv 2.1.0，mmdet 3.2.0。mmcv 是用 mim 装的。")
    assert (str(zh.pytorch), str(zh.mmcv), str(zh.mmdet)) == ("2.0.1+cu118", "2.1.0", "3.2.0")
    assert str(parse_environment("mmdet 3.3.0.").mmdet) == "3.3.0"
    # a sentence that only begins with a name is still prose, not an item
    assert parse_environment("Built mmcv-full 1.4.2 from source. Then the import fails.").mmcv is None
    assert parse_environment("mmcv 1.7.0 worked before. Now I have another problem.").mmcv is None


def test_an_item_with_a_remark_inside_a_list_is_read_and_an_install_aside_does_not_cut_the_line():
    env = parse_environment("mmdet 2.25.1 (installed with `pip install -v -e .`), mmcv-full 1.6.1, torch 1.11.0+cu113")
    assert (str(env.mmdet), str(env.mmcv), env.mmcv_package, str(env.pytorch)) == ("2.25.1", "1.6.1", "mmcv-full",
                                                                                 "1.11.0+cu113")
    zh = parse_environment("环境：ubuntu 18.04，pytorch 1.10.0，mmdetection 2.25.1（git clone 然后 pip install -v -e .）")
    assert (str(zh.pytorch), str(zh.mmdet)) == ("1.10.0", "2.25.1")
    # an install command in brackets is still what was asked for, not what is there
    asked = parse_environment("mmcv-full 1.3.0 works, torch from conda (`conda install pytorch==1.7.0 -c pytorch`)")
    assert asked.pytorch is None


def test_the_other_projects_releases_are_read():
    env = parse_environment("MMSegmentation: 0.30.0+4fd5b9e\nmmpose 1.3.1\nmmdetection3d==1.4.0\n")
    assert {package: str(version) for package, version in env.projects} == {
        "mmseg": "0.30.0+4fd5b9e", "mmpose": "1.3.1", "mmdet3d": "1.4.0"}
    assert ("MMSegmentation", "0.30.0+4fd5b9e") in env.as_rows()
    # two releases of one project said: neither is known
    assert parse_environment("mmseg 0.30.0\nmmseg 1.2.2\n").projects == ()


def test_collect_env_and_a_listing_that_disagree_leave_the_field_unknown():
    # collect_env saved before an upgrade, pip's list after it: nothing says which is now
    env = parse_environment("PyTorch: 1.10.0+cu113\nMMCV: 1.6.0\n\npip list now:\ntorch                    1.12.1+cu113\n")
    assert env.pytorch is None and "pytorch" in env.conflicts and str(env.mmcv) == "1.6.0"
    # agreeing ones stay known
    same = parse_environment("PyTorch: 1.12.1+cu113\n\ntorch                    1.12.1+cu113\n")
    assert str(same.pytorch) == "1.12.1+cu113"


def test_prose_that_names_two_versions_says_nothing_against_collect_env():
    env = parse_environment("It worked with torch 1.8.0, it fails with torch 1.10.0.\nPyTorch: 1.10.0+cu113\n")
    assert str(env.pytorch) == "1.10.0+cu113"


# --- a GPU named in words (bot/reporter.py) ---

@pytest.mark.parametrize("text, name", [
    ("实验室服务器是 4 张 Tesla K80，驱动 450.80", "Tesla K80"),
    ("I run it on an RTX 3090.", "GeForce RTX 3090"),
    ("my gtx1080ti and pytorch 1.5", "GeForce GTX 1080 Ti"),
    ("| 0 NVIDIA GeForce RTX 3090 Off | 00000000:01:00.0 |\n| 1 NVIDIA GeForce RTX 3090 Off |", "GeForce RTX 3090"),
    ("8 x NVIDIA A100-SXM4-40GB", "NVIDIA A100 SXM4 40GB"),
    ("Colab's Tesla T4", "Tesla T4"),
    # none: two models (a comparison), a two-character model without its maker, no GPU at all
    ("works on the A100 server, fails on my RTX 3060", None),
    ("GPU: Tesla K40m; the same code works on another machine with a Titan Xp", None),
    ("the T4 node", None),
    ("mxnet, gt_bboxes and k-means", None),
])
def test_the_one_gpu_an_issue_names_in_words_is_read(text, name):
    from bot.issue import Issue, read_issue
    from bot.reporter import gpu_named

    found = gpu_named(read_issue(Issue("", text)))
    assert (found[0] if found else None) == name


def test_a_gpu_named_in_words_leaves_the_environment_as_empty_as_it_was():
    from bot.issue import Issue, read_issue
    from bot.reporter import with_gpu_named

    env = with_gpu_named(parse_environment("on my RTX 3060"), read_issue(Issue("", "on my RTX 3060")))
    assert env.gpus[0].name == "GeForce RTX 3060" and env.gpus[0].ids == () and env.is_empty()
    collected = parse_environment("GPU 0: Tesla V100-SXM2-16GB\nPyTorch: 1.9.0")
    assert with_gpu_named(collected, read_issue(Issue("", "on my RTX 3060"))) is collected  # collect_env's wins
