"""What the reporter's issue says about them, beyond the environment: their project, their MMCV major,
the version range their error printed, their GPUs (pure).

Every fact here comes from the issue's own words (the repository it was filed on, the traceback's
paths, the error line, the environment read by bot/environment.py) or from the shipped tables; a
fact that cannot be told is None, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from bot.environment import Environment, Gpu
from bot.issue import IssueText
from bot.reference_tables import (Project, arch_table, arch_to_build, compat_table, compute_capability, gpu_words,
                                  gpu_table, project_named, project_of_package)
from bot.version import Version, parse_version

# --- the version range an error printed ---------------------------------------------------------

# mmdet/mmseg/...'s assertion: "MMCV==2.2.0 is used but incompatible. Please install mmcv>=2.0.0rc4, <2.2.0."
# (bounds may be digit tuples: ">=(1, 3, 17, 0, 0, 0), <=(1, 8, 0, 0, 0, 0)"; the upper one may be absent)
_ASSERTION = re.compile(
    r"\b(MMCV|MMEngine|MMDetection)\s?==\s?(?P<installed>[\w.+-]{1,40}) is used but incompat\w{0,6}\.?\s{0,3}"
    r"Please install (?P<package>mmcv-full|mmcv|mmengine|mmdet)\s?(?P<bounds>[^\n]{0,120})",
    re.IGNORECASE,
)
# The ranges that are not of MMCV: MMOCR and MMRotate assert MMDetection's too ("MMDetection==3.3.0 is
# used but incompatible. Please install mmdet>=3.0.0rc5, <3.2.0.")
NOT_MMCV = ("mmengine", "mmdet")
# pip's resolver: "mmdet 3.3.0 requires mmcv<2.2.0,>=2.0.0rc4, but you have mmcv 2.2.0 which is incompatible."
_PIP_CONFLICT = re.compile(
    r"\b(?P<requirer>[a-z][\w-]{1,30}) (?P<requirer_version>[\w.+]{1,30}) requires (?P<package>mmcv-full|mmcv|mmengine)"
    r"(?P<bounds>[<>=!~][^,;\s]{1,40}(?:,\s?[<>=!~][^,;\s]{1,40}){0,3})(?:; ?extra ?== ?\S{1,20})?,? "
    r"but you have (?:mmcv-full|mmcv|mmengine) "
    r"(?P<installed>[\w.+-]{1,40}) which is incompat",
    re.IGNORECASE,
)
# A bound's version as printed: "1.3.17", digit_version's tuple "(1, 3, 17, 0, 0, 0)", or the list
# older releases printed ("[1, 3, 7]": MMSegmentation 0.x's digit_version returned one).
# pip's resolver refusing an install: "mmdet3d 1.4.0 depends on mmcv<2.2.0 and >=2.0.0rc4", below
# "The user requested mmcv==2.2.0" (what the reporter asked for, not what is installed).
_PIP_DEPENDS = re.compile(
    r"\b(?P<requirer>mm[a-z0-9]{1,12})(?:\[[\w,-]{1,30}\])? (?P<requirer_version>[\w.+-]{1,30}) depends on "
    r"(?P<package>mmcv-full|mmcv|mmengine)"
    r"(?P<bounds> ?[<>=!~][^,;\s]{1,40}(?:(?:,| and) ?[<>=!~][^,;\s]{1,40}){0,3})",
    re.IGNORECASE,
)
_BOUND = re.compile(r"(>=|<=|>|<|==)\s?(\((?:\s?-?\d{1,6},?){1,8}\)|\[(?:\s?-?\d{1,6},?){1,8}\]|[0-9][\w.]*[0-9a-z])")
# The frame that raised it: File ".../mmseg/__init__.py", line 61, in <module>
_INIT_FRAME = re.compile(r"""[/\\](\w+)[/\\]__init__\.py["']?, line \d+""")


@dataclass(frozen=True)
class Bound:
    op: str  # ">=", "<=", ">", "<"
    version: Version
    text: str  # as printed

    def holds(self, version: Version) -> bool:
        bound = self.version
        if self.op == ">=":
            return version >= bound
        if self.op == ">":
            return version > bound
        if self.op == "<":
            return version < bound
        # "<=1.3": mmdet 2.x compares lists, so [1, 3, 0] > [1, 3] and 1.3.0 is refused; mmcv's
        # padded digit_version accepts it. Only what both accept is recommended.
        if len(bound.release) < 3:
            return version < Version(bound.release + (0,) * (3 - len(bound.release)))
        return version <= bound


