"""Composing the answer for this reporter: the quoted error, the findings, the steps that apply to
them with their commands filled in, what to ask for (pure).

The answer is data: rule texts in the reporter's language with ``{{name}}`` placeholders and the
values that fill them (facts, or Messages rendered by bot/reply.py, which decides nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, utils

from bot import install
from bot.diagnosis import OF_MMCV_OPS, Diagnosis, Message, MessageValue, open_checks, settled
from bot.environment import FIELD_LABELS, Environment
from bot.install import Machine, Target
from bot.issue import ErrorSignature, IssueText
from bot.findings import UNNAMED, Finding
from bot.matcher import Match
from bot.reference_tables import Project, project_named, project_of_package
from bot.registry_names import RegistryMiss, name_table, registry_miss
from bot.reporter import (
    NOT_MMCV, OWN_OPS, Bound, PrintedRange, TorchArchWarning, gpu_build, known_gpus, mmcv_majors, newest_range,
    ops_owner, printed_range, runs_on_arm, table_range, torch_arch_warning, traced_project,
)
from bot.rules import PIP_LIST, WINDOWS_CASE_CONFIRMED, Rule, Step
from bot.version import parse_version

MAX_ANSWERS = 3
MAX_QUOTE_CHARS = 300
DEFAULT_PROJECT = "mmdet"  # the FAQ the rules come from
GENERIC_COLLECT_ENV = 'python -c "from mmcv.utils import collect_env; print(collect_env())"'
PIP_LIST_COMMAND = "pip list"  # names PyTorch with its CUDA ("1.12.1+cu113") and the MMCV package, on every OS
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

# --- compose's sentences: language -> key -> template (str.format), rendered by bot/reply.py -----

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "install-either": "`mim install mmcv` (MMCV 2.x) or `mim install mmcv-full` (MMCV 1.x)",
        "install-both": "for MMCV 2.x {two}; for MMCV 1.x {one}",
        "install-other-torch": "install PyTorch {alt_torch} with {alt_cuda} and `{command}`",
        "install-other-torch-same-torch": "reinstall PyTorch {alt_torch} built with {alt_cuda} and `{command}`",
        "install-mim": "`{command}` (mim picks the build for your PyTorch and CUDA)",
        "install-pip": "`{command}`",
        "install-arm": (
            "build it on the device, as OpenMMLab publishes no MMCV wheels for ARM (aarch64, Jetson): {build} "
            "(pip compiles it with the ops; `nvcc` must match PyTorch's CUDA)"),
        "install-source-torch": (
            "build it from source, as no prebuilt MMCV fits PyTorch {torch} (a nightly or source build): "
            "`{build}` (pip compiles it; `nvcc` must match PyTorch's CUDA)"),
        "install-no-wheel": (
            "install PyTorch {alt_torch} with {alt_cuda} and `{command}` (no prebuilt `{what}` exists for "
            "PyTorch {torch} with {cuda}), or build it for yours: `{build}`"),
        "install-no-wheel-same-torch": (
            "reinstall PyTorch {alt_torch} built with {alt_cuda} and `{command}` (no prebuilt `{what}` exists for "
            "PyTorch {torch} with {cuda}), or build it for yours: `{build}`"),
        "install-no-wheel-build": (
            "build it from source, as no prebuilt `{what}` exists for PyTorch {torch} with {cuda}: "
            "`{build}` (pip compiles it; `nvcc` must match PyTorch's CUDA)"),
        "install-no-wheel-torch": (
            "install PyTorch {alt_torch} and `{command}` (no prebuilt `{what}` exists for PyTorch {torch}, "
            "whatever its CUDA), or build it for yours: `{build}`"),
        "install-no-wheel-torch-build": (
            "build it from source, as no prebuilt `{what}` exists for PyTorch {torch}: `{build}` (pip "
            "compiles it; `nvcc` must match PyTorch's CUDA)"),
        "range-found": "{asserted} accepts `{printed}`{installed}.",
        "range-asserted": "{name}'s `{package}/__init__.py`",
        "range-keep": "{found} To keep MMCV {installed}, use {name} {version} or later, made for MMCV 2.x; "
                      "this {name} is older.",
        "range-required": "{name} {version}",
        "range-unknown": "The package that printed this error",
        "range-installed": ", but you have {package} {version}",
        "package-either": "MMCV",
        "package-by-major": "MMCV (`mmcv-full` for 1.x, `mmcv` for 2.x)",
        "code": "`{code}`",
        "build": "`{command}`",
        "build-either": "`pip install mmcv` (2.x) or `pip install mmcv-full` (1.x)",
        "ask": "**Please add your environment:** paste the output of `{command}` in a comment below; "
               "I will then check {checks}.",
        # what the bot will check once it has the output, one phrase per open check (bot.diagnosis)
        "check-install": "which MMCV build fits your PyTorch and its CUDA",
        "check-mmcv-installed-twice": "whether two MMCV packages are installed side by side",
        "check-mmcv-without-ops": "whether your MMCV has compiled ops",
        "check-mmcv-mmdet-incompatible": "whether your MMCV version is in the range MMDetection accepts",
        "check-cuda-version-mismatch": "whether MMCV was built for your PyTorch's CUDA",
        "check-gpu-not-in-pytorch-build": "your GPU's compute capability against the architectures PyTorch was built for",
        "check-cuda-unavailable": "whether PyTorch sees your GPU",
        "check-mmcv-built-without-cuda": "whether MMCV was compiled with CUDA",
        "check-gcc-version": "your GCC version",
        "check-windows-pytorch": "your platform and PyTorch version",
        "check-windows-nvcc": "your platform and CUDA version",
        "checks-list": "{first} and {last}",
        "nvcc-mismatch": (
            "Your `nvcc` is CUDA {nvcc}, but PyTorch was built with CUDA {torch_cuda}: building MMCV "
            "from source needs an `nvcc` of CUDA {torch_cuda} (set `CUDA_HOME` to it)."),
        "gpu-named": "{name} (compute capability {arch})",
        "gpu-sm": "{name} (`{sm}`, compute capability {arch})",
        "gpu-built-as": "{name} (compute capability {arch}: CUDA {cuda} cannot build for {arch}, and code built for {built} runs on it)",
        "registry-class": "the class your config names",
        "registry-type": "the `type=` value",
        "registry-models-init": "`{package}/models/<part>/__init__.py`",
        "registry-init-unknown": "the `__init__.py` of the `{package}` folder that holds it",
        "registry-decorator-unknown": "{code} or the like",
        "series-before": " ({name} before {version})",
        "series-from": " ({name} {version} and later)",
    },
    "zh": {
        "install-either": "`mim install mmcv`（MMCV 2.x）或 `mim install mmcv-full`（MMCV 1.x）",
        "install-both": "MMCV 2.x：{two}；MMCV 1.x：{one}",
        "install-other-torch": "安装 PyTorch {alt_torch} + {alt_cuda} 后执行 `{command}`",
        "install-other-torch-same-torch": "重新安装基于 {alt_cuda} 的 PyTorch {alt_torch} 后执行 `{command}`",
        "install-mim": "`{command}`（mim 会选择与您的 PyTorch 和 CUDA 对应的版本）",
        "install-pip": "`{command}`",
        "install-arm": (
            "在设备上编译，因为 OpenMMLab 没有发布 ARM（aarch64、Jetson）上的 MMCV 预编译包：{build}"
            "（pip 会连同算子一起编译；`nvcc` 须与 PyTorch 的 CUDA 一致）"),
        "install-source-torch": (
            "从源码编译，因为 PyTorch {torch}（nightly 或源码编译版）没有对应的预编译 MMCV：`{build}`"
            "（pip 会自动编译；`nvcc` 须与 PyTorch 的 CUDA 一致）"),
        "install-no-wheel": (
            "安装 PyTorch {alt_torch} + {alt_cuda} 后执行 `{command}`（PyTorch {torch} + {cuda} 没有预编译的 "
            "`{what}`），或针对您的 PyTorch 从源码编译：`{build}`"),
        "install-no-wheel-same-torch": (
            "重新安装基于 {alt_cuda} 的 PyTorch {alt_torch} 后执行 `{command}`（PyTorch {torch} + {cuda} 没有预编译的 "
            "`{what}`），或针对您的 PyTorch 从源码编译：`{build}`"),
        "install-no-wheel-build": (
            "从源码编译，因为 PyTorch {torch} + {cuda} 没有预编译的 `{what}`：`{build}`"
            "（pip 会自动编译；`nvcc` 须与 PyTorch 的 CUDA 一致）"),
        "install-no-wheel-torch": (
            "安装 PyTorch {alt_torch} 后执行 `{command}`（PyTorch {torch} 不论搭配哪个 CUDA 版本都没有预编译的 "
            "`{what}`），或针对您的 PyTorch 从源码编译：`{build}`"),
        "install-no-wheel-torch-build": (
            "从源码编译，因为 PyTorch {torch} 没有预编译的 `{what}`：`{build}`"
            "（pip 会自动编译；`nvcc` 须与 PyTorch 的 CUDA 一致）"),
        "range-found": "{asserted}要求 `{printed}`{installed}。",
        "range-asserted": "{name} 的 `{package}/__init__.py` ",
        "range-keep": "{found}如果要保留 MMCV {installed}，请使用 {name} {version} 及以后的版本（它们是为 MMCV 2.x "
                      "开发的）；当前的 {name} 版本较旧。",
        "range-required": "{name} {version} ",
        "range-unknown": "打印该错误的包",
        "range-installed": "，而您安装的是 {package} {version}",
        "package-either": "MMCV",
        "package-by-major": "MMCV（1.x 为 `mmcv-full`，2.x 为 `mmcv`）",
        "code": "`{code}`",
        "build": "`{command}`",
        "build-either": "`pip install mmcv`（2.x）或 `pip install mmcv-full`（1.x）",
        "ask": "**请补充环境信息：** 在下方评论中贴上 `{command}` 的输出；我会再检查{checks}。",
        # (each opens with a Chinese word: no space is needed after "检查" or "以及")
        "check-install": "哪个 MMCV 版本与您的 PyTorch 及其 CUDA 对应",
        "check-mmcv-installed-twice": "是否同时安装了两个 MMCV 包",
        "check-mmcv-without-ops": "您的 MMCV 是否带有编译好的算子",
        "check-mmcv-mmdet-incompatible": "您的 MMCV 版本是否在 MMDetection 要求的范围内",
        "check-cuda-version-mismatch": "您的 MMCV 是否针对 PyTorch 的 CUDA 版本编译",
        "check-gpu-not-in-pytorch-build": "您的 GPU 的计算能力是否在 PyTorch 编译的架构之内",
        "check-cuda-unavailable": "您的 PyTorch 能否识别到 GPU",
        "check-mmcv-built-without-cuda": "您的 MMCV 编译时是否启用了 CUDA",
        "check-gcc-version": "您的 GCC 版本",
        "check-windows-pytorch": "您的操作系统和 PyTorch 版本",
        "check-windows-nvcc": "您的操作系统和 CUDA 版本",
        "checks-list": "{first}，以及{last}",
        "nvcc-mismatch": (
            "您的 `nvcc` 是 CUDA {nvcc}，而 PyTorch 是用 CUDA {torch_cuda} 编译的：从源码编译 MMCV 需要 "
            "CUDA {torch_cuda} 的 `nvcc`（将 `CUDA_HOME` 指向它）。"),
        "gpu-named": "{name}（计算能力 {arch}）",
        "gpu-sm": "{name}（`{sm}`，计算能力 {arch}）",
        "gpu-built-as": "{name}（计算能力 {arch}：CUDA {cuda} 不能为 {arch} 编译，为 {built} 编译的代码可以在它上面运行）",
        "registry-class": "配置中指定的类",
        "registry-type": "`type=` 的值",
        "registry-models-init": "`{package}/models/<子目录>/__init__.py`",
        "registry-init-unknown": "`{package}` 中存放它的目录的 `__init__.py`",
        "registry-decorator-unknown": "{code} 等",
        "series-before": "（{name} {version} 之前）",
        "series-from": "（{name} {version} 及以后）",
    },
}


@dataclass(frozen=True)
class Filled:
    """A rule text in the reporter's language and the values of its ``{{name}}`` placeholders."""

    template: str
    values: Mapping[str, MessageValue] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Section:
    """One FAQ entry's part of the answer."""

    rule_id: str
    title: str
    quote: str  # the error line as the reporter wrote it
    line: int  # 0 = the title
    summary: Filled
    steps: tuple[Filled, ...]
    faq: str
    notes: tuple[Finding, ...] = ()  # what the quoted error itself tells (a symbol's owner, a CUDA code's name)
    described: bool = False  # the quote is the reporter's words for the error, not the error as printed


