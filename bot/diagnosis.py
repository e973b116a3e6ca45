"""What the reporter's environment says about the FAQ error they hit: diagnoses built only on facts (pure).

Each diagnosis is a small function of the Environment that returns None unless every fact it
needs is present and unambiguous: a wrong public answer is worse than none. Which diagnoses speak
to which FAQ entry is said by the rules themselves (``diagnoses:`` in rules/*.yaml), by the ids
the rule schema knows (bot.rules.DIAGNOSIS_IDS), each implemented here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Union

from bot.environment import Environment
from bot.reference_tables import compat_table, compute_capability
from bot.rules import COLLECT_ENV, PIP_LIST, WINDOWS_CASE_CONFIRMED, Rule, WindowsCase
from bot.version import Version, parse_version


@dataclass(frozen=True)
class Message:
    """A sentence not yet in any language: a key of TEXT and the values its template needs.

    A value is a fact, the same in every language (a version, a GPU name); another Message; or a
    list of Messages, joined as the language joins lists.
    """

    key: str
    values: Mapping[str, MessageValue] = field(default_factory=dict, hash=False)


MessageValue = Union[str, Message, tuple[Message, ...]]


@dataclass(frozen=True)
class Diagnosis:
    id: str
    facts: Mapping[str, str] = field(hash=False)  # the facts that led to it, as the reply shows them
    message: Message  # what it tells the reporter; reply.render_message puts it in their language


# --- user-facing text: language -> key -> template, filled with str.format ----------------------
# A template's values are facts (the same in every language) or other keys of this table
# (Message), so a Diagnosis is rendered in the reporter's language by reply.py and nowhere else.

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "no-ops-1": (
            "You have {what}: it has no compiled ops (`mmcv.ops` / `mmcv._ext`); for MMCV 1.x they "
            "come with the `mmcv-full` package."
        ),
        "no-ops-2": (
            "You have {what}: it has no compiled ops (`mmcv.ops` / `mmcv._ext`); for MMCV 2.x they come "
            "with the full `mmcv` package built for your PyTorch and CUDA (`mmcv-lite` never has them)."
        ),
        "no-ops-unknown": (
            "You have {what}: it has no compiled ops (`mmcv.ops` / `mmcv._ext`)."
        ),
        "package": "the {package} package",
        "package-not-full": "the {package} package, not `mmcv-full`",
        "mmcv-cpu-build": (
            "MMCV {mmcv} was compiled without CUDA (`MMCV CUDA Compiler: not available`), so its ops "
            "run only on the CPU: it must be reinstalled built for {cuda}."
        ),
        "cuda-of-pytorch": "CUDA {cuda}, PyTorch's CUDA",
        "cuda-of-pytorch-unknown": "your PyTorch's CUDA",
        "incompatible": (
            "MMDetection {mmdet} accepts `{accepted}` (the range its `mmdet/__init__.py` asserts), "
            "but you have MMCV {mmcv}."
        ),
        "cuda-mismatch": (
            "{pytorch} uses CUDA {pytorch_cuda}, but {mmcv} was compiled with CUDA {mmcv_cuda}: "
            "MMCV must be reinstalled built for CUDA {pytorch_cuda} and {pytorch_series}.{nvcc_note}"
        ),
        "pytorch-series": "PyTorch {series}",
        "pytorch-series-unknown": "your PyTorch version",
        "nvcc-note": " To build it from source instead, `nvcc` must be CUDA {pytorch_cuda} too (yours is {nvcc}).",
        "gpu-not-in-build": (
            "Your {gpus} is not among the GPU architectures this PyTorch build contains ({archs}), so "
            "PyTorch itself cannot run kernels on it. Install a PyTorch build that includes {needed} "
            "(or build PyTorch from source), then rebuild MMCV with `TORCH_CUDA_ARCH_LIST=\"{arch_list}\"`."
        ),
        "gpu-capability": "{name} (compute capability {capability}, {arch})",
        "list-separator": ", ",
        "installed-twice": (
            "Your environment lists {packages} together: two MMCV packages share the `mmcv` folder, so "
            "Python imports a mix of them. Uninstall both before installing the one you need."
        ),
        "gcc-5.5": (
            "{subject} GCC {gcc}, the version the FAQ reports causing segmentation faults (switching "
            "to GCC 5.4 solved it). Rebuild MMCV with GCC 5.4, or a newer GCC that your PyTorch supports."
        ),
        "gcc-old": (
            "{subject} GCC {gcc}, older than 4.9, which the FAQ names as a cause of segmentation "
            "faults. Rebuild MMCV with a newer GCC (the FAQ recommends 5.4; recent PyTorch needs newer)."
        ),
        "gcc-of-mmcv": "MMCV's ops were compiled with",
        "gcc-of-system": "Your compiler is",
        "windows-torch": (
            "You are on Windows with PyTorch {pytorch}: exactly the case this FAQ entry describes, so "
            "the fix above applies as written."
        ),
        "windows-cuda": (
            "You are on Windows with CUDA {nvcc}: exactly the case this FAQ entry describes; build "
            "with an older Visual Studio such as VS 2017."
        ),
        "no-cuda-cpu-build": (
            "`CUDA available: False` and {pytorch} is a CPU-only build, so nothing can run on "
            "the GPU. Install a CUDA build of PyTorch (see pytorch.org), then MMCV built for it."
        ),
        "no-cuda-driver": (
            "`CUDA available: False` although {pytorch} is built with CUDA {pytorch_cuda}: "
            "PyTorch cannot see a GPU. Check `nvidia-smi`: the NVIDIA driver may be missing or too old "
            "for CUDA {pytorch_cuda}, or `CUDA_VISIBLE_DEVICES` hides the GPUs."
        ),
        "no-cuda-unknown": (
            "`CUDA available: False`: PyTorch cannot see a GPU. Check whether it is a CPU-only build "
            "(`python -c \"import torch; print(torch.version.cuda)\"` prints `None`) and, if not, "
            "whether `nvidia-smi` shows your GPU and driver."
        ),
    },
    "zh": {
        "no-ops-1": (
            "您的环境中是 {what}：它不带编译好的算子（`mmcv.ops` / `mmcv._ext`）；MMCV 1.x 的算子在 "
            "`mmcv-full` 包中。"
        ),
        "no-ops-2": (
            "您的环境中是 {what}：它不带编译好的算子（`mmcv.ops` / `mmcv._ext`）；MMCV 2.x 的算子在针对您的 "
            "PyTorch 和 CUDA 编译的完整版 `mmcv` 包中（`mmcv-lite` 不带算子）。"
        ),
        "no-ops-unknown": (
            "您的环境中是 {what}：它不带编译好的算子（`mmcv.ops` / `mmcv._ext`）。"
        ),
        "package": "{package} 包",
        "package-not-full": "{package} 包，而不是 `mmcv-full`",
        "mmcv-cpu-build": (
            "MMCV {mmcv} 编译时没有启用 CUDA（`MMCV CUDA Compiler: not available`），它的算子只能在 CPU "
            "上运行：需要重新安装针对 {cuda}编译的 MMCV。"
        ),
        "cuda-of-pytorch": "CUDA {cuda}（PyTorch 的 CUDA 版本）",
        "cuda-of-pytorch-unknown": "PyTorch 的 CUDA 版本",
        "incompatible": (
            "MMDetection {mmdet} 要求 `{accepted}`（即其 `mmdet/__init__.py` 中断言的范围），而您安装的是 "
            "MMCV {mmcv}。"
        ),
        "cuda-mismatch": (
            "{pytorch} 使用的是 CUDA {pytorch_cuda}，而 {mmcv} 是用 CUDA {mmcv_cuda} 编译的："
            "需要重新安装针对 CUDA {pytorch_cuda} 和{pytorch_series}编译的 MMCV。{nvcc_note}"
        ),
        "pytorch-series": " PyTorch {series} ",
        "pytorch-series-unknown": "您的 PyTorch 版本",
        "nvcc-note": "如果改为从源码编译，`nvcc` 也必须是 CUDA {pytorch_cuda}（您的是 {nvcc}）。",
        "gpu-not-in-build": (
            "您的 {gpus} 不在这个 PyTorch 版本编译的 GPU 架构（{archs}）之中，PyTorch 本身就无法在它上面"
            "运行 CUDA kernel。请安装包含 {needed} 的 PyTorch（或从源码编译 PyTorch），然后以 "
            "`TORCH_CUDA_ARCH_LIST=\"{arch_list}\"` 重新编译 MMCV。"
        ),
        "gpu-capability": "{name}（计算能力 {capability}，{arch}）",
        "list-separator": "、",
        "installed-twice": (
            "您的环境中同时安装了 {packages}：两个 MMCV 包共用 `mmcv` 目录，Python 导入的是两者的混合。"
            "请先把两个都卸载，再安装您需要的那一个。"
        ),
        "gcc-5.5": (
            "{subject} GCC {gcc}，FAQ 中提到该版本会导致 segmentation fault（换成 GCC 5.4 即可解决）。"
            "请用 GCC 5.4 或您的 PyTorch 支持的更新版本 GCC 重新编译 MMCV。"
        ),
        "gcc-old": (
            "{subject} GCC {gcc}，低于 4.9，FAQ 指出这会导致 segmentation fault。请用更新的 GCC 重新编译 "
            "MMCV（FAQ 推荐 5.4；较新的 PyTorch 需要更高版本）。"
        ),
        "gcc-of-mmcv": "编译 MMCV 算子所用的是",
        "gcc-of-system": "您的编译器是",
        "windows-torch": "您在 Windows 上使用 PyTorch {pytorch}：正是这个 FAQ 条目描述的情况，上面的解决方法可以直接使用。",
        "windows-cuda": (
            "您在 Windows 上使用 CUDA {nvcc}：正是这个 FAQ 条目描述的情况，请使用较低版本的 Visual Studio"
            "（例如 VS 2017）编译。"
        ),
        "no-cuda-cpu-build": (
            "`CUDA available: False`，而且 {pytorch} 是仅支持 CPU 的版本，所以无法在 GPU 上运行。"
            "请安装支持 CUDA 的 PyTorch（见 pytorch.org），再安装与之对应的 MMCV。"
        ),
        "no-cuda-driver": (
            "{pytorch} 是用 CUDA {pytorch_cuda} 编译的，但 `CUDA available: False`：PyTorch 识别不到 "
            "GPU。请检查 `nvidia-smi`：可能没有安装 NVIDIA 驱动、驱动版本太旧不支持 CUDA {pytorch_cuda}，或者 "
            "`CUDA_VISIBLE_DEVICES` 屏蔽了 GPU。"
        ),
        "no-cuda-unknown": (
            "`CUDA available: False`：PyTorch 识别不到 GPU。请检查它是否是仅支持 CPU 的版本"
            "（`python -c \"import torch; print(torch.version.cuda)\"` 输出 `None`），如果不是，再用 "
            "`nvidia-smi` 检查 GPU 和驱动。"
        ),
    },
}


def _say(key: str, diagnosis_id: str, facts: Mapping[str, str], **values: MessageValue) -> Diagnosis:
    return Diagnosis(diagnosis_id, dict(facts), Message(key, values))


# --- the diagnoses ------------------------------------------------------------------------------

def _named(label: str, version: Version | None) -> str:
    return f"{label} {version}" if version else label


def mmcv_without_ops(env: Environment) -> Diagnosis | None:
    """MMCV without compiled ops: ``MMCV Compiler: n/a``, or a pip/conda row of lite mmcv."""
    if env.mmcv_compiler not in (None, "n/a"):
        return None  # collect_env imported mmcv.ops: whatever pip says, the ops are there
    major = env.mmcv.release[0] if env.mmcv else None
    if env.mmcv_compiler == "n/a":
        facts = {"MMCV": str(env.mmcv)} if env.mmcv else {}
        facts["MMCV Compiler"] = "n/a"
        what: MessageValue = f"{_named('MMCV', env.mmcv)} (`MMCV Compiler: n/a`)"
    elif env.mmcv_package == "mmcv-lite" or (env.mmcv_package == "mmcv" and major == 1):
        package = f"`{env.mmcv_package}` {env.mmcv or ''}".strip()
        facts = {"installed package": package.replace("`", "")}
        not_full = major == 1 and env.mmcv_package == "mmcv"
        what = Message("package-not-full" if not_full else "package", {"package": package})
    else:
        return None
    if env.mmcv_package == "mmcv-lite" or (major or 0) >= 2:
        key = "no-ops-2"
    else:  # 1.x; or unknown / 0.x, whose fix depends on the MMDetection series
        key = "no-ops-1" if major == 1 else "no-ops-unknown"
    return _say(key, "mmcv-without-ops", facts, what=what)


def mmcv_built_without_cuda(env: Environment) -> Diagnosis | None:
    """mmcv-full compiled without CUDA, for "nms is not compiled with GPU support"."""
    if env.mmcv_cuda_compiler != "not available" or env.mmcv is None:
        return None
    facts = {"MMCV": str(env.mmcv), "MMCV CUDA Compiler": "not available"}
    if env.pytorch_cuda:
        cuda = Message("cuda-of-pytorch", {"cuda": env.pytorch_cuda.series})
    else:
        cuda = Message("cuda-of-pytorch-unknown")
    return _say("mmcv-cpu-build", "mmcv-built-without-cuda", facts, mmcv=str(env.mmcv), cuda=cuda)


def mmcv_mmdet_incompatible(env: Environment) -> Diagnosis | None:
    """MMCV outside the range the reported MMDetection release asserts (rules/data/mmdet_mmcv_compat.csv)."""
    mmcv, mmdet = env.mmcv, env.mmdet
    # A short version ("2.25", "1.3") covers releases with different ranges: no verdict on it.
    if mmcv is None or mmdet is None or len(mmcv.release) < 3 or len(mmdet.release) < 2:
        return None
    if mmdet.local:  # "2.3.0+6fd1a9a" is printed by collect_env, which imports mmdet: the assertion
        return None  # passed, so the table does not describe this checkout (or its MMCV is fine)
    rows = [row for row in compat_table() if _covers(mmdet, row.mmdet)]
    if not rows or {row.accepts(mmcv) for row in rows} != {False}:
        return None
    if len({row.accepted() for row in rows}) != 1:
        return None
    accepted = rows[0].accepted()
    facts = {"MMDetection": str(mmdet), "MMCV": str(mmcv), "accepted": accepted}
    return _say("incompatible", "mmcv-mmdet-incompatible", facts,
                mmdet=str(mmdet), mmcv=str(mmcv), accepted=accepted)


def _covers(reported: Version, release: Version) -> bool:
    return reported.pre == release.pre and release.release[: len(reported.release)] == reported.release


def cuda_version_mismatch(env: Environment) -> Diagnosis | None:
    """PyTorch's CUDA differs (major.minor) from the CUDA MMCV's ops were compiled with."""
    mmcv_cuda = parse_version(env.mmcv_cuda_compiler)
    torch_cuda = env.pytorch_cuda
    if mmcv_cuda is None or torch_cuda is None or env.mmcv is None:
        return None
    if mmcv_cuda.major_minor() == torch_cuda.major_minor():
        return None
    facts = {"PyTorch CUDA": torch_cuda.series, "MMCV CUDA Compiler": env.mmcv_cuda_compiler}
    if env.pytorch:
        facts["PyTorch"] = str(env.pytorch)
    nvcc_note: MessageValue = ""
    if env.nvcc and env.nvcc.major_minor() != torch_cuda.major_minor():
        facts["NVCC"] = str(env.nvcc)
        nvcc_note = Message("nvcc-note", {"pytorch_cuda": torch_cuda.series, "nvcc": str(env.nvcc)})
    if env.pytorch:
        pytorch_series = Message("pytorch-series", {"series": env.pytorch.series})
    else:
        pytorch_series = Message("pytorch-series-unknown")
    return _say(
        "cuda-mismatch", "cuda-version-mismatch", facts,
        pytorch=_named("PyTorch", env.pytorch), pytorch_cuda=torch_cuda.series,
        mmcv=f"MMCV {env.mmcv}", mmcv_cuda=env.mmcv_cuda_compiler,
        pytorch_series=pytorch_series, nvcc_note=nvcc_note,
    )


def runs_on(archs: Iterable[str], capability: tuple[int, int]) -> bool:
    """Whether a build with these ``-gencode`` targets runs on a GPU of this compute capability.

    A cubin sm_XY runs on the same major at minor >= Y (sm_80 code runs on an sm_86 GPU); PTX
    compute_XY is compiled just in time for any GPU of capability >= X.Y; an arch-specific
    sm_90a runs only on 9.0.
    """
    for arch in archs:
        found = re.fullmatch(r"(sm|compute)_(\d+)([a-z]?)", arch)
        if not found:
            continue
        built = divmod(int(found[2]), 10)  # sm_86 -> (8, 6), sm_120 -> (12, 0)
        if found[3]:
            if built == capability:
                return True
        elif found[1] == "sm" and built[0] == capability[0] and built[1] <= capability[1]:
            return True
        elif found[1] == "compute" and built <= capability:
            return True
    return False


def gpu_not_in_pytorch_build(env: Environment) -> Diagnosis | None:
    """A known GPU whose compute capability the reported PyTorch build cannot run on."""
    if not env.pytorch_archs or not env.gpus:
        return None
    missing = []
    for gpu in env.gpus:
        capability = compute_capability(gpu.name)
        if capability is not None and not runs_on(env.pytorch_archs, capability):
            missing.append((gpu.name, capability))
    if not missing:
        return None
    archs = " ".join(env.pytorch_archs)
    facts = {name: "compute capability {}.{}".format(*cc) for name, cc in missing}
    facts["PyTorch built for"] = archs
    gpus = tuple(
        Message("gpu-capability", {"name": name, "capability": f"{cc[0]}.{cc[1]}", "arch": f"sm_{cc[0]}{cc[1]}"})
        for name, cc in missing
    )
    needed = ", ".join(dict.fromkeys(f"sm_{cc[0]}{cc[1]}" for _, cc in missing))
    arch_list = ";".join(dict.fromkeys(f"{cc[0]}.{cc[1]}" for _, cc in missing))
    return _say("gpu-not-in-build", "gpu-not-in-pytorch-build", facts,
                gpus=gpus, archs=archs, needed=needed, arch_list=arch_list)


_GCC_IN_MMCV = re.compile(r"^GCC (\d+\.\d+(?:\.\d+)?)$")


def gcc_known_to_segfault(env: Environment) -> Diagnosis | None:
    """GCC 5.5 or older than 4.9, the versions the FAQ's segmentation-fault entry warns about.

    The compiler that built MMCV's ops is what matters; the system GCC stands in for it only
    when collect_env does not say (a prebuilt wheel built with GCC 7.3 is not affected by it).
    """
    if env.mmcv_compiler is not None:
        found = _GCC_IN_MMCV.match(env.mmcv_compiler)
        gcc = parse_version(found[1]) if found else None
        fact, subject = "MMCV Compiler", Message("gcc-of-mmcv")
    else:
        gcc = env.gcc
        fact, subject = "GCC", Message("gcc-of-system")
    if gcc is None:
        return None
    if gcc.major_minor() == (5, 5):
        key = "gcc-5.5"
    elif gcc < parse_version("4.9"):
        key = "gcc-old"
    else:
        return None
    return _say(key, "gcc-version", {fact: f"GCC {gcc}"}, subject=subject, gcc=str(gcc))


def windows_case_confirmed(env: Environment, case: WindowsCase) -> Diagnosis | None:
    """Windows plus the exact PyTorch (or nvcc's CUDA) version the FAQ entry names.

    Which environment rules these entries out is the rules' own ``conditions``, applied by the
    matcher; here only the exact case the FAQ names (the rule's ``windows_case``) is confirmed.
    """
    if env.platform != "win32":
        return None
    torch = env.pytorch
    if case.pytorch and torch and len(torch.release) >= 3 and torch.same_release(case.pytorch):
        facts = {"sys.platform": "win32", "PyTorch": str(torch)}
        return _say("windows-torch", WINDOWS_CASE_CONFIRMED, facts, pytorch=str(torch))
    if case.nvcc and env.nvcc and env.nvcc.major_minor() == case.nvcc:
        facts = {"sys.platform": "win32", "NVCC": str(env.nvcc)}
        return _say("windows-cuda", WINDOWS_CASE_CONFIRMED, facts, nvcc=str(env.nvcc))
    return None


def cuda_unavailable(env: Environment) -> Diagnosis | None:
    """``CUDA available: False`` with a GPU error: a CPU-only PyTorch, or a GPU PyTorch cannot see."""
    if env.cuda_available is not False:
        return None
    facts = {"CUDA available": "False"}
    torch = _named("PyTorch", env.pytorch)
    if env.pytorch:
        facts["PyTorch"] = str(env.pytorch)
    if env.pytorch_cuda_build is False:
        return _say("no-cuda-cpu-build", "cuda-unavailable", facts, pytorch=torch)
    if env.pytorch_cuda_build and env.pytorch_cuda:
        facts["PyTorch CUDA"] = env.pytorch_cuda.series
        return _say("no-cuda-driver", "cuda-unavailable", facts,
                    pytorch=torch, pytorch_cuda=env.pytorch_cuda.series)
    return _say("no-cuda-unknown", "cuda-unavailable", facts)


def mmcv_installed_twice(env: Environment) -> Diagnosis | None:
    """Two MMCV distributions in one pip/conda listing (mmcv-full with mmcv or mmcv-lite)."""
    if len(env.mmcv_distributions) < 2:
        return None
    facts = {f"pip: {name}": str(version) for name, version in env.mmcv_distributions}
    packages = " + ".join(f"`{name}` {version}" for name, version in env.mmcv_distributions)
    return _say("installed-twice", "mmcv-installed-twice", facts, packages=packages)


# Every diagnosis a rule may name in its ``diagnoses``, in the order the reply lists them.
_CHECKS: dict[str, Callable[[Environment], Diagnosis | None]] = {
    "mmcv-installed-twice": mmcv_installed_twice,
    "mmcv-without-ops": mmcv_without_ops,
    "mmcv-mmdet-incompatible": mmcv_mmdet_incompatible,
    "cuda-version-mismatch": cuda_version_mismatch,
    "gpu-not-in-pytorch-build": gpu_not_in_pytorch_build,
    "cuda-unavailable": cuda_unavailable,
    "mmcv-built-without-cuda": mmcv_built_without_cuda,
    "gcc-version": gcc_known_to_segfault,
}
IMPLEMENTED: tuple[str, ...] = (*_CHECKS, WINDOWS_CASE_CONFIRMED)  # = bot.rules.DIAGNOSIS_IDS, by a test

# The Environment fields each diagnosis reads, as alternatives: it can tell (a finding, or that
# there is none) once every field of one set is known.
READS: dict[str, tuple[frozenset[str], ...]] = {
    "mmcv-installed-twice": (frozenset({"mmcv_distributions"}),),
    "mmcv-without-ops": (frozenset({"mmcv_compiler"}), frozenset({"mmcv_package"})),
    "mmcv-mmdet-incompatible": (frozenset({"mmcv", "mmdet"}),),
    "cuda-version-mismatch": (frozenset({"mmcv", "mmcv_cuda_compiler", "pytorch_cuda"}),),
    "gpu-not-in-pytorch-build": (frozenset({"gpus", "pytorch_archs"}),),
    "cuda-unavailable": (frozenset({"cuda_available"}),),
    "mmcv-built-without-cuda": (frozenset({"mmcv", "mmcv_cuda_compiler"}),),
    "gcc-version": (frozenset({"mmcv_compiler"}), frozenset({"gcc"})),
    # The Windows entries' errors come from MSVC builds only: with the PyTorch (or nvcc) named, the
    # platform collect_env would add is the one the error already shows.
    WINDOWS_CASE_CONFIRMED: (frozenset({"pytorch"}), frozenset({"nvcc"})),
}
# The diagnoses that speak of MMCV's own package or build: nothing to check when the ops that fail
# are MMDetection's own (mmdet/ops, before 2.3).
OF_MMCV_OPS = frozenset({"mmcv-installed-twice", "mmcv-without-ops", "cuda-version-mismatch", "mmcv-built-without-cuda"})
# The fields the output of each command the bot asks for holds (collect_env: its keys and PyTorch's
# build details; pip list: the packages' rows).
_PRINTS = {
    COLLECT_ENV: frozenset({"platform", "python", "cuda_available", "gpus", "cuda_home", "nvcc", "gcc", "msvc",
                            "pytorch", "pytorch_cuda", "pytorch_cuda_build", "pytorch_archs", "cudnn",
                            "torchvision", "opencv", "mmcv", "mmcv_compiler", "mmcv_cuda_compiler", "mmdet",
                            "mmengine"}),
    PIP_LIST: frozenset({"pytorch", "torchvision", "opencv", "mmcv", "mmcv_package", "mmcv_distributions",
                         "mmdet", "mmengine"}),
}
# The fields only such an output holds: one of them known means the reporter pasted one (a CPU-only
# machine's collect_env has no "GPU 0" to give; pip's list has no compiler in it). A GPU counts
# when collect_env's "GPU n:" line gave it, not when the reporter named it in words.
_ONLY_IN_OUTPUT = ("platform", "cuda_available", "mmcv_compiler", "mmcv_cuda_compiler", "pytorch_archs",
                   "mmcv_distributions")


def settled(env: Environment, name: str) -> bool:
    """Whether ``env`` holds what diagnosis ``name`` reads: it has told its finding, or that there is none."""
    return any(all(env.knows(field_name) for field_name in fields) for fields in READS[name])


def open_checks(env: Environment, rule: Rule) -> tuple[str, ...]:
    """The rule's diagnoses that the output it asks for (collect_env or pip list) would let tell
    what ``env`` cannot, in the rule's order: versions written in prose answer some checks, not
    every one. None when either output is already in the issue: asking the reporter who pasted one
    for another would help no one."""
    if any(env.knows(name) for name in _ONLY_IN_OUTPUT) or any(gpu.ids for gpu in env.gpus):
        return ()
    printed = _PRINTS[rule.environment_from]
    return tuple(name for name in rule.diagnoses
                 if not settled(env, name) and any(fields <= printed for fields in READS[name]))


def diagnose(env: Environment, rules: Iterable[Rule]) -> tuple[Diagnosis, ...]:
    """The diagnoses the environment supports among those the answered rules declare; () when it says nothing sure."""
    if env.is_empty():
        return ()
    rules = sorted(rules, key=lambda rule: rule.id)
    declared = {name for rule in rules for name in rule.diagnoses}
    found = [check(env) for name, check in _CHECKS.items() if name in declared]
    found += [windows_case_confirmed(env, rule.windows_case) for rule in rules if rule.windows_case]
    return tuple(diagnosis for diagnosis in found if diagnosis is not None)