@dataclass(frozen=True)
class PrintedRange:
    """A version range the reporter's error printed, and what printed it."""

    package: str  # "mmcv", "mmcv-full" or "mmengine", as printed
    bounds: tuple[Bound, ...]
    installed: Version | None  # the version the error says is there
    asserted_by: Project | None  # the project whose __init__.py (or pip requirement) printed it
    asserted_by_version: str = ""  # pip's message names the requirer's version

    def holds(self, version: Version) -> bool:
        return all(bound.holds(version) for bound in self.bounds)

    @property
    def spec(self) -> str:
        """The range in pip's words: mmcv>=2.0.0rc4,<2.2.0."""
        return self.package + ",".join(_pip_bound(bound) for bound in self.bounds)

    @property
    def printed(self) -> str:
        return ", ".join(f"{bound.op}{bound.text}" for bound in self.bounds)

    @property
    def major(self) -> int | None:
        """The MMCV major the range asks for (None for MMEngine's or MMDetection's)."""
        if self.package in NOT_MMCV:
            return None
        majors = {bound.version.release[0] for bound in self.bounds if bound.op in (">=", ">")}
        return majors.pop() if len(majors) == 1 else None


def _pip_bound(bound: Bound) -> str:
    if bound.op == "<=" and len(bound.version.release) < 3:  # what both readings of "<=1.3" accept
        return "<" + ".".join(map(str, bound.version.release + (0,) * (3 - len(bound.version.release))))
    return bound.op + str(bound.version)


def _bound_version(text: str) -> Version | None:
    if text.startswith(("(", "[")):  # digit_version's tuple (1, 3, 17, 0, 0, 0), or list [1, 3, 7]
        digits = [int(part) for part in re.findall(r"-?\d+", text)]
        if len(digits) < 3 or any(digit < 0 for digit in digits[:3]):
            return None
        release = digits[:3]
        return Version(tuple(release))
    return parse_version(text)


def _bounds(text: str) -> tuple[Bound, ...]:
    found = []
    for op, value in _BOUND.findall(text):
        if op == "==":
            return ()
        version = _bound_version(value)
        if version is None:
            return ()
        found.append(Bound(op, version, value))
    return tuple(found)


def printed_range(text: IssueText) -> tuple[PrintedRange, int] | None:
    """The first version range the issue's error printed, and its line."""
    # Each pattern runs only on the lines holding its literal: a 64 KB text has a thousand others.
    for number in text.lines_holding(("is used but incompat",)):
        found = _ASSERTION.search(text.lines[number])
        if found and (bounds := _bounds(found["bounds"])):
            asserted = _asserting_frame(text, number)
            installed = parse_version(found["installed"])
            if installed is not None and all(bound.holds(installed) for bound in bounds):
                # The check refused a version its message accepts: the message printed only part of
                # the range (MMSegmentation 1.x checks mmcv < 2.2.0 and prints "mmcv>=2.0.0rc4"), so
                # the refused version bounds it from above.
                bounds += (Bound("<", installed, str(installed)),)
            return PrintedRange(found["package"].lower(), bounds, installed, asserted), number
    for number in text.lines_holding(("which is incompat",)):
        found = _PIP_CONFLICT.search(text.lines[number])
        if found and (bounds := _bounds(found["bounds"].replace(",", " "))):
            requirer = project_of_package(found["requirer"].lower().replace("-", "_"))
            return PrintedRange(found["package"].lower(), bounds, parse_version(found["installed"]),
                                requirer, found["requirer_version"] if requirer else ""), number
    for number in text.lines_holding(("depends on mm",)):
        found = _PIP_DEPENDS.search(text.lines[number])
        if found and (bounds := _bounds(found["bounds"])):
            requirer = project_of_package(found["requirer"].lower())
            return PrintedRange(found["package"].lower(), bounds, None, requirer,
                                found["requirer_version"] if requirer else ""), number
    return None


def _asserting_frame(text: IssueText, line: int) -> Project | None:
    """The package whose ``__init__.py`` frame comes just before the assertion, if the traceback shows it."""
    for number in range(line - 1, max(0, line - 5), -1):
        found = _INIT_FRAME.search(text.lines[number])
        if found:
            return project_of_package(found[1])
    return None