@dataclass(frozen=True)
class Answer:
    """Everything the reply says, decided; bot/reply.py only writes it down."""

    language: str
    findings: tuple[Message, ...]
    sections: tuple[Section, ...]
    ask: Message | None  # the request for the environment, when it is missing and would help
    env_rows: tuple[tuple[str, str], ...]  # the facts of the environment the answer used
    hints: tuple[Finding, ...] = ()  # answer no FAQ entry (a misspelt class name, a class newer than the release)

    @property
    def asks_environment(self) -> bool:
        return self.ask is not None


@dataclass(frozen=True)
class Facts:
    """What compose knows about this reporter, read once for all sections."""

    project: Project | None
    wanted: PrintedRange | None
    wanted_line: int | None
    major: int | None
    machine: Machine
    env: Environment
    downstream: str | None = None  # the one OpenMMLab package the traceback runs through, if any
    ops: str = "mmcv"  # whose compiled CUDA code the error runs through: "mmcv", "mmdet" (before 2.3), "mmdet3d" (before 1.0), "torch"
    needed_major: int | None = None  # ``major`` told without the installed MMCV
    torch_warning: TorchArchWarning | None = None  # PyTorch's warning that its build lacks the GPU ("torch" ops)

    @property
    def torch_arch(self) -> str:
        """The GPU against PyTorch's build, by its warning: "newer", "older" or "unknown" (the
        warning cut, the GPU between the build's architectures, or its CUDA not in the table)."""
        warning = self.torch_warning
        return warning.relation if warning is not None and warning.needed_cuda is not None else "unknown"

    @property
    def package(self) -> str:
        """The package whose code the reporter runs: their project's, or for an issue filed on
        MMCV or MMEngine the one their traceback runs through (MMDetection, the FAQ's, if none)."""
        if self.project is not None and self.project.package not in ("mmcv", "mmengine"):
            return self.project.package
        return self.downstream or DEFAULT_PROJECT


