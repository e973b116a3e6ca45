"""The reference tables shipped in rules/data/: which MMCV each MMDetection release accepts, GPUs'
compute capabilities, which prebuilt MMCV wheels exist, and the OpenMMLab projects issues are filed
on. Loaded once, checked line by line (errors name file and line)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.version import Version, parse_version

DATA_DIR = Path(__file__).resolve().parent.parent / "rules" / "data"


class DataFileError(ValueError):
    """A data table under rules/data/ that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class CompatRow:
    """One MMDetection release and the MMCV versions its ``mmdet/__init__.py`` accepts."""

    mmdet: Version
    mmcv_min: str
    mmcv_max: str

    def accepts(self, mmcv: Version) -> bool | None:
        """Whether the release's assertion passes for ``mmcv``; None when it cannot be told."""
        if self.mmdet.release[0] >= 3:  # mmengine's digit_version: ordinary order, max exclusive
            return parse_version(self.mmcv_min) <= mmcv < parse_version(self.mmcv_max)
        digits = _mmdet2_digits(mmcv)  # mmdet 2.x compares lists: '1.3' rejects 1.3.0
        if digits is None:
            return None
        return _mmdet2_digits(parse_version(self.mmcv_min)) <= digits <= _mmdet2_digits(
            parse_version(self.mmcv_max))

    def accepted(self) -> str:
        """The range in pip's words, as the assertion really applies it."""
        if self.mmdet.release[0] >= 3:
            return f"mmcv>={self.mmcv_min},<{self.mmcv_max}"
        if self.mmcv_min == self.mmcv_max:
            return f"mmcv-full=={self.mmcv_min}"
        high = parse_version(self.mmcv_max)
        upper = f"<{self.mmcv_max}.0" if len(high.release) == 2 else f"<={self.mmcv_max}"
        return f"mmcv-full>={self.mmcv_min},{upper}"


def _mmdet2_digits(version: Version | None) -> list[int] | None:
    """mmdet 2.x's digit_version(): [1, 3, 17]; rcN -> [.., x-1, N]; other tags are not read."""
    if version is None:
        return None
    digits = list(version.release)
    kind, number = version.pre
    if kind == 0:  # rc
        digits[-1] -= 1
        digits.append(number)
    elif kind != 1:  # dev/alpha/beta/post: mmdet 2.x drops them, a verdict would be a guess
        return None
    return digits


_GPU_DROP = frozenset({"nvidia", "tesla"})
# Words after a GPU's model name that do not change its chip: form factor, memory, MIG slices.
_GPU_EXTRA = re.compile(r"^(?:laptop|gpu|pcie|sxm\d?|nvl|hbm\d?e?|mig|with|max|q|design|\d+gb|\d+g\.\d+gb)$")


def gpu_words(name: str) -> tuple[str, ...]:
    """A GPU name as comparable words: "NVIDIA Tesla V100S-PCIE-32GB" -> ("v100s", "pcie", "32gb")."""
    words = name.lower().replace("-", " ").replace("_", " ").split()
    return tuple(word for word in words if word not in _GPU_DROP)