def table_range(env: Environment) -> PrintedRange | None:
    """The range the reported MMDetection release asserts, from the shipped table, when the
    reported MMCV is outside it (the same verdict as the mmcv-mmdet-incompatible diagnosis)."""
    mmcv, mmdet = env.mmcv, env.mmdet
    if mmcv is None or mmdet is None or len(mmcv.release) < 3 or len(mmdet.release) < 2 or mmdet.local:
        return None
    rows = [row for row in compat_table()
            if row.mmdet.pre == mmdet.pre and row.mmdet.release[: len(mmdet.release)] == mmdet.release]
    if not rows or len({(row.mmcv_min, row.mmcv_max) for row in rows}) != 1 or any(row.accepts(mmcv) is not False
                                                                                  for row in rows):
        return None
    row = rows[0]
    low, high = parse_version(row.mmcv_min), parse_version(row.mmcv_max)
    upper = Bound("<", high, row.mmcv_max) if row.mmdet.release[0] >= 3 else Bound("<=", high, row.mmcv_max)
    package = "mmcv" if row.mmdet.release[0] >= 3 else "mmcv-full"
    return PrintedRange(package, (Bound(">=", low, row.mmcv_min), upper), mmcv, project_of_package("mmdet"),
                        str(mmdet))


def newest_range(major: int) -> PrintedRange | None:
    """The range the newest MMDetection release made for this MMCV major asserts (the table's last
    such row): what an MMDetection user whose release is not known can install safely."""
    rows = [row for row in compat_table() if row.mmdet.release[0] == major + 1]
    if not rows:
        return None
    row = max(rows, key=lambda row: row.mmdet)
    low, high = parse_version(row.mmcv_min), parse_version(row.mmcv_max)
    upper = Bound("<", high, row.mmcv_max) if major == 2 else Bound("<=", high, row.mmcv_max)
    return PrintedRange("mmcv" if major == 2 else "mmcv-full", (Bound(">=", low, row.mmcv_min), upper), None,
                        project_of_package("mmdet"), str(row.mmdet))


# --- the project and the MMCV major ---------------------------------------------------------------

# Paths that exist in one MMCV major only: mmcv/runner, mmcv/parallel and mmcv/utils/registry.py
# moved to MMEngine in 2.x; mmengine/ in a traceback means an MMEngine-era (MMCV 2.x) stack.
# Each opens with its package's name, which re finds at C speed (the separator before it is looked
# behind for): a pattern opening with a class is tried at every character of 64 KB of logs.
_MMCV1_PATH = re.compile(
    r"mmcv(?:_full-1\.|(?<=[/\\]mmcv)[/\\](?:(?:runner|parallel|fileio)[/\\]|utils[/\\]registry\.py))")
_MMCV2_PATH = re.compile(r"mmengine(?<=[/\\]mmengine)[/\\]")

# MMDetection before 2.3 compiled CUDA ops of its own (mmdet/ops/*.cu, built by its setup.py; its
# 2.2.1 release notes: "the last release that requires building CUDA ops"); 2.3 to 2.7 kept
# mmdet/ops as wrappers of MMCV's, and every other OpenMMLab project uses MMCV's (mmcv/ops, _ext).
_MMDET_OPS = re.compile(r"mmdet(?<=[/\\ =]mmdet)[/\\]ops[/\\]")
# MMDetection3D before 1.0 did the same (mmdet3d/ops/*.cu: ball_query, voxel, spconv, ...), moved to
# MMCV in 1.0.0rc0.
_MMDET3D_OPS = re.compile(r"mmdet3d(?<=[/\\ =]mmdet3d)[/\\]ops[/\\]")
# The projects that built CUDA ops of their own, and the release that stopped: the answers name them.
OWN_OPS = {"mmdet": ("MMDetection", "2.3"), "mmdet3d": ("MMDetection3D", "1.0")}
_MMCV_OPS = re.compile(r"mmcv(?<=[/\\ .]mmcv)[/\\.](?:ops\b|_ext\b)")


_LAST_MMDET_WITH_OWN_OPS = parse_version("2.2.1")
# PyTorch's warning when its own build lacks the GPU's architecture (torch/cuda/__init__.py):
# "NVIDIA GeForce RTX 3090 with CUDA capability sm_86 is not compatible with the current PyTorch
# installation." Every op built against that PyTorch lacks it too: PyTorch comes first.
_TORCH_WITHOUT_ARCH = "is not compatible with the current pytorch installation"