def read_facts(text: IssueText, env: Environment) -> Facts:
    traced = traced_project(text)
    project = (project_named(text.project) if text.project else None) or traced
    found = printed_range(text)
    wanted, line = found if found else (table_range(env), None)
    if wanted is not None and wanted.asserted_by is None and wanted.package not in NOT_MMCV:
        # No frame says which package asserts it: the one the issue is about.
        if project is not None and project.package not in ("mmcv", "mmengine"):
            wanted = PrintedRange(wanted.package, wanted.bounds, wanted.installed, project)
    cuda = None
    if env.pytorch_cuda_build is False:
        cuda = "cpu"
    elif env.pytorch_cuda is not None:
        cuda = env.pytorch_cuda.series
    machine = Machine(env.pytorch, cuda, env.platform, runs_on_arm(text, env))
    major, needed_major = mmcv_majors(env, text, wanted, project)
    ops = ops_owner(text, env)
    return Facts(project, wanted, line, major, machine, env, traced.package if traced else None,
                 ops, needed_major, torch_arch_warning(text) if ops == "torch" else None)


# --- filling the placeholders -------------------------------------------------------------------

def _target(facts: Facts) -> Target:
    wanted = facts.wanted if facts.wanted is not None and facts.wanted.package not in NOT_MMCV else None
    keep = facts.env.mmcv if facts.env.mmcv is not None and facts.wanted is None else None
    caps = {}
    if facts.package == "mmdet":
        # MMDetection asserts a range in every release: without one known, the newest release's
        # range, so that the MMCV recommended is never one MMDetection refuses (2.2.0 for 3.x).
        # (MMCV 1.x: left open; the 2.x releases' ranges differ too much to pick one for the reporter)
        caps = {2: found} if (found := newest_range(2)) is not None else {}
    elif (project := project_of_package(facts.package)) is not None and project.mmcv2_below:
        # Its newest release refuses this MMCV and every later one (the project's __init__.py): the
        # MMCV recommended is never one it refuses (MMSegmentation 1.x and 2.2.0).
        caps = {2: PrintedRange("mmcv", (Bound("<", parse_version(project.mmcv2_below), project.mmcv2_below),),
                                None, project)}
    return Target(facts.major, wanted, keep, caps)


