"""Reading the environment a reporter pasted (``collect_env`` output, pip/conda lists) into versions.

``collect_env`` is read in every shape people paste it: the printed ``key: value`` lines, the
dict or OrderedDict ``print(collect_env())`` shows, JSON, and versions written in prose (Chinese
too, with full-width colons). Only whole facts count: a line the paste cut off yields nothing.
"""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields

from bot.reference_tables import project_table
from bot.text import ascii_lower
from bot.version import Version, parse_version


@dataclass(frozen=True)
class Gpu:
    ids: tuple[int, ...]  # () for a GPU named in the reporter's words
    name: str


@dataclass(frozen=True)
class Environment:
    """What the issue says about the reporter's machine; None where it says nothing unambiguous."""

    platform: str | None = None
    python: Version | None = None
    cuda_available: bool | None = None
    gpus: tuple[Gpu, ...] = ()
    cuda_home: str | None = None
    nvcc: Version | None = None
    gcc: Version | None = None
    msvc: str | None = None
    pytorch: Version | None = None
    pytorch_cuda: Version | None = None
    pytorch_cuda_build: bool | None = None
    pytorch_archs: tuple[str, ...] = ()
    cudnn: Version | None = None
    torchvision: Version | None = None
    opencv: Version | None = None
    mmcv: Version | None = None
    mmcv_package: str | None = None
    mmcv_compiler: str | None = None
    mmcv_cuda_compiler: str | None = None
    mmdet: Version | None = None
    mmengine: Version | None = None
    # Not collect_env keys: a conda ``cudatoolkit`` row, and a "CUDA 11.3" written by hand, which
    # may mean the toolkit or the driver; shown to maintainers, never used to diagnose.
    cudatoolkit: Version | None = None
    cuda_stated: Version | None = None
    # Every MMCV distribution a pip/conda listing shows, name -> version: mmcv-full and mmcv (or
    # mmcv-lite) installed side by side is a fact of its own (both must go).
    mmcv_distributions: tuple[tuple[str, Version], ...] = ()
    # The other OpenMMLab projects installed, package -> version ("mmseg", 0.30.0): the MMCV major
    # each release needs (rules/data/projects.csv) when MMDetection's is not known.
    projects: tuple[tuple[str, Version], ...] = ()
    evidence: Mapping[str, int] = field(default_factory=dict, hash=False)
    conflicts: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        """True when no field is known (contradictions alone tell nothing about the machine)."""
        return not self.evidence

    def knows(self, name: str) -> bool:
        """Whether field ``name`` is known."""
        return getattr(self, name) not in (None, ())

    def as_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows in collect_env order, known fields only, for the reply's details."""
        rows = []
        for name, label in _LABELS.items():
            value = getattr(self, name)
            if name == "gpus":
                rows += [(f"GPU {','.join(map(str, gpu.ids))}".rstrip(), gpu.name) for gpu in value]
            elif name == "projects":
                rows += [(_PROJECT_NAMES[package], str(version)) for package, version in value]
            elif self.knows(name):
                rows.append((label, _display(name, value, self)))
        return rows

    def rows_for(self, names: Iterable[str]) -> list[tuple[str, str]]:
        """The rows of ``as_rows`` for these fields only, in collect_env order."""
        wanted = set(names)
        labels = {label for name, label in _LABELS.items() if name in wanted and name not in ("gpus", "projects")}
        if "projects" in wanted:
            labels |= {_PROJECT_NAMES[package] for package, _ in self.projects}
        return [row for row in self.as_rows()
                if row[0] in labels or ("gpus" in wanted and row[0].split(" ")[0] == "GPU")]

    def to_json(self) -> dict:
        """JSON-safe form: versions as strings, unknown fields omitted."""
        out: dict = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value in (None, (), frozenset(), {}):
                continue
            if item.name == "gpus":
                value = [{"ids": list(gpu.ids), "name": gpu.name} for gpu in value]
            elif item.name in ("mmcv_distributions", "projects"):
                value = {name: str(version) for name, version in value}
            elif item.name == "conflicts":
                value = sorted(value)
            elif isinstance(value, Version):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif item.name == "evidence":
                value = dict(value)
            out[item.name] = value
        return out


# Row labels, in the order collect_env prints the keys (derived fields where they come from).
_LABELS = {
    "platform": "sys.platform", "python": "Python", "cuda_available": "CUDA available",
    "gpus": "GPU", "cuda_home": "CUDA_HOME", "nvcc": "NVCC", "msvc": "MSVC", "gcc": "GCC",
    "pytorch": "PyTorch", "pytorch_cuda": "PyTorch CUDA", "pytorch_cuda_build": "PyTorch build",
    "pytorch_archs": "PyTorch GPU architectures", "cudnn": "cuDNN", "torchvision": "TorchVision",
    "opencv": "OpenCV", "mmcv": "MMCV", "mmcv_compiler": "MMCV Compiler",
    "mmcv_cuda_compiler": "MMCV CUDA Compiler", "mmengine": "MMEngine", "mmdet": "MMDetection",
    "projects": "", "cudatoolkit": "cudatoolkit (conda)", "cuda_stated": "CUDA (as written)",
}
# The other OpenMMLab projects, by import package, and the names collect_env prints them under.
_OTHER_PROJECTS = tuple(project for project in project_table() if project.package not in ("mmcv", "mmdet", "mmengine"))
_PROJECT_NAMES = {project.package: project.name for project in reversed(_OTHER_PROJECTS)}  # MMAction2 over MMAction


FIELD_LABELS = _LABELS  # field -> the label collect_env prints it under