# Its two lines as torch/cuda/__init__.py prints them: the GPU's name and capability, then the
# architectures the build has ("sm_37 sm_50 ... compute_37"; PyTorch 1.x printed no "NVIDIA ").
_TORCH_ARCH_WARNING = re.compile(
    r"(?P<gpu>[^\n:]{2,80}?) with CUDA capability sm_(?P<sm>\d{2,3}) is not compatible with the current PyTorch "
    r"installation\.?[ \t]*\n?[ \t]*The current PyTorch install supports CUDA capabilities "
    r"(?P<archs>(?:sm|compute)_\d{2,3}(?:[ \t]{1,3}(?:sm|compute)_\d{2,3}){0,30})",
    re.IGNORECASE)


@dataclass(frozen=True)
class TorchArchWarning:
    """PyTorch's own warning that its build lacks the reporter's GPU, read whole."""

    gpu: str  # as the warning names it: "NVIDIA GeForce RTX 3090"
    capability: tuple[int, int]  # sm_86: (8, 6)
    archs: tuple[str, ...]  # the build's, as printed: ("sm_37", "sm_50", ...)

    @property
    def sm(self) -> str:
        return "sm_{}{}".format(*self.capability)

    @property
    def relation(self) -> str:
        """"newer" when the GPU is newer than every architecture of the build (a new GPU, an old
        PyTorch), "older" when older than every one (a Kepler board, a recent PyTorch), else
        "unknown" (between two: nothing simple to say)."""
        built = [_capability(arch[len("sm_"):]) for arch in self.archs if arch.lower().startswith("sm_")]
        if not built:
            return "unknown"
        if self.capability > max(built):
            return "newer"
        return "older" if self.capability < min(built) else "unknown"

    @property
    def needed_cuda(self) -> Version | None:
        """For a newer GPU, the first CUDA that builds for it; for an older one, the last
        (rules/data/cuda_archs.csv); None when the table does not say."""
        row = next((row for row in arch_table() if row.capability == self.capability), None)
        if row is None:
            return None
        return row.first if self.relation == "newer" else row.last if self.relation == "older" else None


def _capability(digits: str) -> tuple[int, int]:
    """"86" -> (8, 6), "120" -> (12, 0): the last digit is the minor."""
    return int(digits[:-1]), int(digits[-1])


def torch_arch_warning(text: IssueText) -> TorchArchWarning | None:
    """PyTorch's warning that its build lacks the GPU's architecture, with the build's list; None
    when it is absent or cut (the first line alone says which GPU, not what to install)."""
    if _TORCH_WITHOUT_ARCH not in text.lowered:
        return None
    found = _TORCH_ARCH_WARNING.search(text.text)
    if found is None:
        return None
    gpu = found["gpu"].strip().removeprefix("UserWarning").strip(" :")
    return TorchArchWarning(gpu, _capability(found["sm"]), tuple(found["archs"].split()))


def ops_owner(text: IssueText, env: Environment) -> str:
    """Whose compiled CUDA code the issue's error runs through: "torch" when PyTorch warns that its
    build lacks the GPU's architecture; "mmdet" ("mmdet3d") when only MMDetection's (MMDetection3D's)
    own ops (mmdet/ops) show in its paths, or, for MMDetection, when no path says and the installed
    release still built its own; else "mmcv"."""
    if _TORCH_WITHOUT_ARCH in text.lowered:
        return "torch"
    # the library a loading error names says it first: MMDetection3D 0.x's traceback runs through
    # mmcv/ops too, but "mmdet3d/ops/ball_query/ball_query_ext...so: undefined symbol" is its own
    for number in text.lines_holding(("undefined symbol", "cannot open shared object", "dll load failed")):
        line = text.lines[number]
        for owner, pattern in (("mmdet3d", _MMDET3D_OPS), ("mmdet", _MMDET_OPS), ("mmcv", _MMCV_OPS)):
            if pattern.search(line):
                return owner
    body = text.text
    if "mmcv" in body and _MMCV_OPS.search(body):
        return "mmcv"
    if "mmdet3d" in body and _MMDET3D_OPS.search(body):
        return "mmdet3d"
    if "mmdet" in body and _MMDET_OPS.search(body):
        return "mmdet"
    return "mmdet" if env.mmdet is not None and env.mmdet <= _LAST_MMDET_WITH_OWN_OPS else "mmcv"


def project_of(text: IssueText) -> Project | None:
    """The OpenMMLab project the issue concerns: the repository it was filed on, else the one
    package its tracebacks run through (research code built on MMDetection has mmdet/ paths)."""
    project = project_named(text.project) if text.project else None
    return project if project is not None else traced_project(text)


