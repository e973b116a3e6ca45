"""CUDA errors printed as numbers or enumerator names, read as the ``cudaError_t`` they mean (pure).

CUDA 10.1 renumbered the runtime API's errors to match the driver API's: 48 was "no kernel image
is available" up to CUDA 10.0 and means nothing since; 209 means it from 10.1 on. Both numberings
live on in issues. ``rules/data/cuda_errors.csv`` holds both, and where they say different things
for one number, the reported CUDA version decides; with no version the number says nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.environment import Environment, EnvironmentSource, resolve_environment
from bot.reference_tables import DATA_DIR, DataFileError, _read_csv
from bot.issue import IssueText

NUMBERINGS = ("legacy", "current", "driver")
# The first CUDA release whose runtime API uses the driver API's numbers.
RENUMBERED_IN = (10, 1)


@dataclass(frozen=True)
class ErrorTable:
    by_code: dict[str, dict[int, str]]  # numbering -> code -> runtime enumerator name
    driver_names: dict[str, str]  # CUDA_ERROR_NO_BINARY_FOR_GPU -> cudaErrorNoKernelImageForDevice
    runtime_names: frozenset[str]


def load_error_table(path: Path = DATA_DIR / "cuda_errors.csv") -> ErrorTable:
    by_code: dict[str, dict[int, str]] = {numbering: {} for numbering in NUMBERINGS}
    driver_names: dict[str, str] = {}
    runtime: set[str] = set()
    for number, (numbering, code, name, runtime_name) in _read_csv(
            path, ["numbering", "code", "name", "runtime_name"]):
        if numbering not in NUMBERINGS or not code.isdigit() or not runtime_name.startswith("cuda"):
            raise DataFileError(f"{path}:{number}: expected legacy|current|driver, a number and names, "
                                f"found {numbering!r},{code!r},{name!r},{runtime_name!r}")
        if int(code) in by_code[numbering]:
            raise DataFileError(f"{path}:{number}: code {code} is listed twice for {numbering}")
        by_code[numbering][int(code)] = runtime_name
        if numbering == "driver":
            driver_names[name] = runtime_name
        else:
            runtime.add(name)
    return ErrorTable(by_code, driver_names, frozenset(runtime))


@cache
def error_table() -> ErrorTable:
    return load_error_table()


@dataclass(frozen=True)
class CudaError:
    name: str  # the runtime API's enumerator: cudaErrorNoKernelImageForDevice
    code: int | None  # as printed; None when the name itself was printed
    numbering: str  # "legacy", "current", "both" (same meaning in each), "driver" or "name"
    line: int


# Where CUDA errors are printed with a number (see THCudaCheck, C10_CUDA_CHECK and mmcv's own
# checks): "cuda runtime error (209) : ...", "THCudaCheck FAIL file=... line=139 error=48 : ...",
# "CUDA error 48", "CUDA error: 209", "CUDA error code: 98", "cudaError 209".
_NUMBERED = re.compile(
    r"\bcuda runtime error \((\d{1,5})\)"
    r"|\bTHCudaCheck FAIL\b.{0,300}?\berror=(\d{1,5})\b"
    r"|\bcuda(?: driver| runtime)? ?error(?: code)?(?: ?[:#=]) ?(\d{1,5})\b(?! ?(?:MiB|GiB|MB|GB|%|\.\d))"
    r"|\bcuda(?: driver| runtime)? ?error (\d{1,5})\b(?! ?(?:MiB|GiB|MB|GB|%|\.\d))",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_NAMED = re.compile(r"\b(cudaError[A-Z]\w{2,60}|CUDA_ERROR_[A-Z_]{2,60})\b")
_TRIGGERS = ("cuda runtime error", "thcudacheck", "cuda error", "cuda driver error", "cudaerror", "cuda_error_")
# The runtime that printed the number did not know it: the number is from the other numbering.
_UNRECOGNISED = "unrecognized error code"


def read_cuda_errors(text: IssueText, env: EnvironmentSource) -> tuple[CudaError, ...]:
    """Every CUDA error the issue prints as a number or a name, resolved where that is certain."""
    numbers = text.lines_holding(_TRIGGERS)
    if not numbers:
        return ()
    table = error_table()
    side = _numbering_of(resolve_environment(env))
    found: list[CudaError] = []
    for number in numbers:
        line = text.lines[number]
        lowered = line.lower()
        # Both patterns open with \b and an alternation, tried at every character: run each only
        # on a line that can hold its match ("CUDA error: out of memory" holds neither).
        for hit in _NUMBERED.finditer(line) if _DIGIT.search(line) else ():
            code = int(next(group for group in hit.groups() if group))
            resolved = _resolve(code, table, side, _UNRECOGNISED in line.lower())
            if resolved is not None:
                found.append(CudaError(resolved[0], code, resolved[1], number))
        for hit in _NAMED.finditer(line) if "cudaerror" in lowered or "cuda_error_" in lowered else ():
            name = hit[1]
            runtime = table.driver_names.get(name) or (name if name in table.runtime_names else None)
            if runtime is not None:
                found.append(CudaError(runtime, None, "driver" if name in table.driver_names else "name", number))
    return tuple(found)


def _resolve(code: int, table: ErrorTable, side: str | None, unrecognised: bool) -> tuple[str, str] | None:
    """(name, numbering) of a runtime error number, or None when it is ambiguous or unknown."""
    legacy = table.by_code["legacy"].get(code)
    current = table.by_code["current"].get(code)
    if legacy is not None and legacy == current:
        return legacy, "both"
    if side is not None:
        chosen = legacy if side == "legacy" else current
        other = current if side == "legacy" else legacy
        if chosen is not None and not unrecognised:
            return chosen, side
        # The printing runtime had no text for it: the number comes from the other numbering.
        if chosen is None and unrecognised and other is not None:
            return other, "current" if side == "legacy" else "legacy"
        return None
    if legacy is not None and current is not None:
        return None  # different meanings and no version to say which
    if legacy is not None:
        return legacy, "legacy"
    if current is not None:
        return current, "current"
    return None


def _numbering_of(env: Environment) -> str | None:
    """Which numbering the reported CUDA uses; None when unknown or the reports disagree."""
    sides = set()
    for version in (env.pytorch_cuda, env.nvcc, env.cudatoolkit, env.cuda_stated):
        if version is not None:
            sides.add("current" if version.major_minor() >= RENUMBERED_IN else "legacy")
    return sides.pop() if len(sides) == 1 else None


def numbering_range(numbering: str) -> str:
    """The CUDA releases a numbering belongs to, for the reply."""
    return {"legacy": "CUDA 10.0 and older", "current": "CUDA 10.1 and newer",
            "both": "every CUDA release", "driver": "the driver API", "name": ""}[numbering]


def known_runtime_names() -> frozenset[str]:
    return error_table().runtime_names

