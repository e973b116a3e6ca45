"""Which MMCV to install, and how, for this reporter's PyTorch, CUDA and platform (pure).

The plans come from rules/data/mmcv_wheels.csv (the wheels that exist) and are sentences not yet
in any language: diagnosis.Message values that bot/reply.py renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from bot.diagnosis import Message
from bot.reference_tables import WheelRow, wheel_table
from bot.reporter import PrintedRange
from bot.version import Version

PACKAGE = {1: "mmcv-full", 2: "mmcv"}
# PyTorch's own wheel suffixes; anything else (+git…, +rocm…, a0, dev…) is a build no MMCV wheel fits.
_RELEASE_LOCAL = ("", "cpu")


@dataclass(frozen=True)
class Target:
    """What to install: an MMCV major, and the versions that will do."""

    major: int | None  # None: nothing says which MMCV the reporter needs
    wanted: PrintedRange | None = None  # the range the reporter's error printed
    keep: Version | None = None  # the installed version, reinstalled as is when no range asks otherwise
    # Per major, the range to stay in when nothing printed one (MMDetection's newest release's)
    caps: Mapping[int, PrintedRange] = field(default_factory=dict, hash=False)

    @property
    def package(self) -> str:
        return PACKAGE.get(self.major or 0, "mmcv")

    @property
    def limits(self) -> PrintedRange | None:
        if self.wanted is not None:
            return self.wanted
        return self.caps.get(self.major or 0) if self.keep is None else None

    def with_major(self, major: int) -> Target:
        return Target(major, self.wanted, None, self.caps)

    def accepts(self, version: Version) -> bool:
        limits = self.limits
        return limits.holds(version) if limits is not None else True

    @property
    def spec(self) -> str:
        """What pip or mim is asked for when the exact wheel cannot be named."""
        limits = self.limits
        if limits is not None:
            return self.package + limits.spec[len(limits.package):]
        if self.keep is not None and self.keep.release[0] == self.major:
            return f"{self.package}=={self.keep}"
        return self.package


@dataclass(frozen=True)
class Machine:
    """The reporter's PyTorch, its CUDA ("11.3", or "cpu") and platform, where known."""

    torch: Version | None
    cuda: str | None
    platform: str | None
    arm: bool = False  # ARM Linux (a Jetson): no prebuilt MMCV, whatever the PyTorch

    @property
    def series(self) -> tuple[int, int] | None:
        return self.torch.major_minor() if self.torch else None

    @property
    def is_release_build(self) -> bool:
        torch = self.torch
        if torch is None:
            return False
        local = torch.local.lower()
        return torch.pre == Version((0,)).pre and (local in _RELEASE_LOCAL or local.startswith("cu"))


def cuda_words(cuda: str) -> str:
    return "CPU" if cuda in ("cpu", "mps") else f"CUDA {cuda}"


def _command(target: Target, version: Version, row: WheelRow) -> str:
    return f"pip install {target.package}=={version} -f {row.index_url}"


def _build(target: Target) -> str:
    return f'pip install "{target.spec}"' if target.limits else f"pip install {target.spec}"


def build(target: Target) -> Message:
    """Building MMCV from source: pip compiles PyPI's source package (no wheel is there)."""
    if target.major is None:
        return Message("build-either")
    return Message("build", {"command": _build(target)})


def _fits(row: WheelRow, target: Target) -> list[Version]:
    return [version for version in row.versions if target.accepts(version)]


def _pick(versions: list[Version], target: Target) -> Version:
    """The version to install: the one they have if it has a wheel here, else the nearest to it
    (a jump to a newer MMCV is the very thing OpenMMLab packages' version checks refuse); the
    newest that fits when they have none or a range asks for other versions."""
    keep = target.keep
    if keep is None or target.limits is not None:
        return versions[0]
    return min(versions, key=lambda version: (version.major_minor() != keep.major_minor(), version > keep,
                                              abs(_number(version) - _number(keep))))


def _number(version: Version) -> float:
    release = version.release + (0, 0, 0)
    return release[0] * 10_000 + release[1] * 100 + release[2] + (version.pre[0] - 1) * 0.01