def _scope(miss: RegistryMiss | None, package: str) -> str:
    """The registry scope the missing class belongs in: the one the error names, except MMEngine's
    root, searched when the config sets no default scope; then the library that registers the class
    (the table's), else the reporter's package."""
    if miss is None or not miss.scope:
        return package
    if miss.scope.lower() != "mmengine":
        return miss.scope
    libraries = {row.library for row in name_table().by_name.get(miss.name, ())} - {"mmengine"}
    return libraries.pop() if len(libraries) == 1 else package


# The Visual Studio versions CUDA's host_config.h names in its refusal: "2012, 2013, 2015 and 2017"
# (CUDA 9.2), "between 2017 and 2022 (inclusive)" (CUDA 12)
_MSVC_VERSIONS = re.compile(r"Only the versions? ((?:between )?\d{4}[\d, and()inclusve]{0,60}?) (?:are|is) supported",
                            re.IGNORECASE)


def _registration(miss: RegistryMiss | None, package: str) -> dict[str, MessageValue]:
    """The decorator that registers the missing class and the ``__init__.py`` that imports such
    classes, by the registry the error names (models' where it names none or one not known)."""
    known = miss.registration() if miss else None
    decorator, folder = known or ("MODELS", None)
    if folder:
        init = Message("code", {"code": f"{package}/{folder}/__init__.py"})
    else:
        init = Message("registry-init-unknown" if folder == "" else "registry-models-init", {"package": package})
    code = Message("code", {"code": f"@{decorator}.register_module()"})
    return {"registry_decorator": code if known else Message("registry-decorator-unknown", {"code": code}),
            "registry_init": init}