_TRACED = ("mmdet3d", "mmdet", "mmseg", "mmpose", "mmaction", "mmrotate", "mmocr", "mmpretrain", "mmyolo")
# A package's folder in a path, "/mmdet/" or "\\mmdet\\": each pattern opens with its literal
# ("/mm"), which re finds at C speed; a scan per package and separator cost 0.6 ms on 64 KB of logs.
_TRACED_FOLDERS = tuple(
    re.compile(f"{re.escape(separator)}({'|'.join(_TRACED)}){re.escape(separator)}") for separator in "/\\"
)


def traced_project(text: IssueText) -> Project | None:
    """The one OpenMMLab package (other than MMCV) the issue's paths run through, if only one."""
    body = text.text
    if "mm" not in body:
        return None
    packages = {package for folder in _TRACED_FOLDERS for package in folder.findall(body)}
    return project_of_package(packages.pop()) if len(packages) == 1 else None


# An ARM Linux machine: OpenMMLab's wheel index holds x86-64 (and Windows) wheels only.
_ARM_WORDS = ("aarch64", "arm64", "jetson", "jetpack")


def runs_on_arm(text: IssueText, env: Environment) -> bool:
    """Whether the issue says its machine is ARM Linux (a Jetson, "aarch64"); a Mac's arm64 is not
    this case (darwin has its own wheels). Looked up in the text's words: a regex opening with \b
    walked a 64 KB log character by character."""
    return env.platform not in ("darwin", "win32") and any(word in text.words for word in _ARM_WORDS)


def mmcv_majors(env: Environment, text: IssueText, wanted: PrintedRange | None, project: Project | None = None
                ) -> tuple[int | None, int | None]:
    """The MMCV major the reporter needs: what the printed range asks for, else what every other
    sign agrees on (the installed MMCV or its package, MMDetection's major, MMEngine, the other
    projects' releases, the traceback's paths, a PyTorch older than the issue's project's releases
    for MMCV 2.x run on); None when nothing says or the signs disagree. Second, the same told
    without the installed MMCV, which a version mismatch puts in doubt."""
    if wanted is not None and wanted.major in (1, 2):
        return wanted.major, wanted.major
    signs = set()
    if project is not None and project.mmcv2_torch_from and env.pytorch is not None \
            and env.pytorch < parse_version(project.mmcv2_torch_from):
        signs.add(1)  # MMDetection 3.x needs PyTorch 1.8: on PyTorch 1.6 the reporter runs MMDetection 2.x
    if env.mmdet is not None and env.mmdet.release[0] in (2, 3):
        signs.add(env.mmdet.release[0] - 1)
    if env.mmengine is not None:
        signs.add(2)
    for package, version in env.projects:  # MMSegmentation 0.30.0 needs MMCV 1.x, 1.2.2 MMCV 2.x
        project = project_of_package(package)
        if project is not None and project.mmcv2_from:
            signs.add(2 if version >= parse_version(project.mmcv2_from) else 1)
    body = text.text
    if _MMCV1_PATH.search(body):
        signs.add(1)
    if _MMCV2_PATH.search(body):
        signs.add(2)
    return _agreed(signs | _installed_mmcv_majors(env)), _agreed(signs)


def _agreed(signs: set[int]) -> int | None:
    return next(iter(signs)) if len(signs) == 1 else None


def _installed_mmcv_majors(env: Environment) -> set[int]:
    signs = set()
    if env.mmcv_package == "mmcv-full":
        signs.add(1)
    elif env.mmcv_package == "mmcv-lite":
        signs.add(2)
    if env.mmcv is not None and env.mmcv.release[0] in (1, 2):
        signs.add(env.mmcv.release[0])
    return signs


# --- GPUs -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KnownGpu:
    name: str
    capability: tuple[int, int]

    @property
    def arch(self) -> str:
        return "{}.{}".format(*self.capability)


# A GPU in the reporter's words ("4 张 Tesla K80", "on an RTX 3090", "gtx1080ti", nvidia-smi's table).
# Looked for only where a word says one may stand: the series that open a consumer or workstation
# model, and the data-centre models of three characters or more ("K80", "A100"; "T4" needs "Tesla").
_GPU_SERIES = ("rtx", "gtx", "titan", "quadro", "tesla")
_PROSE_GPU = re.compile(
    r"(?<![\w.-])(?:(?:nvidia|geforce|tesla|quadro)[ -]?){0,2}"
    r"(?:(?P<series>rtx|gtx)[ -]?(?P<number>\d{3,4})(?:[ -]?(?P<tier>ti|super))?"
    r"|titan[ -]?(?:xp|x|v|rtx)|rtx[ -]?a\d{4}|[kmptvahlb]\d{1,3}[a-z]?)"  # "K40m", "V100S", "L40S"
    r"(?:-\w{1,12}){0,3}(?![\w-]|\.\w)",  # "A100-SXM4-40GB", "an RTX 3090." (not "v1.0")
    re.IGNORECASE)


