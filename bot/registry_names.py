"""Registry errors read against the names MMCV, MMDetection, MMEngine, MMPose and MMSegmentation
really register (pure).

``X is not in the Y registry`` has three causes: the module defining X was never imported (the
FAQ's answer; under MMEngine also a missing ``default_scope``), X is a built-in class newer than
the installed release, or X misspells a class the library registers (``COCODataset``). And
``X is already registered in Y`` for a class MMCV also registers is an old MMDetection beside a
newer MMCV. ``rules/data/registered_names.csv`` lists who registers what, and since when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from bot.environment import Environment, EnvironmentSource, resolve_environment
from bot.finding import Finding
from bot.issue import IssueText
from bot.reference_tables import DATA_DIR, DataFileError, _read_csv, project_of_package
from bot.version import Version, parse_version

LIBRARIES = ("mmcv", "mmdet", "mmengine", "mmpose", "mmseg")
# The major of each library's first MMEngine-era release: a registry error naming its scope
# ("mmpose::model") comes from that era or later.
_MMENGINE_ERA = {"mmcv": 2, "mmdet": 3, "mmpose": 1, "mmseg": 1}
# Shorter names are matched only when they differ in case or separators ("COCODataset").
MIN_TYPO_CHARS = 8


@dataclass(frozen=True)
class Registration:
    library: str
    registry: str  # the registry's variable, lowercased: "detectors", "conv_layers", "models"
    name: str
    first: Version  # the first release read that registers it
    last: Version  # the last release read that registers it


@dataclass(frozen=True)
class NameTable:
    by_name: dict[str, tuple[Registration, ...]]
    by_folded: dict[str, str]  # lowercased, without "_" and "-" -> the registered spelling
    releases: dict[str, tuple[Version, ...]]  # library -> the releases that were read
    # each folded name with one letter deleted -> the folded names it comes from: a name one letter
    # off shares a key with its original, so a look-up replaces a scan of every name
    by_deletion: dict[str, tuple[str, ...]] = field(default_factory=dict)


def load_name_table(path: Path = DATA_DIR / "registered_names.csv") -> NameTable:
    by_name: dict[str, list[Registration]] = {}
    releases: dict[str, set[Version]] = {library: set() for library in LIBRARIES}
    for number, (library, registry, name, first, last) in _read_csv(
            path, ["library", "registry", "name", "first", "last"]):
        versions = parse_version(first), parse_version(last)
        if library not in LIBRARIES or not re.fullmatch(r"[A-Za-z_][\w.]{0,80}", name) \
                or None in versions or not registry:
            raise DataFileError(f"{path}:{number}: expected {'|'.join(LIBRARIES)}, a registry, a name and two "
                                f"versions, found {library!r},{registry!r},{name!r},{first!r},{last!r}")
        by_name.setdefault(name, []).append(Registration(library, registry, name, *versions))  # type: ignore[arg-type]
        releases[library].update(versions)  # type: ignore[arg-type]
    folded = {_fold(name): name for name in by_name}
    deletions: dict[str, set[str]] = {}
    for key in folded:
        for variant in _deletions(key):
            deletions.setdefault(variant, set()).add(key)
    return NameTable(
        {name: tuple(rows) for name, rows in by_name.items()},
        folded,
        {library: tuple(sorted(found)) for library, found in releases.items()},
        {variant: tuple(sorted(keys)) for variant, keys in deletions.items()},
    )


def _deletions(text: str) -> set[str]:
    return {text, *(text[:i] + text[i + 1:] for i in range(len(text)))}


@cache
def name_table() -> NameTable:
    return load_name_table()


def _fold(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


# mmcv 1.x: "'RefineRoIHead is not in the models registry'"; MMEngine: "'CocoDataset is not in the
# mmdet::dataset registry. Please check whether ...", with the registry's scope before "::"; titles:
# "MyHead is not in the registry". A dotted name ("mmdet.MyHead") gives its last part.
_NOT_IN = re.compile(r"""\b(\w{1,80})[\x27"]? is not in the (?:(\w{1,20})::)?([\w. -]{0,40}?) ?registry\b""",
                     re.IGNORECASE)
# The package a dotted name asks for: "mmpretrain.ConvNeXt" is MMPretrain's ConvNeXt (MMEngine's
# cross-repository form).
_OWNER = re.compile(r"\b(\w{1,20})\.$")
# A reporter's own words before it: "the model is not in the mmseg::model registry" names no class.
_DETERMINER = re.compile(r"\b(?:the|a|an|my|our|your|this|that|its|some)\s+$", re.IGNORECASE)
COVERED_SCOPES = frozenset(LIBRARIES)  # the scopes whose classes the table holds
# Projects whose own classes the table does not hold: their registry misses get no hint.
_OTHER_LIBRARY = re.compile(r"^(?:mm(?!cv$|det$|detection$|engine$|pose$|seg$|segmentation$)\w+|OpenPCDet)$",
                            re.IGNORECASE)