def _fills(facts: Facts, section_quote: str, names: set[str]) -> dict[str, MessageValue]:
    """The values of the placeholders ``names`` for this reporter (only those: some plan installs)."""
    env = facts.env
    values: dict[str, MessageValue] = {}
    miss = registry_miss(section_quote)
    for name in names:
        if name in ("install_mmcv", "build_mmcv"):
            target = _target(facts)
            values[name] = install.plan(target, facts.machine) if name == "install_mmcv" else install.build(target)
        elif name == "uninstall_mmcv":
            installed = env.mmcv if env.mmcv is not None else (facts.wanted.installed if facts.wanted else None)
            distributions = tuple(distribution for distribution, _ in env.mmcv_distributions)
            values[name] = Message("code", {"code": install.uninstall(facts.major, installed, env.mmcv_package,
                                                                      distributions)})
        elif name in ("install_mmengine", "install_mmdet"):
            package = name.removeprefix("install_")
            wanted = facts.wanted
            command = (f'mim install "{wanted.spec}"' if wanted is not None and wanted.package == package
                       else f"mim install {package}")
            values[name] = Message("code", {"code": command})
        elif name == "mmcv_package":
            values[name] = install.PACKAGE[facts.major] if facts.major else Message("package-either")
        elif name == "needed_mmcv_package":
            major = facts.needed_major
            values[name] = install.PACKAGE[major] if major else Message("package-by-major")
        elif name == "collect_env":
            values[name] = Message("code", {"code": facts.project.collect_env if facts.project else GENERIC_COLLECT_ENV})
        elif name == "package":
            values[name] = _package(facts, miss)
        elif name == "project":
            project = project_of_package(_package(facts, miss))
            values[name] = project.name if project is not None else "OpenMMLab package"
        elif name in ("registry_decorator", "registry_init"):
            values.update(_registration(miss, _package(facts, miss)))
        elif name in ("scope", "registry_class", "registry_type"):
            values["scope"] = _scope(miss, _package(facts, miss))
            known = miss is not None and miss.name
            values["registry_class"] = Message("code", {"code": miss.name}) if known else Message("registry-class")
            written = f"{miss.owner}.{miss.name}" if known and miss.owner else (miss.name if known else "")
            values["registry_type"] = (Message("code", {"code": f"type='{written}'"}) if known
                                       else Message("registry-type"))
        elif name in ("registry_owner", "owner_project"):
            owner = miss.owner if miss is not None else ""
            values["registry_owner"] = owner
            project = project_of_package(owner) if owner else None
            values["owner_project"] = project.name if project is not None else owner
        elif name in ("arch_list", "gpu", "gpu_cuda", "cuda"):
            build = gpu_build(env)
            cuda = build.cuda.series if build.cuda else ""
            values["arch_list"] = ";".join(dict.fromkeys(built for _, built in build.targets)) or "8.6"
            values["gpu"] = tuple(
                Message("gpu-named", {"name": gpu.name, "arch": gpu.arch}) if built == gpu.arch else
                Message("gpu-built-as", {"name": gpu.name, "arch": gpu.arch, "built": built, "cuda": cuda})
                for gpu, built in build.targets) or tuple(
                Message("gpu-named", {"name": gpu.name, "arch": gpu.arch}) for gpu in known_gpus(env))
            values["gpu_cuda"] = build.needed.series if build.needed else ""
            values["cuda"] = cuda
        elif name == "ops_package":
            values[name] = OWN_OPS[facts.ops][0] if facts.ops in OWN_OPS else "MMCV"
        elif name == "ops_folder":
            values[name] = facts.ops if facts.ops in OWN_OPS else "mmcv"
        elif name == "ops_before":
            values[name] = OWN_OPS[facts.ops][1] if facts.ops in OWN_OPS else ""
        elif name in ("series_mmcv1", "series_mmcv2"):
            project = facts.project
            known = project is not None and project.mmcv2_from
            values["series_mmcv1"] = (Message("series-before", {"name": project.name, "version": project.mmcv2_from})
                                      if known else "")
            values["series_mmcv2"] = (Message("series-from", {"name": project.name, "version": project.mmcv2_from})
                                      if known else "")
        elif name == "msvc_versions":
            said = _MSVC_VERSIONS.search(section_quote)
            values[name] = Message("code", {"code": said[1]}) if said else ""
        elif name in ("torch_gpu", "torch_archs", "arch_cuda") and (warning := facts.torch_warning) is not None:
            needed = warning.needed_cuda
            values["torch_gpu"] = Message("gpu-sm", {"name": warning.gpu, "sm": warning.sm,
                                                     "arch": "{}.{}".format(*warning.capability)})
            values["torch_archs"] = Message("code", {"code": " ".join(warning.archs)})
            values["arch_cuda"] = needed.series if needed is not None else ""
        elif name == "torch_series":
            values[name] = "{}.{}".format(*facts.machine.series) if facts.machine.series else ""
    return values


def _package(facts: Facts, miss: RegistryMiss | None) -> str:
    """The reporter's package; where nothing else says, the project whose registry scope their error
    names ("mmseg::model" on a research repository built on MMSegmentation)."""
    if facts.project is None and facts.downstream is None and miss is not None and miss.scope:
        project = project_of_package(miss.scope)
        if project is not None and project.package not in ("mmcv", "mmengine"):
            return project.package
    return facts.package


def _holds(step: Step, facts: Facts, quote: str, gpu_state: str) -> bool:
    when = step.when
    if "mmcv" in when and not _is(when["mmcv"], str(facts.major) if facts.major else "unknown"):
        return False
    if "others_need" in when and not _is(when["others_need"], str(facts.needed_major) if facts.needed_major
                                         else "unknown"):
        return False
    if "gpu" in when and not _is(when["gpu"], gpu_state):
        return False
    if "environment" in when and not _is(when["environment"], "missing" if facts.env.is_empty() else "given"):
        return False
    if "range" in when and not _is(when["range"], facts.wanted.package.replace("mmcv-full", "mmcv")
                                   if facts.wanted is not None else "unknown"):
        return False
    if "ops" in when and not _is(when["ops"], facts.ops):
        return False
    if "torch_arch" in when and not _is(when["torch_arch"], facts.torch_arch):
        return False
    if "prebuilt" in when and not _is(when["prebuilt"], "none" if facts.machine.arm else "available"):
        return False
    if "registry_owner" in when:
        miss = registry_miss(quote)
        if not _is(when["registry_owner"], "another" if miss is not None and miss.from_another_package else "own"):
            return False
    if "error" in when and not re.search(when["error"], quote, re.IGNORECASE):
        return False
    if "unsettled" in when:
        names = (when["unsettled"],) if isinstance(when["unsettled"], str) else when["unsettled"]
        return not all(settled(facts.env, name) for name in names)
    return True


def _is(wanted: str | tuple[str, ...], actual: str) -> bool:
    """A step's condition met: its one value, or one of its list of values."""
    return actual == wanted if isinstance(wanted, str) else actual in wanted


def _filled(template: str, fills: Mapping[str, MessageValue]) -> Filled:
    names = PLACEHOLDER.findall(template)
    return Filled(template, {name: fills[name] for name in names})


# --- the quote: the error line as the reporter wrote it --------------------------------------------