@cache
def _data_centre_words() -> frozenset[str]:
    return frozenset(words[0] for words in gpu_table() if len(words) == 1 and len(words[0]) >= 3)


def gpu_named(text: IssueText) -> tuple[str, int] | None:
    """The one GPU model the issue names in words, and the first line naming it; None when it names
    none the table knows, or several (a comparison: "fine on the A100 server, fails on my RTX 3060").
    """
    # (a word starting with a series, "rtx3090" too, looked up among the text's words: far shorter than a log)
    hints = [*sorted(text.words & _data_centre_words()),
             *(series for series in _GPU_SERIES if " " + series in text.word_list)]
    if not hints:
        return None
    named: dict[tuple[int, int] | str, tuple[str, int]] = {}
    for number in text.lines_holding(tuple(hints)):
        for found in _PROSE_GPU.finditer(text.lines[number]):
            name = _gpu_name(found)
            capability = compute_capability(name) if name else None
            if capability is not None:
                named.setdefault(" ".join(gpu_words(name)), (name, number))
    return next(iter(named.values())) if len(named) == 1 else None


def _gpu_name(found: re.Match[str]) -> str:
    """The model as the table names it: "rtx3090ti" -> "GeForce RTX 3090 Ti"; "" for a model of two
    characters without its maker's name ("T4" alone may be anything)."""
    if found["series"]:
        tier = {"ti": " Ti", "super": " SUPER"}.get((found["tier"] or "").lower(), "")
        return f"GeForce {found['series'].upper()} {found['number']}{tier}"
    text = " ".join(found[0].replace("-", " ").split())
    model = text.split()[-1]
    if len(model) < 3 and len(text.split()) == 1:
        return ""
    return text


def with_gpu_named(env: Environment, text: IssueText) -> Environment:
    """``env`` with the GPU the reporter names in words, when no collect_env "GPU n:" line gave one.

    Such a GPU is no sign of a pasted environment: it leaves ``env`` as empty as it was (the steps
    for an issue without one, the request for collect_env), and it has no ids."""
    if env.gpus or "gpus" in env.conflicts:
        return env
    named = gpu_named(text)
    return env if named is None else replace(env, gpus=(Gpu((), named[0]),))


@dataclass(frozen=True)
class GpuBuild:
    """What a build for the reporter's GPUs can do with the CUDA at hand (nvcc's, else PyTorch's)."""

    state: str  # "unknown" (no GPU the table knows), "known", "newer-cuda" or "older-cuda" (see arch_to_build)
    # each GPU with the architecture to build for it ("8.6" for an 8.9 board under CUDA 11.7), when "known"
    targets: tuple[tuple[KnownGpu, str], ...] = ()
    cuda: Version | None = None  # the CUDA at hand
    needed: Version | None = None  # the first CUDA the GPU needs ("newer-cuda"), the last that builds for it ("older-cuda")


def gpu_build(env: Environment) -> GpuBuild:
    gpus = known_gpus(env)
    if not gpus:
        return GpuBuild("unknown")
    cuda = env.nvcc or env.pytorch_cuda
    targets = [(gpu, arch_to_build(gpu.capability, cuda)) for gpu in gpus]
    for gpu, target in targets:
        if isinstance(target, str):
            row = next(row for row in arch_table() if row.capability == gpu.capability)
            return GpuBuild(target, cuda=cuda, needed=row.first if target == "newer-cuda" else row.last)
    return GpuBuild("known", tuple((gpu, "{}.{}".format(*target)) for gpu, target in targets), cuda)


def known_gpus(env: Environment) -> tuple[KnownGpu, ...]:
    """The reported GPUs whose compute capability the table knows, once each."""
    found: dict[str, KnownGpu] = {}
    for gpu in env.gpus:
        capability = compute_capability(gpu.name)
        if capability is not None:
            found.setdefault(gpu.name, KnownGpu(gpu.name, capability))
    return tuple(found.values())