# mmcv 1.x: "ConvWS is already registered in conv layer"; mmengine: "... in model at mmdet.models".
_ALREADY = re.compile(r"([A-Za-z_]\w{0,80})[\x27\"]? is already registered in ", re.IGNORECASE)


@dataclass(frozen=True)
class RegistryMiss:
    name: str  # the class the config asked for; "" when the line names it only in words ("the model")
    scope: str  # "mmdet" from "mmdet::model"; "" when the error names none (MMCV 1.x)
    registry: str = ""  # the registry's name as printed, lowercase: "dataset", "models"; "" when none
    owner: str = ""  # the package a dotted name asks for ("mmpretrain" of "mmpretrain.ConvNeXt"), else ""

    @property
    def from_another_package(self) -> bool:
        """A class of another OpenMMLab package than the registry's own (mmpretrain.ConvNeXt under
        mmdet::model): it is registered only once that package's models are imported."""
        return (bool(self.owner and self.scope) and self.owner.lower() != self.scope.lower()
                and project_of_package(self.owner) is not None)

    def registration(self) -> tuple[str, str | None] | None:
        """(the registry's constant for the decorator, the package folder whose ``__init__.py`` imports
        such classes; None for the models' part folders, "" where the folder is not known), or None
        for a registry not in the table."""
        name = self.registry
        # "dataset" or "datasets", "loss" or "losses": the singular, then without one plural ending
        for key in (name, name[:-1] if name.endswith("s") else "", name[:-2] if name.endswith("es") else ""):
            if key in _REGISTRATION:
                decorator, folder = _REGISTRATION[key]
                # hooks moved: engine/hooks is the MMEngine-era folder ("mmdet::hook"); MMCV 1.x-era
                # packages keep theirs in folders that differ from package to package
                return (decorator, "") if folder == "engine/hooks" and not self.scope else (decorator, folder)
        return None


# What a registry's printed name says of where its classes are registered and imported, as the
# OpenMMLab packages lay them out: MMEngine-era names ("mmdet::transform"), MMCV 1.x era ones
# ("pipeline", "models"), and MMDetection 2.0's own ("backbone", "detector").
_REGISTRATION: dict[str, tuple[str, str | None]] = {
    "model": ("MODELS", None),
    "dataset": ("DATASETS", "datasets"),
    "transform": ("TRANSFORMS", "datasets/transforms"),
    "pipeline": ("PIPELINES", "datasets/pipelines"),
    "metric": ("METRICS", "evaluation/metrics"),
    "backbone": ("BACKBONES", "models/backbones"),
    "neck": ("NECKS", "models/necks"),
    "detector": ("DETECTORS", "models/detectors"),
    "loss": ("LOSSES", "models/losses"),
    "head": ("HEADS", None),
    "hook": ("HOOKS", "engine/hooks"),
}


def registry_misses(line: str) -> list[RegistryMiss]:
    """Each registry miss ``line`` states, in order."""
    misses = []
    for found in _NOT_IN.finditer(line):
        prose = found[1].islower() and _DETERMINER.search(line, 0, found.start(1)) is not None
        owner = _OWNER.search(line, max(0, found.start(1) - 21), found.start(1))
        misses.append(RegistryMiss("" if prose else found[1], found[2] or "", found[3].strip().lower(),
                                   owner[1] if owner and not prose else ""))
    return misses


def registry_miss(line: str) -> RegistryMiss | None:
    """The class missing from the registry: the last one the line names (the error's own wording
    comes after the reporter's words about it)."""
    misses = registry_misses(line)
    return misses[-1] if misses else None


# A traceback through an installed package: "/site-packages/mmdet/", "\\dist-packages\\mmseg\\".
_INSTALLED_COPY = re.compile(r"[/\\](?:site|dist)-packages[/\\](mm(?!cv\b|engine\b)[a-z0-9]+)[/\\]")


def read_registry_errors(text: IssueText, env: EnvironmentSource) -> list[Finding]:
    """A finding for each registry miss and each class registered twice."""
    found: list[Finding] = []
    installed: str | None = None
    for number in text.lines_holding((" is not in the ", " already registered in ")):
        line = text.lines[number]
        lowered = line.lower()
        # The regexes open with a class of names: only worth running on the lines that hold their text.
        for miss in registry_misses(line) if " is not in the " in lowered else ():
            covered = miss.scope.lower() in COVERED_SCOPES if miss.scope else not _OTHER_LIBRARY.match(text.project)
            if installed is None:
                installed = _installed_copy(text)
            found.append(_not_in(miss.name, number, resolve_environment(env), covered, installed, miss.scope,
                                 _libraries_of(miss.scope, text.project)))
        for hit in _ALREADY.finditer(line) if "already registered in " in lowered else ():
            rows = name_table().by_name.get(hit[1], ())
            mmcv = [row for row in rows if row.library == "mmcv"]
            if mmcv:
                found.append(Finding("already-registered", "mmcv-class", number, "already-registered-mmcv",
                                     (("name", hit[1]), ("since", str(min(row.first for row in mmcv))))))
            else:
                found.append(Finding("already-registered", "other", number, "", (("name", hit[1]),)))
    return found