def _quote_line(found: Match, text: IssueText, signatures: tuple[ErrorSignature, ...]) -> int:
    """The line to quote: the match's, but a body line holding the same error wins over the title
    (the title is the reporter's prose about it, the body is the error as printed)."""
    if found.evidence.line != 0:
        return found.evidence.line
    rule = found.rule
    lowered = text.lowered
    for regex in rule.regexes:
        if regex.anchors and not any(anchor in lowered for anchor in regex.anchors):
            continue  # none of the literals it needs (as the matcher checks): no search of the body
        hit = regex.compiled.search(text.text, text.offsets[1] if len(text.offsets) > 1 else len(text.text))
        if hit is not None:
            return text.line_at(hit.start())
    for phrase in rule.phrases:
        wanted = utils.default_process(phrase.phrase)
        for signature in signatures:
            line = signature.line
            if line and fuzz.partial_ratio(wanted, utils.default_process(text.lines[line])) >= phrase.min_score:
                return line
    return 0


# An exception's name where the error begins: "RuntimeError: ", "AssertionError："
_ERROR_START = re.compile(r"[A-Za-z_][\w.]{0,80}(?:Error|Exception|Warning)\s?[:：]\s?")
_DIAGNOSTIC_START = re.compile(r"\b(?:fatal )?error(?: C\d{4})?:", re.IGNORECASE)
_WORD_START = re.compile(r"[\w:]*.$")
_LONG_LINE = 120


def _error_span(line: str, rule: Rule) -> str | None:
    """The inline code span of a sentence that holds the error ("it gives `ModuleNotFoundError: ...`
    when ..."), or None."""
    spans = list(_CODE_SPAN.finditer(line))
    # A span closed against a word ("... the value of `MyHead` is correct" read as the span "... the
    # value of ") was cut at a name the message quotes itself: such a line is not cut into spans.
    if not spans or any(_WORD_CHAR.match(line, span.end()) for span in spans):
        return None
    for regex in rule.regexes:
        hit = regex.compiled.search(line)
        if hit is not None:
            return next((span[1].strip() for span in spans if span.start() < hit.start() < span.end()), None)
    return next((span[1].strip() for span in spans if _ERROR_START.match(span[1].strip())), None)


_CODE_SPAN = re.compile(r"`([^`]+)`")
_WORD_CHAR = re.compile(r"\w")


def _width(line: str) -> int:
    """The line's width on screen: a Chinese character takes two columns."""
    return len(line) + (len(_CJK_CHAR.findall(line)) if not line.isascii() else 0)


_SENTENCE_END = re.compile(r"[.?!。？！](?:\s|$)")
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


# "[Bug] ", "[Feature] ", "【BUG】": the tag an issue template puts before a title.
_TITLE_TAG = re.compile(r"^(?:[\[【][\w -]{1,20}[\]】]\s*)+")


def _quote(text: IssueText, line: int, rule: Rule) -> str:
    """The error as written: the reporter's line; in a sentence, the code span holding the error;
    in a long line of prose, the error in it (from its exception's name to the end of the matched
    message)."""
    quote = text.raw_line(line).strip()
    if line == 0:  # the issue templates' tag ("[Bug] ...") is the title's, not the error's
        quote = _TITLE_TAG.sub("", quote, count=1)
    span = _error_span(quote, rule) if "`" in quote and line not in text.fenced_lines else None
    if span is not None:
        quote = _error_in(span, rule)
    elif _width(quote) > _LONG_LINE:
        quote = _error_in(quote, rule)
    for opening, closing in _REPORTERS_MARKS:  # the reporter's own quotation marks around a pasted error
        if quote.endswith(closing) and opening not in quote:
            quote = quote[: -len(closing)].rstrip()
        elif quote.startswith(opening) and closing not in quote:
            quote = quote[len(opening):].lstrip()
    return quote if len(quote) <= MAX_QUOTE_CHARS else quote[: MAX_QUOTE_CHARS - 1] + "…"


_REPORTERS_MARKS = (("“", "”"), ("「", "」"), ("『", "』"))


def _error_in(line: str, rule: Rule) -> str:
    """The error a line of prose holds: from the exception's name (or the compiler's "error:") to
    the end of the message the rule matched; a registry error a finding read, to the end of its
    first sentence."""
    for regex in rule.regexes:
        hit = regex.compiled.search(line)
        if hit is None:
            continue
        window = (max(0, hit.start() - 120), hit.start() + 1)
        # from the exception's name, else from a compiler's "error:" (an nvcc or MSVC line that
        # names its file first), else from the start of the word the match begins inside
        starts = [found.start() for found in _ERROR_START.finditer(line, *window)]
        diagnostic = _DIAGNOSTIC_START.search(line, *window)  # the first: "fatal error C1189: #error: ..."
        if starts:
            start = starts[-1]
        else:
            start = diagnostic.start() if diagnostic else _WORD_START.search(line[: hit.start() + 1]).start()
        end = hit.end()
        rest = re.search(r"[`'\"]|\.(?:\s|$)", line[end:])
        if rest is None or rest.start() >= 200:
            end = len(line)
        else:
            # a quote mark the message opened ("from 'mmcv") is closed in the quote, not cut off
            mark = rest.group()[0]
            opened = mark in "`'\"" and line.count(mark, start, end + rest.start()) % 2 == 1
            end += rest.end() if opened else rest.start()
        return line[start:end].strip()
    error = _ERROR_START.search(line)
    if error is None or error.start() <= 1:  # a pasted error line (in its code span's marks) stays whole
        return line
    sentence_end = _SENTENCE_END.search(line, error.end())
    quote = line[error.start(): sentence_end.start() + 1 if sentence_end else len(line)]
    return quote + "'" if quote.count("'") % 2 else quote