def plan(target: Target, machine: Machine, short: bool = False) -> Message:
    """The install step for this reporter, as a Message ("install-…" keys of answer.TEXT);
    ``short`` leaves out why no wheel fits (when two majors are offered side by side)."""
    if machine.arm:
        return Message("install-arm", {"build": build(target)})
    if target.major is None:
        if machine.torch is None or machine.cuda is None:
            return Message("install-either")
        return Message("install-both", {"two": plan(target.with_major(2), machine, short=True),
                                        "one": plan(target.with_major(1), machine, short=True)})
    if machine.torch is None or machine.cuda is None:
        spec = target.spec
        mim = f'mim install "{spec}"' if set(spec) & set("<>=!,") else f"mim install {spec}"
        if machine.torch is not None and machine.is_release_build:
            other = _other_torch(target, machine)
            if other is not None:  # mim finds no build for their PyTorch with any CUDA
                values = {"what": target.spec if target.limits else target.package,
                          "torch": "{}.{}".format(*machine.series), "build": _build(target)}
                if not other:
                    return Message("install-no-wheel-torch-build", values)
                return Message("install-no-wheel-torch", {**values, "alt_torch": other, "command": mim})
        return Message("install-mim", {"command": mim})
    if not machine.is_release_build:
        return Message("install-source-torch", {"torch": str(machine.torch), "build": _build(target)})
    rows = _platform_rows(target.package, machine.platform or "linux")
    here = [row for row in _rows_by_torch(target.package, machine.platform or "linux").get(machine.series, ())
            if row.cuda == machine.cuda]
    for row in here:
        fits = _fits(row, target)
        if fits:
            return Message("install-pip", {"command": _command(target, _pick(fits, target), row)})
    what = target.spec if target.limits else target.package
    values = {"what": what, "torch": "{}.{}".format(*machine.series), "cuda": cuda_words(machine.cuda),
              "build": _build(target)}
    nearest = _nearest(rows, target, machine)
    if nearest is None:
        return Message("install-no-wheel-build", values)
    row, version = nearest
    alternative = {"alt_torch": "{}.{}".format(*row.torch), "alt_cuda": cuda_words(row.cuda),
                   "command": _command(target, version, row)}
    # their PyTorch's own series built with another CUDA: the same PyTorch, reinstalled
    same_torch = "-same-torch" if row.torch == machine.series else ""
    if short:
        return Message("install-other-torch" + same_torch, alternative)
    return Message("install-no-wheel" + same_torch, {**values, **alternative})


@cache
def _platform_rows(package: str, platform: str) -> tuple[WheelRow, ...]:
    """The wheel table's rows of one package and platform, in the table's order."""
    return tuple(row for row in wheel_table() if row.package == package and row.platform == platform)


@cache
def _rows_by_torch(package: str, platform: str) -> dict[tuple[int, int], tuple[WheelRow, ...]]:
    """The same rows by PyTorch series."""
    rows: dict[tuple[int, int], list[WheelRow]] = {}
    for row in _platform_rows(package, platform):
        rows.setdefault(row.torch, []).append(row)
    return {torch: tuple(found) for torch, found in rows.items()}


def _other_torch(target: Target, machine: Machine) -> str | None:
    """With their CUDA unknown: None when some build for their PyTorch fits (mim finds it); else the
    nearest PyTorch series that has one ("2.0"), or "" when none has."""
    platform = machine.platform or "linux"
    if any(_fits(row, target) for row in _rows_by_torch(target.package, platform).get(machine.series, ())):
        return None
    nearest = _nearest(_platform_rows(target.package, platform), target, machine)
    return "{}.{}".format(*nearest[0].torch) if nearest is not None else ""


def _nearest(rows: tuple[WheelRow, ...], target: Target, machine: Machine) -> tuple[WheelRow, Version] | None:
    """The combination nearest the reporter's that has a fitting wheel: the same PyTorch with the
    closest CUDA (an older one first: the driver runs it), else the same CUDA with the closest
    PyTorch (newer first), else the newest PyTorch of the same kind (GPU or CPU)."""
    gpu = machine.cuda not in ("cpu", "mps")
    series = machine.series
    cuda = _cuda_number(machine.cuda)

    def rank(row: WheelRow) -> tuple:
        row_cuda = _cuda_number(row.cuda)
        same_torch = row.torch == series
        same_cuda = row.cuda == machine.cuda
        cuda_gap = abs(row_cuda - cuda) + (0.5 if row_cuda > cuda else 0) if gpu and row_cuda >= 0 else 0
        torch_gap = abs((row.torch[0] - series[0]) * 100 + row.torch[1] - series[1]) + (0.5 if row.torch < series else 0)
        return (not same_torch, not same_cuda, cuda_gap if same_torch else torch_gap, torch_gap, cuda_gap)

    usable = [row for row in rows if (row.cuda not in ("cpu", "mps")) == gpu
              and any(target.accepts(version) for version in row.versions)]
    if not usable:
        return None
    best = min(usable, key=rank)
    return best, _pick(_fits(best, target), target)


def _cuda_number(cuda: str | None) -> float:
    try:
        return float(cuda) if cuda else -1.0
    except ValueError:
        return -1.0


def uninstall(major: int | None, installed: Version | None, package: str | None,
              distributions: tuple[str, ...]) -> str:
    """The ``pip uninstall`` that clears the way: every MMCV distribution listed, else the one the
    reporter has (an installed 1.x may be mmcv-full or mmcv, and both names are given)."""
    if len(distributions) > 1:
        return "pip uninstall " + " ".join(sorted(distributions))
    if package in ("mmcv-full", "mmcv-lite"):
        return f"pip uninstall {package}"
    installed_major = installed.release[0] if installed is not None else None
    if installed_major == 1 or (installed_major is None and major == 1):
        return "pip uninstall mmcv-full mmcv" if package is None else f"pip uninstall {package}"
    if installed_major == 2 or major == 2:
        return "pip uninstall mmcv"
    return "pip uninstall mmcv mmcv-full"