def _read_csv(path: Path, header: list[str]) -> Iterable[tuple[int, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataFileError(f"{path}: cannot read the data table ({error.strerror})") from error
    rows = csv.reader(text.splitlines())
    first = next(rows, None)
    if first != header:
        raise DataFileError(f"{path}:1: header must be {','.join(header)}, found {first}")
    for number, row in enumerate(rows, 2):
        if len(row) != len(header):
            raise DataFileError(f"{path}:{number}: expected {len(header)} columns, found {len(row)}")
        yield number, [cell.strip() for cell in row]


def load_compat_table(path: Path = DATA_DIR / "mmdet_mmcv_compat.csv") -> tuple[CompatRow, ...]:
    table = []
    for number, (mmdet, low, high, source) in _read_csv(
            path, ["mmdet_version", "mmcv_min", "mmcv_max", "source_url"]):
        versions = [parse_version(text) for text in (mmdet, low, high)]
        if None in versions or not source.startswith("https://"):
            raise DataFileError(
                f"{path}:{number}: expected versions such as 2.19.0,1.3.8,1.5.0 and an https "
                f"source, found {mmdet!r},{low!r},{high!r},{source!r}")
        table.append(CompatRow(versions[0], low, high))
    return tuple(table)


def load_gpu_table(path: Path = DATA_DIR / "gpus.csv") -> dict[tuple[str, ...], tuple[int, int]]:
    table: dict[tuple[str, ...], tuple[int, int]] = {}
    for number, (name, capability) in _read_csv(path, ["gpu", "compute_capability"]):
        found = re.fullmatch(r"(\d{1,2})\.(\d)", capability)
        words = gpu_words(name)
        if not found or not words:
            raise DataFileError(f"{path}:{number}: expected a GPU name and a capability such as 8.6, "
                                f"found {name!r},{capability!r}")
        if words in table:
            raise DataFileError(f"{path}:{number}: {name!r} is listed twice")
        table[words] = (int(found[1]), int(found[2]))
    return table


@dataclass(frozen=True)
class ArchSupport:
    """The CUDA toolkits whose nvcc compiles for one GPU architecture (rules/data/cuda_archs.csv)."""

    capability: tuple[int, int]
    first: Version
    last: Version | None  # None while CUDA still builds for it


def load_arch_table(path: Path = DATA_DIR / "cuda_archs.csv") -> tuple[ArchSupport, ...]:
    table = []
    for number, (capability, first, last) in _read_csv(path, ["compute_capability", "first_cuda", "last_cuda"]):
        found = re.fullmatch(r"(\d{1,2})\.(\d)", capability)
        versions = [parse_version(first), parse_version(last) if last else None]
        if not found or versions[0] is None or (last and versions[1] is None):
            raise DataFileError(f"{path}:{number}: expected a capability and CUDA versions such as 8.6,11.1, "
                                f"found {capability!r},{first!r},{last!r}")
        table.append(ArchSupport((int(found[1]), int(found[2])), versions[0], versions[1]))
    return tuple(sorted(table, key=lambda row: row.capability))


@cache
def arch_table() -> tuple[ArchSupport, ...]:
    return load_arch_table()


def arch_to_build(capability: tuple[int, int], cuda: Version | None) -> tuple[int, int] | str:
    """The architecture to build for a GPU of ``capability`` with CUDA ``cuda``: its own; else the
    newest of its major that this CUDA compiles (that code runs on the GPU: sm_86 on an 8.9 board
    under CUDA 11.7); "newer-cuda" when this CUDA compiles none of its major, "older-cuda" when it
    no longer compiles for it. Its own when the CUDA or the architecture is not in the table."""
    rows = {row.capability: row for row in arch_table()}
    own = rows.get(capability)
    if cuda is None or own is None:
        return capability
    series = cuda.release[:2]
    if own.last is not None and series > own.last.release[:2]:
        return "older-cuda"
    if series >= own.first.release[:2]:
        return capability
    known = [row.capability for row in rows.values()
             if row.capability[0] == capability[0] and row.capability < capability and series >= row.first.release[:2]]
    return max(known) if known else "newer-cuda"


@cache
def compat_table() -> tuple[CompatRow, ...]:
    """The shipped compatibility table, read once."""
    return load_compat_table()


@cache
def gpu_table() -> dict[tuple[str, ...], tuple[int, int]]:
    return load_gpu_table()


def compute_capability(name: str, table: Mapping[tuple[str, ...], tuple[int, int]] | None = None
                       ) -> tuple[int, int] | None:
    """The GPU's compute capability from the table, or None for a name it does not know."""
    table = gpu_table() if table is None else table
    words = gpu_words(name)
    for size in range(len(words), 0, -1):  # the longest listed name wins
        if words[:size] in table and all(_GPU_EXTRA.match(w) for w in words[size:]):
            return table[words[:size]]
    return None


# --- prebuilt MMCV wheels (rules/data/mmcv_wheels.csv) -----------------------------------------

WHEEL_INDEX = "https://download.openmmlab.com/mmcv/dist/{cuda}/{torch}/index.html"
_WHEEL_PACKAGES = ("mmcv-full", "mmcv")
_WHEEL_PLATFORMS = ("linux", "win32", "darwin")


@dataclass(frozen=True)
class WheelRow:
    """The MMCV versions with a prebuilt wheel for one package, platform, CUDA (or cpu/mps) and PyTorch series."""

    package: str  # "mmcv-full" (MMCV 1.x) or "mmcv" (MMCV 2.x)
    platform: str
    cuda: str  # "11.3", "cpu" or "mps"
    torch: tuple[int, int]
    versions: tuple[Version, ...]  # newest first

    @property
    def index_url(self) -> str:
        """The ``-f`` URL, formed as the installation page's selector forms it."""
        cuda = "cpu" if self.cuda in ("cpu", "mps") else "cu" + self.cuda.replace(".", "")
        return WHEEL_INDEX.format(cuda=cuda, torch="torch{}.{}".format(*self.torch))


def load_wheel_table(path: Path = DATA_DIR / "mmcv_wheels.csv") -> tuple[WheelRow, ...]:
    table = []
    for number, (package, platform, cuda, torch, versions) in _read_csv(
            path, ["package", "platform", "cuda", "torch", "mmcv_versions"]):
        series = re.fullmatch(r"(\d+)\.(\d+)", torch)
        parsed = tuple(parse_version(text) for text in versions.split())
        if (package not in _WHEEL_PACKAGES or platform not in _WHEEL_PLATFORMS or not series or not parsed
                or None in parsed or not re.fullmatch(r"\d+\.\d|cpu|mps", cuda)):
            raise DataFileError(f"{path}:{number}: expected mmcv-full|mmcv, linux|win32|darwin, a CUDA such as "
                                f"11.3 (or cpu, mps), a PyTorch series such as 1.12 and versions, found "
                                f"{package!r},{platform!r},{cuda!r},{torch!r},{versions!r}")
        table.append(WheelRow(package, platform, cuda, (int(series[1]), int(series[2])),
                              tuple(sorted(parsed, reverse=True))))  # type: ignore[arg-type]
    return tuple(table)


@cache
def wheel_table() -> tuple[WheelRow, ...]:
    """The shipped wheel table, read once."""
    return load_wheel_table()


# --- the projects issues are filed on (rules/data/projects.csv) ----------------------------------

@dataclass(frozen=True)
class Project:
    """An OpenMMLab project: its repository's name, import package, how it collects the environment."""

    repo: str  # "mmdetection"
    package: str  # "mmdet": the import name, the folder in tracebacks, the registry scope
    name: str  # "MMDetection"
    collect_env: str  # the command its issue template asks for
    faq_url: str  # the FAQ holding the answered entries, in this project's docs or MMCV's
    mmcv2_from: str = ""  # its first release made for MMCV 2.x ("" when every release is, or none)
    mmcv2_below: str = ""  # the MMCV its newest release refuses, and every later one ("" where not looked up)
    mmcv2_torch_from: str = ""  # the oldest PyTorch its releases for MMCV 2.x run on ("" where not looked up)


def load_project_table(path: Path = DATA_DIR / "projects.csv") -> tuple[Project, ...]:
    table = []
    for number, (repo, package, name, collect_env, faq_url, mmcv2_from, mmcv2_below, torch_from, source) in _read_csv(
            path, ["repo", "package", "name", "collect_env", "faq_url", "mmcv2_from", "mmcv2_below", "mmcv2_torch_from",
                   "source_url"]):
        versions = (mmcv2_from, mmcv2_below, torch_from)
        if not (re.fullmatch(r"[\w.-]+", repo) and re.fullmatch(r"\w+", package) and name
                and collect_env.startswith("python ") and faq_url.startswith("https://")
                and source.startswith("https://") and all(not version or parse_version(version) for version in versions)):
            raise DataFileError(f"{path}:{number}: expected repo,package,name,python command,https FAQ,"
                                f"versions or nothing,https source; found {repo!r},{package!r},{name!r},"
                                f"{collect_env!r},{faq_url!r},{mmcv2_from!r},{mmcv2_below!r},{torch_from!r},{source!r}")
        table.append(Project(repo.lower(), package, name, collect_env, faq_url, mmcv2_from, mmcv2_below, torch_from))
    return tuple(table)


@cache
def project_table() -> tuple[Project, ...]:
    """The shipped project table, read once."""
    return load_project_table()


def project_named(repo: str) -> Project | None:
    """The project of a repository ("open-mmlab/mmsegmentation" or "mmsegmentation"), if listed."""
    name = repo.rpartition("/")[2].lower()
    return next((project for project in project_table() if project.repo == name), None)


def project_of_package(package: str) -> Project | None:
    """The project whose import package is ``package`` ("mmseg")."""
    return next((project for project in project_table() if project.package == package), None)