def _installed_copy(text: IssueText) -> str:
    """The one OpenMMLab package (not MMCV or MMEngine) whose installed copy, in site-packages, the
    issue's tracebacks run through; "" when none or several."""
    if "-packages" not in text.lowered:
        return ""
    packages = set(_INSTALLED_COPY.findall(text.lowered))
    return packages.pop() if len(packages) == 1 else ""


def _unregistered(name: str, line: int, installed: str) -> Finding:
    """The FAQ's case. Where the traceback runs through the installed copy of the package, a file
    added to a source checkout of it is not what Python imports: the reply says so."""
    if installed:
        return Finding("registry-miss", "unregistered", line, "registry-installed-copy",
                       (("name", name), ("package", installed)))
    return Finding("registry-miss", "unregistered", line, "", (("name", name),))


def _libraries_of(scope: str, project: str) -> frozenset[str]:
    """The libraries whose classes a miss may be told against: its scope's (else the repository's)
    with MMCV and MMEngine beneath it; every one when neither says. An MMSegmentation issue's
    "COCODataset" is not MMDetection's CocoDataset misspelt."""
    home = scope.lower() or {"mmdetection": "mmdet", "mmsegmentation": "mmseg"}.get(project.lower(), project.lower())
    return frozenset({home, "mmcv", "mmengine"}) if home in LIBRARIES else frozenset(LIBRARIES)


def _not_in(name: str, line: int, env: Environment, covered: bool = True, installed: str = "",
            scope: str = "", libraries: frozenset[str] = frozenset(LIBRARIES)) -> Finding:
    """Which case a registry miss is; only the FAQ's case where the table does not cover the library
    (mmdet3d::model, an issue on mmdetection3d): its own classes could look misspelt or new."""
    table = name_table()
    rows = tuple(row for row in table.by_name.get(name, ()) if row.library in libraries)
    if not covered:
        return _unregistered(name, line, installed)
    if rows:
        newer = _newer_than_installed(rows, env, scope)
        if newer is not None:
            row, have = newer
            return Finding("registry-miss", "newer-release", line, "hint-newer-release",
                           (("name", name), ("library", row.library), ("since", str(row.first)),
                            ("installed", have)), hint=True)
        older = _older_than_installed(rows, env, scope)
        if older is not None:
            row, have = older
            return Finding("registry-miss", "older-release", line, "hint-older-release",
                           (("name", name), ("library", row.library), ("until", str(row.last)), ("installed", have)),
                           hint=True)
        arrived = _arrival_past_unknown_release(rows, env, scope, installed)
        if arrived is not None:
            return Finding("registry-miss", "newer-release", line, "hint-arrived-in",
                           (("name", name), ("library", arrived.library), ("since", str(arrived.first))), hint=True)
        return _unregistered(name, line, installed)
    suggestion = _spelling_of(name, table, libraries)
    if suggestion is not None:
        library = next(row.library for row in table.by_name[suggestion] if row.library in libraries)
        return Finding("registry-miss", "misspelt", line, "hint-did-you-mean",
                       (("name", name), ("suggestion", suggestion), ("library", library)), hint=True)
    return _unregistered(name, line, installed)


def _newer_than_installed(rows: tuple[Registration, ...], env: Environment, scope: str
                          ) -> tuple[Registration, str] | None:
    """The registration that says X arrived after the installed release, when every one says so;
    with the installed release, or the era before MMEngine's ("2.x" for MMDetection) for a class of
    that era's library missed with no registry scope: only MMCV 1.x's registry prints "X is not in
    the models registry" ("RTMDet", MMDetection 3.0.0's, run on a 2.x checkout)."""
    verdict = None
    oldest_read = name_table().releases
    for row in rows:
        # A class already in the oldest release read may be older still: no arrival to tell.
        if row.first == oldest_read[row.library][0]:
            return None
        installed = _installed(env, row.library)
        era = _MMENGINE_ERA.get(row.library)
        if installed is not None:
            if not installed < row.first:
                return None
            have = str(installed)
        elif era is not None and not scope and row.first.release[0] >= era:
            have = f"{era - 1}.x"
        else:
            return None
        verdict = verdict or (row, have)
    return verdict