# --- the answer --------------------------------------------------------------------------------------

def compose_hints(language: str, hints: Iterable[Finding]) -> Answer:
    """The answer when no FAQ entry matched but the error says something sure (a misspelt class name)."""
    return Answer(language, (), (), None, (), tuple(hint for hint in hints if hint.message))


def compose(language: str, text: IssueText, signatures: tuple[ErrorSignature, ...], env: Environment,
            matches: Iterable[Match], diagnoses: Iterable[Diagnosis], ask_for_environment: bool = True,
            hints: Iterable[Finding] = ()) -> Answer:
    """The answer to this reporter for the matched rules (best first); with ``ask_for_environment``,
    it asks for their environment (collect_env, or pip's list) when the issue has none and a rule
    would check something in it."""
    matches = list(matches)[:MAX_ANSWERS]
    diagnoses = tuple(diagnoses)
    facts = read_facts(text, env)
    gpu_state = gpu_build(env).state
    sections = []
    used: set[str] = set()
    diagnosed = {diagnosis.id for diagnosis in diagnoses}
    for found in matches:
        line = _quote_line(found, text, signatures)
        quote = _quote(text, line, found.rule)
        rule = found.rule
        holding = [step for step in rule.steps if _holds(step, facts, quote, gpu_state)]
        if facts.ops in OWN_OPS and any("ops" in step.when for step in holding):
            used.add("ops")  # MMDetection's own ops may be told from its installed release
        templates = [rule.answer[language], *(step.text[language] for step in holding)]
        fills = _fills(facts, quote, {name for template in templates for name in PLACEHOLDER.findall(template)})
        summary, *steps = (_filled(template, fills) for template in templates)
        for piece in (summary, *steps):
            used.update(piece.values)
        notes = tuple(note for note in _notes(found.findings)
                      if not _SAID_BY_DIAGNOSES.get(note.message, frozenset()) & diagnosed)
        sections.append(Section(rule.id, rule.title[language], quote, line, summary, tuple(steps),
                                _faq(rule, facts), notes, found.described))
    range_finding = _range_finding(facts, env) if any(_speaks_of_range(m.rule) for m in matches) else None
    # The range finding says what the incompatibility diagnosis would, and more: one line, not two.
    findings = [diagnosis.message for diagnosis in diagnoses
                if range_finding is None or diagnosis.id != _RANGE_DIAGNOSIS]
    if range_finding is not None:
        findings.insert(0, range_finding)
    if any(_builds_from_source(m.rule) for m in matches) and (note := _nvcc_finding(env)) is not None:
        findings.append(note)
    ask = _ask(matches, env, facts, used) if ask_for_environment else None
    rows = _env_rows(env, diagnoses, facts, used)
    return Answer(language, tuple(findings), tuple(sections), ask, tuple(rows),
                  tuple(hint for hint in hints if hint.message))


def _faq(rule: Rule, facts: Facts) -> str:
    """The project's own FAQ where it holds these entries; else the FAQ the rule comes from."""
    if facts.project is not None and rule.faq.startswith("https://mmdetection.readthedocs.io/"):
        return facts.project.faq_url
    return rule.faq


def _ask(matches: list[Match], env: Environment, facts: Facts, used: set[str]) -> Message | None:
    """The request for the environment, naming the checks its output would settle; None when no
    rule has one open."""
    # The error that printed the accepted range and the installed version answered the range's question.
    settled = facts.wanted is not None and facts.wanted.installed is not None
    asking = [(m.rule, checks) for m in matches
              if (checks := tuple(c for c in open_checks(env, m.rule) if c not in _left_out(m.rule, facts)))
              and not (settled and _speaks_of_range(m.rule))]
    if not asking:
        return None
    keys = []
    open_anywhere = {check for _, checks in asking for check in checks}
    # The build that fits their PyTorch is what the CUDA-mismatch check looks up: one phrase says both.
    if ("install_mmcv" in used and (facts.machine.torch is None or facts.machine.cuda is None)
            and "cuda-version-mismatch" not in open_anywhere):
        keys.append("check-install")
    for rule, checks in asking:
        for check in checks:
            if check == WINDOWS_CASE_CONFIRMED and rule.windows_case is not None:
                keys.append("check-windows-pytorch" if rule.windows_case.pytorch else "check-windows-nvcc")
            else:
                keys.append("check-" + check)
    phrases = [Message(key) for key in dict.fromkeys(keys)]
    checks: MessageValue = phrases[0] if len(phrases) == 1 else Message(
        "checks-list", {"first": tuple(phrases[:-1]), "last": phrases[-1]})
    return Message("ask", {"command": _environment_command([rule for rule, _ in asking], facts), "checks": checks})


# The checks PyTorch's warning that its build lacks the GPU settles: PyTorch is replaced first, and MMCV with it.
_SETTLED_BY_TORCH_WARNING = frozenset({"gpu-not-in-pytorch-build", "cuda-version-mismatch"})