def _display(name: str, value: object, env: Environment) -> str:
    if name == "pytorch_archs":
        return " ".join(value)  # type: ignore[arg-type]
    if name == "mmcv" and env.mmcv_package:
        return f"{value} ({env.mmcv_package})"
    if name == "pytorch_cuda_build":
        return "with CUDA" if value else "CPU only"
    return str(value)


# --- line shapes -------------------------------------------------------------------------------

# Log record prefixes of mmdet 2.x (``2020-10-21 13:58:12,888 - mmdet - INFO - ``) and mmengine
# (``2023/05/08 10:12:31 - mmengine - INFO - ``).
_LOG_PREFIX = re.compile(r"^\d{4}[-/]\d\d[-/]\d\d \d\d:\d\d:\d\d(?:[,.]\d+)? - [\w.]+ - [A-Z]+ - ")
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+(?=[A-Za-z])")
_GPU_KEY = re.compile(r"^GPU (\d{1,4}(?:,\d{1,4})*)$")
_FIRST_NUMBER = re.compile(r"^\d+(?:\.\d+)*")
# "Cuda compilation tools, release 11.3, V11.3.109" (mmcv >= 1.5, mmengine, plain nvcc -V)
_NVCC_RELEASE = re.compile(r"release (\d+\.\d+), V(\d+(?:\.\d+)*)")
# "Build cuda_11.1.TC455_06.29190527_0", "Build cuda_11.0_bu.TC445_37…" (last line of nvcc -V)
_NVCC_BUILD = re.compile(r"^Build cuda_(\d+\.\d+)(?!\d)")
_NVCC_OUTPUT = ("Cuda compilation tools, release", "Build cuda_")
# First line of `gcc --version`: "<prog> (<pkgversion>) <version> [date]"; the program name must
# be a GCC driver so that macOS's "Apple clang version …" never reads as a GCC version.
_GCC = re.compile(
    r"""^(?:[\w.-]*-)?(?:gcc|g\+\+|cc|c\+\+)(?:-\d+(?:\.\d+)*)?(?:\.exe)?
        \s+(?:\([^()]*\)\s+)?(\d+\.\d+(?:\.\d+)?)\b""",
    re.VERBOSE,
)
_LOCAL_CUDA = re.compile(r"^cu(\d{1,2})(\d)$")  # +cu113 -> 11.3, +cu92 -> 9.2
_TORCH_ITEM = re.compile(r"^(CUDA Runtime|NVCC architecture flags|CuDNN|Build settings)\b:?\s*(.*)$")
_TORCH_OTHER = re.compile(r"(GCC|MSVC) \d|C\+\+ Version")
_ARCH_CODE = re.compile(r"code=\[?([\w,]+)\]?")
_SETTING = re.compile(r"\b(CUDA_VERSION|CUDNN_VERSION|USE_CUDA|USE_ROCM)=([\w.]+)")

# Package names people write, lower-cased, "_" as "-": field and, for mmcv, the distribution.
_PACKAGES = {
    "torch": ("pytorch", None), "pytorch": ("pytorch", None), "torchvision": ("torchvision", None),
    "mmcv": ("mmcv", "mmcv"), "mmcv-full": ("mmcv", "mmcv-full"), "mmcv-lite": ("mmcv", "mmcv-lite"),
    "mmdet": ("mmdet", None), "mmdetection": ("mmdet", None), "mmengine": ("mmengine", None),
    "cudatoolkit": ("cudatoolkit", None), "pytorch-cuda": ("pytorch_cuda", None),
    "python": ("python", None), "cuda": ("cuda_stated", None), "gcc": ("gcc", None),
    "opencv-python": ("opencv", None), "opencv-python-headless": ("opencv", None),
    "opencv-contrib-python": ("opencv", None),
    # the other projects, by package and by repository name ("mmseg", "mmsegmentation")
    **{name: ("projects", project.package) for project in _OTHER_PROJECTS for name in (project.package, project.repo)},
}
_NAMES = "|".join(sorted((re.escape(n).replace("\\-", "[-_]") for n in _PACKAGES), key=len, reverse=True))
_VER = r"v?(\d+(?:\.\d+)+(?:[-_.]?(?:a|b|rc|dev|post)\d*)?(?:\+[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)?)"
# One "name version" item making up a whole line or a whole comma-separated part: pip list rows
# (with an optional location), conda list rows (build string, channel), "mmdet version 2.25.0",
# "pytorch: 1.8", "mmcv==2.1.0". Trailing columns must look like builds or paths, not words.
_ITEM = re.compile(
    rf"""^(?P<name>{_NAMES})(?P<sep>\s+version\b\s*:?\s*|\s*(?:==?|:)\s*|\s*的?\s*版本号?\s*(?:是|为|:)?\s*|\s+){_VER}
        (?P<build>\s+(?:(?:[/~]|[A-Za-z]:\\|<pip>)\S*|\S*[\d_]\S*)(?:\s+[\w.<>-]+)?)?$""",
    re.VERBOSE | re.IGNORECASE,
)
# A pip pin anywhere in a sentence ("my env is torch==1.9.0+cu102, mmcv==2.1.0"); the bounds keep
# "onedl-mmcv==…" and "mmcv>=…" out (ASCII only: "环境是torch==1.9.0" is a pin too).
_PIN = re.compile(rf"(?<![A-Za-z0-9_.-])({_NAMES})(?:\s+version)?\s*==?\s*{_VER}(?!\w|\.\w)", re.IGNORECASE)
# "torch版本是1.8.0", "mmcv 的版本为 2.1.0": a version named in Chinese prose, anywhere in the line.
_ZH_VERSION = re.compile(rf"(?<![A-Za-z0-9_.-])({_NAMES})\s*的?\s*版本号?\s*(?:是|为|:)?\s*{_VER}(?!\w|\.\w)",
                         re.IGNORECASE)