def _arrival_past_unknown_release(rows: tuple[Registration, ...], env: Environment, scope: str, installed: str
                                  ) -> Registration | None:
    """The registration of a class that arrived within the era the registry's message tells (a scope,
    "mmdet::model", is MMEngine's era; none, MMCV 1.x's), after that era's first release, when the
    installed release is not told: such a class is missed by every older release of the era, far
    more often than its file goes unimported (YOLOX, MMDetection 2.16.0's, on a checkout whose release
    the issue does not name). A class as old as its era (RTMDet under "mmdet::model") is the FAQ's
    case, as is MMEngine's root registry ("mmengine::model"), which a config without its
    default_scope searches. Of a class several libraries register, only the one the traceback's
    installed package (``installed``) is told."""
    if scope.lower() == "mmengine":
        return None
    if len({row.library for row in rows}) > 1:
        # several libraries register it (SwinTransformer): the one whose installed copy the traceback runs through
        rows = tuple(row for row in rows if row.library == installed)
    releases = name_table().releases
    for row in sorted(rows, key=lambda row: row.first):
        era = _MMENGINE_ERA.get(row.library)
        if era is None or _installed(env, row.library) is not None:
            return None
        major = era if scope else era - 1
        firsts = [release for release in releases[row.library] if release.release[0] == major]
        if row.first.release[0] == major and firsts and row.first > min(firsts):
            return row
    return None


def _older_than_installed(rows: tuple[Registration, ...], env: Environment, scope: str
                          ) -> tuple[Registration, str] | None:
    """The registration that says X left before the installed release (GradientCumulativeOptimizerHook:
    MMCV up to 1.7.0, gone with MMEngine; MMPose 0.x's TopDown), when every one says so; with the
    installed release, or the MMEngine era's major ("2.x" for MMCV, "1.x" for MMPose) under a registry
    scope ("mmdet::hook"), which only that era prints."""
    verdict = None
    newest_read = name_table().releases
    for row in rows:
        if row.last == newest_read[row.library][-1]:
            return None  # still registered in the newest release read
        installed = _installed(env, row.library)
        era = _MMENGINE_ERA.get(row.library)
        if installed is not None:
            if not row.last.release[:2] < installed.release[:2]:
                return None
            have = str(installed)
        elif era is not None and scope and row.last.release[0] < era:
            have = f"{era}.x"
        else:
            return None
        verdict = verdict or (row, have)
    return verdict


def _installed(env: Environment, library: str) -> Version | None:
    """The reporter's release of ``library``: collect_env's own field, or another project's."""
    if library in ("mmcv", "mmdet", "mmengine"):
        return getattr(env, library)
    return dict(env.projects).get(library)


def _spelling_of(name: str, table: NameTable, libraries: frozenset[str] = frozenset(LIBRARIES)) -> str | None:
    """The registered name ``name`` misspells: other case or separators, or one letter off.

    Never a name that differs only in digits or by a prefix or suffix (``YOLOXHead2``,
    ``SwinTransformerV3``, ``MyCocoDataset``): those are the reporter's own classes.
    """
    folded = _fold(name)
    if len(folded) < 6:
        return None
    def among(spelling: str) -> bool:
        return any(row.library in libraries for row in table.by_name[spelling])

    exact = table.by_folded.get(folded)
    if exact is not None and exact != name and among(exact):
        return exact
    if len(folded) < MIN_TYPO_CHARS:
        return None  # "MyHead" is one letter from "DyHead": short names are too close to each other
    candidates = {key for variant in _deletions(folded) for key in table.by_deletion.get(variant, ())}
    for candidate_folded in sorted(candidates):
        if _one_letter_off(folded, candidate_folded) and among(table.by_folded[candidate_folded]):
            return table.by_folded[candidate_folded]
    return None


def _one_letter_off(typed: str, real: str) -> bool:
    """One letter substituted, dropped, added or two swapped; never a digit, never an added prefix or suffix."""
    if typed == real or typed.startswith(real) or typed.endswith(real):  # the reporter's own subclass
        return False
    start = 0
    while start < min(len(typed), len(real)) and typed[start] == real[start]:
        start += 1
    end_typed, end_real = len(typed), len(real)
    while end_typed > start and end_real > start and typed[end_typed - 1] == real[end_real - 1]:
        end_typed -= 1
        end_real -= 1
    typed_part, real_part = typed[start:end_typed], real[start:end_real]
    if start < 2:
        return False  # a different first letter is another name ("MyHead", "DyHead"), rarely a typo
    if any(char.isdigit() for char in typed_part + real_part):
        return False
    if len(typed_part) <= 1 and len(real_part) <= 1:
        return True
    return len(typed_part) == len(real_part) == 2 and typed_part == real_part[::-1]