def _left_out(rule: Rule, facts: Facts) -> frozenset[str]:
    """Checks not worth asking for: of MMCV's package and build, when the rule answers by whose ops
    fail and they are MMDetection's own."""
    if facts.ops in OWN_OPS and any("ops" in step.when for step in rule.steps):
        return OF_MMCV_OPS
    if facts.torch_arch != "unknown" and any("torch_arch" in step.when for step in rule.steps):
        return _SETTLED_BY_TORCH_WARNING
    return frozenset()


def _environment_command(rules: Iterable[Rule], facts: Facts) -> str:
    """What to ask the reporter to run: pip's list when an answered error would stop collect_env too."""
    if any(rule.environment_from == PIP_LIST for rule in rules):
        return PIP_LIST_COMMAND
    return facts.project.collect_env if facts.project else GENERIC_COLLECT_ENV


def _notes(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings that add a sentence, each sentence once: the same error in the title and in
    the body is one note, not two."""
    notes: dict[tuple[str, tuple[tuple[str, str], ...]], Finding] = {}
    for finding in findings:
        if finding.message:
            notes.setdefault((finding.message, finding.fields), finding)
    # the same symbol told with its library (from the body) makes the title's note without it redundant
    named = {(note.message, dict(note.fields).get("symbol")) for note in notes.values()}
    return tuple(note for note in notes.values() if not (
        note.message.endswith(UNNAMED) and (note.message[: -len(UNNAMED)], dict(note.fields).get("symbol")) in named))


# An error's note that a diagnosis of the environment says as well, and more: the diagnosis alone.
_SAID_BY_DIAGNOSES = {
    "ops-missing-mmcv1": frozenset({"mmcv-without-ops"}),
    "ops-missing-mmcv2": frozenset({"mmcv-without-ops"}),
}
_RANGE_DIAGNOSIS = "mmcv-mmdet-incompatible"


def _speaks_of_range(rule: Rule) -> bool:
    return _RANGE_DIAGNOSIS in rule.diagnoses


def _builds_from_source(rule: Rule) -> bool:
    return any("{{build_mmcv}}" in step.text["en"] or "pip install -e ." in step.text["en"] for step in rule.steps)


def _range_finding(facts: Facts, env: Environment) -> Message | None:
    wanted = facts.wanted
    if wanted is None:
        return None
    project = wanted.asserted_by
    if project is not None and wanted.asserted_by_version:
        asserted: MessageValue = Message("range-required", {"name": project.name, "version": wanted.asserted_by_version})
    elif project is not None:
        asserted = Message("range-asserted", {"name": project.name, "package": project.package})
    else:
        asserted = Message("range-unknown")
    installed: MessageValue = ""
    if wanted.installed is not None:
        name = {"mmengine": "MMEngine", "mmdet": "MMDetection"}.get(wanted.package, "MMCV")
        installed = Message("range-installed", {"package": name, "version": str(wanted.installed)})
    found = Message("range-found", {"asserted": asserted, "printed": wanted.spec, "installed": installed})
    if (project is not None and project.mmcv2_from and wanted.major == 1 and wanted.installed is not None
            and wanted.installed.release[0] == 2):
        return Message("range-keep", {"found": found, "name": project.name, "version": project.mmcv2_from,
                                      "installed": str(wanted.installed)})
    return found


def _nvcc_finding(env: Environment) -> Message | None:
    if env.nvcc is None or env.pytorch_cuda is None or env.nvcc.major_minor() == env.pytorch_cuda.major_minor():
        return None
    return Message("nvcc-mismatch", {"nvcc": env.nvcc.series,
                                     "torch_cuda": env.pytorch_cuda.series})


# Environment fields behind each placeholder (and "ops", a step chosen by whose ops they are): the
# folded block shows what the answer used.
_FIELDS_OF = {
    "install_mmcv": ("pytorch", "pytorch_cuda", "platform", "mmcv", "mmdet", "projects"),
    "uninstall_mmcv": ("mmcv",),
    "ops": ("mmdet",),
    "arch_list": ("gpus", "nvcc", "pytorch_cuda"),
    "gpu": ("gpus",),
    "gpu_cuda": ("gpus",),
    "cuda": ("nvcc", "pytorch_cuda"),
}


def _env_rows(env: Environment, diagnoses: tuple[Diagnosis, ...], facts: Facts,
              used: set[str]) -> list[tuple[str, str]]:
    """The environment facts the answer used, in collect_env's order: those the diagnoses rest on
    and those the filled commands were made from. None when nothing was concluded from it."""
    if env.is_empty():
        return []
    names = {name for placeholder in used for name in _FIELDS_OF.get(placeholder, ())}
    if not facts.machine.series:
        names -= {"pytorch", "pytorch_cuda", "platform"}
    if "gpus" in names and not known_gpus(env):
        names.discard("gpus")
    stated = {label: value for diagnosis in diagnoses for label, value in diagnosis.facts.items()}
    names |= {name for name, label in FIELD_LABELS.items() if label in stated}
    if any(label.startswith("GPU") or label in {gpu.name for gpu in env.gpus} for label in stated):
        names.add("gpus")
    rows = env.rows_for(names)
    shown = {label for label, _ in rows}
    rows += [(label, value) for label, value in stated.items()
             if label not in shown and label not in {gpu.name for gpu in env.gpus}]
    return rows