# "my mmdetection version is 2.23 and MMCV-full is 1.3.18": a version named in English prose.
_EN_VERSION = re.compile(rf"(?<![A-Za-z0-9_.-])({_NAMES})(?:\s+version)?\s+is\s+{_VER}(?!\w|\.\w|\s*(?:times|x)\b)",
                         re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_PACKAGE_HINT = re.compile(  # on lowered text
    r"torch|mmcv|mmdet|mmengine|cuda|python|gcc|opencv|"
    + "|".join(sorted({project.package for project in _OTHER_PROJECTS} - {"mmdet3d"})))
# A version glued to its name, as reporters list their environment in a sentence or a title:
# "pytorch1.9+cuda10.2", "ubuntu18.04, python3.7". Only as a whole item between spaces, brackets,
# "+" or separators, never inside a path ("lib/python3.8/", ".../torch1.9/index.html"), and only
# on a line that is the item alone or names another version: a lone mention in a sentence is as
# often another version ("it worked in mmdet1.0"). A glued local version ("torch1.8.1+cu111") is
# left out: the "+" may as well join the next item. The line is split into its items in C and
# only those opening with a name are matched: a pattern tried at every character cost more than
# the rest of the reading.
_GLUED_ITEMS = re.compile(r"[\s(（+,;，、)）。]+")
_GLUED_STARTS = tuple(_PACKAGES) + tuple(name.replace("-", "_") for name in _PACKAGES if "-" in name)
_GLUED = re.compile(rf"({_NAMES})(\d+(?:\.\d+)+)\.?", re.IGNORECASE)
# What every glued item holds, found fast: a letter, then a version.
_GLUED_HINT = re.compile(r"[a-z]\d+\.\d")
_DOTTED = re.compile(r"\d\.\d")
_INSTALL = re.compile(r"\binstall(?:ing)?\b", re.IGNORECASE)
# A remark in brackets closing a line ("(pip 安装)", "（built from source）").
_REMARK = re.compile(r"\s*[(（][^()（）]{1,120}[)）]$")
def _in_brackets(line: str, at: int) -> bool:
    """Whether ``at`` stands inside a bracket the line opened before it, a remark's aside ("mmdetection
    2.25.1（git clone 然后 pip install -v -e .）"), that pins no version: "(`conda install
    pytorch==1.7.0`)" is an install command like any other."""
    before = line[:at]
    if before.count("(") + before.count("（") <= before.count(")") + before.count("）"):
        return False
    closing = min((found for found in (line.find(")", at), line.find("）", at)) if found != -1), default=len(line))
    opening = max(before.rfind("("), before.rfind("（"))
    return "=" not in line[opening:closing]


# What may open a hand-written list of items: "环境：", "Environment:", "my versions -".
_LIST_LABEL = re.compile(r"(?:[A-Za-z][A-Za-z ]{0,24}|[\u4e00-\u9fff]{1,8})\s*(?:[:：]|\s-)\s*")
# Separators between items; the parts are stripped after the split (a pattern opening with \s*
# would be tried at every character of a long nvcc command line).
_PARTS = re.compile(r"[,;，、。]|\.\s")  # (a sentence's end too: "mmdet 2.18.0, mmcv-full 1.4.0. What am I missing?")
# What every pin has: "=" then a version ("torch==1.9.0"); its literal first character is found fast.
_PIN_HINT = re.compile(r"=\s*v?\d")
_MAX_LINE = 20_000  # a torch "Build settings" line is a few KB; longer lines are junk
# Lines of free text examined for package versions: far more than any pip list, and a bound on
# the time an adversarial body (a megabyte of "torch 1.2, mmcv==1.0" lines) can take.
_MAX_FREE_TEXT_LINES = 2_000
_PLATFORMS = frozenset({"linux", "win32", "darwin"})
# Fields known only together with the line that gave their parent (a pip row's mmcv-full names
# the distribution of that row's version, not of whatever mmcv collect_env reported).
_DEPENDS_ON = {"pytorch_cuda": "pytorch", "pytorch_cuda_build": "pytorch", "mmcv_package": "mmcv"}


class _Slots:
    """Values offered for each field by one kind of source, with contradictions noted."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.lines: dict[str, int] = {}
        self.conflicts: set[str] = set()

    def offer(self, name: str, value: object, line: int) -> None:
        if value is None or name in self.conflicts:
            return
        old = self.values.get(name)
        if old == value:  # the common repeat (a report pasted twice, a log's every epoch)
            return
        if old is None:
            self.values[name], self.lines[name] = value, line
        elif not _agree(old, value):
            self.conflicts.add(name)
            del self.values[name], self.lines[name]
        elif _more_specific(value, old):
            self.values[name] = value


def _agree(a: object, b: object) -> bool:
    """Same fact: equal, or versions where one only adds detail ("1.8" and "1.8.1+cu111")."""
    if isinstance(a, Version) and isinstance(b, Version):
        short = min(len(a.release), len(b.release))
        return (a.release[:short] == b.release[:short] and a.pre == b.pre
                and (not a.local or not b.local or a.local == b.local))
    return a == b


def _more_specific(new: object, old: object) -> bool:
    if isinstance(new, Version) and isinstance(old, Version):
        return (len(new.release), bool(new.local)) > (len(old.release), bool(old.local))
    return False


def _is_listing_row(found: re.Match, whole_line: bool) -> bool:
    """A ``pip list`` / ``conda list`` row (column padding or a build column) or a ``pip freeze`` line."""
    sep = found["sep"]
    return whole_line and (sep == "==" or (sep.isspace() and (len(sep) > 1 or bool(found["build"]))))


def _first_version(value: str) -> Version | None:
    token = value.split(None, 1)[0] if value.strip() else ""
    return parse_version(token)


def _numeric_version(value: str) -> Version | None:
    found = _FIRST_NUMBER.match(value.strip())  # OpenCV "4.5.4-dev": the release is what matters
    return parse_version(found[0]) if found else None


def _cuda_from_local(version: Version) -> tuple[Version | None, bool | None]:
    """PyTorch's CUDA from a wheel suffix: +cu113 -> (11.3, True), +cpu -> (None, False)."""
    local = version.local.lower()
    found = _LOCAL_CUDA.match(local)
    if found:
        return parse_version(f"{found[1]}.{found[2]}"), True
    return None, (False if local == "cpu" else None)


def _nvcc(value: str) -> Version | None:
    found = _NVCC_RELEASE.search(value)
    if found:
        return parse_version(found[2]) or parse_version(found[1])
    found = _NVCC_BUILD.match(value.strip())
    return parse_version(found[1]) if found else _bare_version(value)


def _gcc(value: str) -> Version | None:
    found = _GCC.match(value.strip())
    return parse_version(found[1]) if found else _bare_version(value)


def _bare_version(value: str) -> Version | None:
    """A hand-written "GCC: 7.5": a value that is a version and nothing else, at least X.Y."""
    version = parse_version(value)
    return version if version is not None and len(version.release) >= 2 else None


# A whole architecture: sm_35 .. sm_90a, sm_100 .. sm_120 (a cut "sm_8" or "sm_12" is none).
_ARCH = re.compile(r"(?:sm|compute)_(?:[2-9]\d|1\d\d)[a-z]?")
# The flags end with a whole "code=..." group (the paste was not cut inside the list).
_ARCH_FLAGS_END = re.compile(r"code=\[?[\w,]+\]?[;\s]*$")


def _archs(flags: str) -> tuple[str, ...] | None:
    """The ``code=`` architectures of nvcc's flags, or None when any piece is not whole."""
    if not _ARCH_FLAGS_END.search(flags):
        return None
    groups = flags.strip().strip(";").split(";")
    if any(group.startswith("arch=") and not re.fullmatch(r"arch=compute_\w+,code=\[?[\w,]+\]?", group)
           for group in groups):
        return None
    codes = [c for group in _ARCH_CODE.findall(flags) for c in group.split(",") if c]
    if not codes or not all(_ARCH.fullmatch(code) for code in codes):
        return None
    return tuple(dict.fromkeys(codes))


def _literal(text: str) -> str | None:
    """A Python or JSON literal of a pasted dict as the text collect_env would print for it."""
    if text in ("True", "true"):
        return "True"
    if text in ("False", "false"):
        return "False"
    if text in ("None", "null"):
        return "None"
    if text[:1] in "'\"":
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
        return value if isinstance(value, str) else None
    return text  # a number


def _bool(value: str) -> bool | None:
    return {"True": True, "False": False}.get(value.strip())


def _text(value: str) -> str | None:
    value = value.strip()
    return value if value and value != "None" else None


def _platform(value: str) -> str | None:
    value = value.strip()
    return value if value in _PLATFORMS else None


def _normalise(raw: str) -> str:
    line = raw.rstrip("\r")
    if "&" in line and ";" in line:
        line = html.unescape(line)
    if "：" in line:
        line = line.replace("：", ": ")  # Chinese input methods type a full-width colon
    if line[:1].isdigit():
        line = _LOG_PREFIX.sub("", line, count=1)
    return line


class _Reader:
    """One pass over the lines; collect_env keys go to ``primary``, everything else to ``secondary``:
    a field the secondary sources leave out comes from the primary; one they contradict is unknown."""

    def __init__(self) -> None:
        self.primary = _Slots()
        self.secondary = _Slots()
        self.gpus: dict[tuple[int, ...], str] = {}
        self.in_block = False
        self.free_text_budget = _MAX_FREE_TEXT_LINES
        self.distributions: dict[str, Version] = {}
        self.projects: dict[str, tuple[Version, int] | None] = {}  # None: two versions said
        self.shown: tuple[str, int] | None = None  # a package `pip show` named, and its line

    @property
    def wants_next_line(self) -> bool:
        """Whether the next line belongs to this one: inside PyTorch's build details, or the
        "Version:" line after `pip show`'s "Name:"."""
        return self.in_block or self.shown is not None

    def feed(self, raw: str, number: int) -> None:
        shown, self.shown = self.shown, None
        if len(raw) > _MAX_LINE:
            self.in_block = False
            return
        stripped = _normalise(raw).strip()
        while stripped.startswith(">"):  # a quoted paste
            stripped = stripped[1:].lstrip()
        if stripped.endswith(("...", "\u2026")):  # the reporter cut the line short: no whole fact in it
            return
        if ("'" in stripped or '"' in stripped) and ("': " in stripped or '": ' in stripped or "', " in stripped) \
                and not stripped.startswith("File ") and _QUOTED_KEY.search(stripped):
            if self._pairs(stripped, number):
                self.in_block = False
                return
        if stripped.startswith("- "):
            if self._torch_item(stripped[2:], number):
                return
            if raw.startswith("  - ") and _TORCH_OTHER.match(stripped[2:]):
                return  # PyTorch's own compiler ("  - GCC 9.3") seen outside its block
            stripped = stripped[2:]  # a markdown bullet
        elif stripped[1:2] in (".", ")") or stripped[2:3] in (".", ")"):
            stripped = _NUMBERED.sub("", stripped, count=1)  # "1. mmcv 2.1.0", "2) torch 1.13"
        self.in_block = False
        if not stripped or stripped.startswith("```"):
            return
        key, _, value = stripped.partition(": ")
        if not value and key.endswith(":"):
            key = key[:-1]
        if key in ("Name", "Version") and value:
            self._pip_show(key, value, number, shown)
            return
        handler = _KEYS.get(key)
        if handler is not None:
            handler(self, value, number)
        elif key.startswith("GPU "):
            self._gpu(key, value, number)
        elif len(stripped) < 400 and self.free_text_budget and not stripped.startswith("File ") \
                and _DIGIT.search(stripped):  # every version read from free text has a digit
            lowered = stripped.lower()
            if _PACKAGE_HINT.search(lowered):
                self.free_text_budget -= 1
                self._free_text(stripped, lowered, number)

    def _pip_show(self, key: str, value: str, number: int, shown: tuple[str, int] | None) -> None:
        """`pip show mmcv-full` prints "Name: mmcv-full", then "Version: 1.7.2" on the next line: the
        two make one listed package (the distribution named exactly, as in pip's list)."""
        if key == "Name":
            name = value.strip().lower().replace("_", "-")
            self.shown = (name, number) if name in _PACKAGES else None
        elif shown is not None and shown[1] == number - 1:
            self._package(shown[0], value.strip(), "", True, number)

    def _torch_item(self, item: str, number: int) -> bool:
        """A line of torch.__config__.show(); the four kinds read are recognised even out of block."""
        found = _TORCH_ITEM.match(item)
        if not found:
            return self.in_block
        kind, rest = found[1], found[2]
        offer = self.primary.offer
        if kind == "CUDA Runtime":
            offer("pytorch_cuda", _first_version(rest), number)
            offer("pytorch_cuda_build", True, number)
        elif kind == "CuDNN":
            offer("cudnn", _first_version(rest), number)
        elif kind == "NVCC architecture flags":
            offer("pytorch_archs", _archs(rest), number)
        else:
            self._build_settings(rest, number)
        return True

    def _build_settings(self, rest: str, number: int) -> None:
        settings = dict(_SETTING.findall(rest))
        self.primary.offer("pytorch_cuda", parse_version(settings.get("CUDA_VERSION")), number)
        self.primary.offer("cudnn", parse_version(settings.get("CUDNN_VERSION")), number)
        if settings.get("USE_ROCM") != "ON":  # ROCm builds say USE_CUDA=OFF yet run on GPUs
            use_cuda = {"ON": True, "OFF": False}.get(settings.get("USE_CUDA", ""))
            self.primary.offer("pytorch_cuda_build", use_cuda, number)

    def _gpu(self, key: str, value: str, number: int) -> None:
        found = _GPU_KEY.match(key)
        name = value.strip()
        if not found or not name:
            return  # "GPU number: 1" from the Runtime environment section, among others
        ids = tuple(int(i) for i in found[1].split(","))
        if self.gpus.get(ids, name) != name:
            self.primary.conflicts.add("gpus")
        self.gpus[ids] = name
        self.primary.lines.setdefault("gpus", number)

    def _pytorch(self, value: str, number: int, slots: _Slots | None = None) -> None:
        slots = slots or self.primary
        version = _first_version(value)
        slots.offer("pytorch", version, number)
        if version is not None:
            cuda, build = _cuda_from_local(version)
            slots.offer("pytorch_cuda", cuda, number)
            slots.offer("pytorch_cuda_build", build, number)

    def _compiling_details(self, value: str, number: int) -> None:
        self.in_block = True

    def _pairs(self, line: str, number: int) -> bool:
        """``'key': value`` pairs of a dict, OrderedDict or JSON paste of collect_env; True if any was read.

        A string cut off by the paste has no closing quote and is not read.
        """
        read = False
        for found in _PAIR.finditer(line):
            key, literal = found["key"], found["value"]
            value = _literal(literal)
            if value is None:
                continue
            read = True
            if key == "PyTorch compiling details":
                for item in value.split("\n"):
                    item = item.strip()
                    if item.startswith("- "):
                        self._torch_item(item[2:], number)
            elif key.startswith("GPU "):
                self._gpu(key, value, number)
            else:
                _KEYS[key](self, value, number)
        return read

    def _free_text(self, line: str, lowered: str, number: int) -> None:
        """pip/conda rows, pins and hand-written "name version" items: only what is unambiguous."""
        remark = _REMARK.search(line) if line.endswith((")", "）")) else None
        if remark and _ITEM.match(line[: remark.start()]):
            # an item with a remark after it, "mmcv-lite 2.1.0（pip 安装）", "mmcv-lite 2.1.0 (installed with pip
            # because `mim install mmcv` took too long)": the remark's words are not the item's
            line, lowered = line[: remark.start()], lowered[: remark.start()]
        asked = next((found for found in _INSTALL.finditer(line) if not _in_brackets(line, found.start())), None) \
            if "install" in lowered else None
        if asked:  # what follows "install" is what was asked for, not what is there (a remark's aside)
            line = line[: asked.start()]
        if line.startswith(_NVCC_OUTPUT):  # `nvcc -V` pasted on its own
            self.secondary.offer("nvcc", _nvcc(line), number)
            return
        parts = [part.strip().removesuffix(".") for part in _PARTS.split(line)]
        for index, part in enumerate(parts):
            found = _ITEM.match(part)
            if found is None and index == 0 and len(parts) > 1 and (label := _LIST_LABEL.match(part)):
                # a list under a label, "环境：mmcv 2.0.1、mmdet 3.1.0" (a label over one item is a key
                # of its own: "MMDetection Compiler: GCC 7.3" is not the system's GCC)
                part = part[label.end():]
                found = _ITEM.match(part)
            if found is None and part.endswith((")", "）")) and (remark := _REMARK.search(part)):
                found = _ITEM.match(part[: remark.start()])  # "mmdetection 2.25.1（git clone 然后 pip install）"
            if found:
                listed = _is_listing_row(found, part == line)
                self._package(found["name"], found[3], found["build"] or "", listed, number)
        if "=" in line and _PIN_HINT.search(line):
            for found in _PIN.finditer(line):
                self._package(found[1], found[2], "", False, number)
        if "版本" in line:
            for found in _ZH_VERSION.finditer(line):
                self._package(found[1], found[2], "", False, number)
        if " is " in lowered:
            for found in _EN_VERSION.finditer(line):
                self._package(found[1], found[2], "", False, number)
        said = lowered[: len(line)]  # (what the reporter says they have: not past "install")
        if _GLUED_HINT.search(said):
            self._glued(said, number)

    def _glued(self, said: str, number: int) -> None:
        """Versions glued to their names, on a line that is one alone or that names another version."""
        glued = [found for item in _GLUED_ITEMS.split(said) if item.startswith(_GLUED_STARTS)
                 and (found := _GLUED.fullmatch(item))]
        if glued and (len(glued) > 1 or glued[0].group() == said.strip() or len(_DOTTED.findall(said)) > 1):
            for found in glued:
                self._package(found[1], found[2], "", False, number)

    def _package(self, name: str, version_text: str, build: str, listed: bool, number: int) -> None:
        target, distribution = _PACKAGES[name.lower().replace("_", "-")]
        version = parse_version(version_text)
        if version is None:
            return
        if target == "pytorch":
            self._pytorch(version_text, number, self.secondary)
            self._conda_torch_build(build, number)
            return
        if target == "projects":
            self._project(distribution, version, number)
            return
        self.secondary.offer(target, version, number)
        # People say "mmcv" for mmcv-full; only pip/conda's own rows name the distribution exactly.
        if distribution and (distribution != "mmcv" or listed):
            self.secondary.offer("mmcv_package", distribution, number)
        if distribution and listed:
            self.distributions.setdefault(distribution, version)

    def _project(self, package: str, version: Version | None, number: int) -> None:
        if version is None or package not in self.projects:
            self.projects[package] = (version, number) if version is not None else None
        elif self.projects[package] is not None and not _agree(self.projects[package][0], version):
            self.projects[package] = None  # two releases said: neither is known

    def _conda_torch_build(self, build: str, number: int) -> None:
        """conda's pytorch build string: py3.8_cuda11.3_cudnn8.3.2_0, py3.9_cpu_0."""
        cuda = re.search(r"cuda(\d+\.\d+)", build)
        if cuda:
            self.secondary.offer("pytorch_cuda", parse_version(cuda[1]), number)
            self.secondary.offer("pytorch_cuda_build", True, number)
        elif re.search(r"(?:^|_)cpu(?:_|$)", build):
            self.secondary.offer("pytorch_cuda_build", False, number)

    def environment(self) -> Environment:
        if not (self.primary.values or self.secondary.values or self.gpus or self.primary.conflicts
                or self.secondary.conflicts or self.projects):
            return _NOTHING_KNOWN  # most issues: a frozen dataclass of 27 fields is slow to build
        values: dict[str, object] = {}
        evidence: dict[str, int] = {}
        conflicts = set(self.primary.conflicts)
        if self.gpus and "gpus" not in conflicts:
            values["gpus"] = tuple(Gpu(ids, name) for ids, name in sorted(self.gpus.items()))
            evidence["gpus"] = self.primary.lines["gpus"]
        offered = self.primary.values.keys() | self.secondary.values.keys() | self.secondary.conflicts
        for name in (name for name in _FIELD_NAMES if name in offered):  # parents before their dependants
            if name in self.primary.values and self._contradicted(name):
                # collect_env and a listing (or the reporter's words) disagree: one of them is from
                # before a change ("now pip list shows torch 1.12.1"), and nothing says which
                conflicts.add(name)
            elif name in self.primary.values:
                values[name], evidence[name] = self.primary.values[name], self.primary.lines[name]
            elif name not in conflicts and self._secondary_fits(name, values):
                values[name], evidence[name] = self.secondary.values[name], self.secondary.lines[name]
            elif name in self.secondary.conflicts and name not in self.primary.values:
                conflicts.add(name)
        conflicts -= values.keys()
        distributions = tuple(sorted(self.distributions.items()))
        projects = tuple(sorted((package, said[0]) for package, said in self.projects.items() if said is not None))
        if projects:
            evidence["projects"] = min(said[1] for said in self.projects.values() if said is not None)
        return Environment(**values, mmcv_distributions=distributions, projects=projects, evidence=evidence,
                           conflicts=frozenset(conflicts))

    def _contradicted(self, name: str) -> bool:
        """Whether the secondary sources say one other value (two, "it worked with torch 1.8, fails with
        1.10", say nothing against collect_env)."""
        other = self.secondary.values.get(name)
        return (other is not None and name not in self.secondary.conflicts and name not in _DEPENDS_ON
                and not _agree(self.primary.values[name], other))

    def _secondary_fits(self, name: str, known: dict[str, object]) -> bool:
        if name not in self.secondary.values:
            return False
        parent = _DEPENDS_ON.get(name)
        if parent is None:
            return True
        mine = self.secondary.values.get(parent)
        return mine is not None and known.get(parent) is not None and _agree(mine, known[parent])


_NOTHING_KNOWN = Environment()
_FIELD_NAMES = tuple(
    f.name for f in fields(Environment)
    if f.name not in {"gpus", "evidence", "conflicts", "mmcv_distributions", "projects"}
)


def _project_setter(package: str):
    def handle(reader: _Reader, value: str, number: int) -> None:
        reader._project(package, _first_version(value), number)
    return handle


def _setter(name: str, read):
    def handle(reader: _Reader, value: str, number: int) -> None:
        reader.primary.offer(name, read(value), number)
    return handle


# collect_env keys (mmcv 1.x and mmengine eras) and how each value is read.
# (_QUOTED_KEY and _PAIR, below the table, read the same keys in a pasted dict.)
_KEYS = {
    "sys.platform": _setter("platform", _platform),
    "Python": _setter("python", _first_version),
    "CUDA available": _setter("cuda_available", _bool),
    "CUDA_HOME": _setter("cuda_home", _text),
    "NVCC": _setter("nvcc", _nvcc),
    "MSVC": _setter("msvc", lambda v: None if v.strip().startswith("n/a") else _text(v)),
    "GCC": _setter("gcc", _gcc),
    "PyTorch": _Reader._pytorch,
    "PyTorch compiling details": _Reader._compiling_details,
    "TorchVision": _setter("torchvision", _first_version),
    "OpenCV": _setter("opencv", _numeric_version),
    "MMCV": _setter("mmcv", _first_version),
    "MMCV Compiler": _setter("mmcv_compiler", _text),
    "MMCV CUDA Compiler": _setter("mmcv_cuda_compiler", _text),
    "MMEngine": _setter("mmengine", _first_version),
    "MMDetection": _setter("mmdet", _first_version),
    # "MMSegmentation: 0.30.0+4fd5b9e", as each project's collect_env prints its own
    **{project.name: _project_setter(project.package) for project in _OTHER_PROJECTS},
}


_KEY_NAMES = "|".join(re.escape(key) for key in sorted(_KEYS, key=len, reverse=True)) + r"|GPU[ ]\d{1,4}(?:,\d{1,4})*"
_QUOTED_KEY = re.compile(rf"""(['"])(?:{_KEY_NAMES})\1\s*[:,]""")
# One pair of a pasted dict ('CUDA available': True), OrderedDict (('PyTorch', '1.12.1')) or JSON
# ("MMCV": "1.7.1"). A string value must be closed: a cut one is not read.
_PAIR = re.compile(
    rf"""(?:^|[{{(,\[]\s*)(?P<q>['"])(?P<key>{_KEY_NAMES})(?P=q)\s*[:,]\s*
        (?P<value>'(?:[^'\\\n]|\\.){{0,12000}}'|"(?:[^"\\\n]|\\.){{0,12000}}"|True|False|None|true|false|null
                 |-?\d+(?:\.\d+)*(?![\w.]))""",
    re.VERBOSE,
)
# Fields that come out of the dict with their handler's reading (the GPU keys have their own).
_TORCH_LINE = re.compile(r"^(?:- )?(?:CUDA Runtime|NVCC architecture flags|CuDNN|Build settings)\b|^-gencode")
_FENCE = re.compile(r"^\s*(?:```|~~~)", re.MULTILINE)
# GitHub's limit on an issue body: text that reaches it was cut there.
_BODY_LIMIT = 65_000


def _cut_last_line(text: str, last: str) -> bool:
    """Whether the paste was cut inside its last line, so that line holds no whole fact.

    A body that ends without a newline usually just ends; it was cut when a code block is left
    open, when it reaches GitHub's limit, or when it ends inside PyTorch's build details (a
    paste of collect_env never ends there).
    """
    if text.endswith("\n") or not last.strip():
        return False
    if len(text) >= _BODY_LIMIT or _TORCH_LINE.match(_normalise(last).strip()):
        return True
    # The fences are counted last: _FENCE is tried at every character of the body. Every fence
    # holds one of these literals, which str finds far faster.
    return ("```" in text or "~~~" in text) and len(_FENCE.findall(text)) % 2 == 1


# --- the lines worth reading ---------------------------------------------------------------------
#
# Every fact starts with a word these patterns find: a collect_env key (as printed, or quoted in a
# pasted dict), a line of PyTorch's build details, the output of `nvcc -V`, or a package name with a
# version after it. A 64 KB log holds these words in its paths ("python3.8/site-packages/torch/")
# far more often than it states a fact; a C-level scan per word, with what must follow it, leaves
# the few lines worth the reader's Python. Searched in the lowercased text: a superset of the
# case-sensitive keys.
#
# An optional group is written "(?:...|)", not "(?:...)?": re runs the latter through a general
# repeat, many times dearer, and a log's paths try these groups thousands of times. (The two
# match the same text: both try the group first, then nothing.)
# After a key, its colon (a key without one gives the reader nothing):
_AFTER_KEY = r"""(?:['"]|&\#?\w{2,6};|)\s*[:,：]"""
# A version after the name: a separator (pip's columns, "==", ":", " version ", " is ", Chinese "的版本是")
# then a digit; or, with no separator ("python3.8"), a whole version, read only where the name
# starts an item of its line (not in "include/python3.8", which nvcc's every command line holds).
_AFTER_NAME = (r"(?:\s+version\b[\s:：=]*(?:is\s+|)|\s+is\s+|[\s=:：的版本号是为]+)v?\d"
               r"|(?P<bare>v?\d+(?:\.\d+)++[\w.+-]*+(?![/\\]))")
# What every match of _AFTER_KEY or _AFTER_NAME opens with, after any spaces. Tested first, it
# turns away a name followed by a path's "/" or by a word (most of a log's names) in one step,
# where the two patterns' branches would each be tried. It must stay implied by them (a test
# checks): a character they may start with, missing here, would lose facts.
_AFTER_GATE = r"""(?=\s*['"&:,：=的版本号是为vi\d])"""
# What may stand before an item: the line's start, a space (after a bullet, a number, a log
# prefix), a quote mark or a separator between items.
_ITEM_OPENERS = frozenset(" \t\n>,;，、(（+")
# The names and keys: (the literal each opens with, the rest). The literal is looked for first
# (str's search, the cheapest there is); only a text that holds it is searched with the pattern,
# which re also runs fast from its literal (an alternation of them all would be tried at every
# character).
_FACT_NAMES = (
    ("torch", r"(?:vision|[-_]cuda| compiling details|)"),
    ("python", ""),
    ("mm", r"(?:cv(?:[-_](?:full|lite)| compiler| cuda compiler|)|det(?:ection|)|engine|"
           + "|".join(sorted({re.escape(name[2:]) for project in _OTHER_PROJECTS for name in (project.package, project.repo)
                              if name.startswith("mm")}, key=len, reverse=True)) + ")"),
    ("cuda", r"(?:toolkit| available|_home|)"),
    ("gcc", ""),
    ("gpu ", r"\d{1,4}(?:,\d{1,4})*"),
    ("opencv", r"(?:[-_](?:contrib[-_]|)python(?:[-_]headless|)|)"),
    ("nvcc", r"(?: architecture flags|)"),
    ("msvc", ""),
    ("sys.platform", ""),
)
_FACT_STARTS = (
    *((literal, re.compile(rf"{re.escape(literal)}{rest}{_AFTER_GATE}(?:{_AFTER_KEY}|{_AFTER_NAME})", re.MULTILINE))
      for literal, rest in _FACT_NAMES),
    # Lines of PyTorch's build details and of `nvcc -V`, whatever follows their first words, and
    # Chinese prose, which may name a version anywhere in its line. (Each word on its own: "cud"
    # would stop at every "cuda" of a build log.)
    *((word, re.compile(re.escape(word)))
      for word in ("cuda runtime", "cudnn", "cuda compilation tools", "build settings", "build cuda_", "版本")),
    # `pip show`'s "Name:" line, whose version stands on the next one (found through the newline by
    # the names' pattern, but not when a quote's "> " opens that line).
    ("name: ", re.compile(r"name: (?:mm|torch|opencv)")),
)


def _starts_item(lowered: str, found: re.Match[str]) -> bool:
    """Whether a name followed by its version without a separator starts an item of its line."""
    at = found.start()
    if lowered.startswith("py", at - 2) and lowered.startswith("torch", at):
        at -= 2  # "pytorch1.8" is found from its "torch"
    return at == 0 or lowered[at - 1] in _ITEM_OPENERS


def _lines_worth_reading(text: str) -> list[tuple[int, int]]:
    """(number from 1, offset of its start) of the lines where a fact may start, in order."""
    lowered = ascii_lower(text)  # offsets as in text
    positions = sorted({found.start() for literal, pattern in _FACT_STARTS if literal in lowered
                        for found in pattern.finditer(lowered)
                        if found.lastgroup != "bare" or _starts_item(lowered, found)})
    lines: list[tuple[int, int]] = []
    number, counted = 1, 0
    for position in positions:
        number += lowered.count("\n", counted, position)
        counted = position
        if not lines or lines[-1][0] != number:
            lines.append((number, lowered.rfind("\n", 0, position) + 1))
    return lines


# An environment, or a function that reads it when first called. The readers that need it for some
# issues only (a rule that matched, a CUDA error's number, a registry miss) take either: an issue
# with nothing to answer, most of them, is then never read for it.
EnvironmentSource = Environment | Callable[[], Environment]


def resolve_environment(source: EnvironmentSource) -> Environment:
    return source() if callable(source) else source


def parse_environment(text: str) -> Environment:
    """Everything unambiguous ``text`` says about the environment; never raises on odd input."""
    reader = _Reader()
    # Lines are cut out of the text where the reader needs them: splitting a 64 KB log into its
    # lines would cost more than all the reading of the few worth it.
    read = 0
    for number, start in _lines_worth_reading(text):
        if number <= read:
            continue
        end = _feed_line(reader, text, number, start)
        read = number
        # A line skipped is one the reader would only have taken as the end of a block of
        # PyTorch's build details: inside such a block every line is read (and the "Version:"
        # line after `pip show`'s "Name:").
        while reader.wants_next_line and end != -1:
            read += 1
            end = _feed_line(reader, text, read, end + 1)
    return reader.environment()


def _feed_line(reader: _Reader, text: str, number: int, start: int) -> int:
    """Feed the reader the line starting at ``start``; where it ends (-1: it is the last line).

    A last line the paste cut inside is fed as empty. Whether it was cut is asked only of a last
    line the reader comes to (few are), as the question may cost a scan of the whole body.
    """
    end = text.find("\n", start)
    if end != -1:
        reader.feed(text[start:end], number)
    else:
        last = text[start:]
        reader.feed("" if _cut_last_line(text, last) else last, number)
    return end
