"""Version numbers as people paste them (``1.12.1+cu113``, ``2.0.0rc4``) and ranges over them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Release numbers, an optional pre-release tag (PEP 440 spellings and mmcv's own ``rc``),
# an optional local part (``+cu113``, ``+6fd1a9a``). Anything else (``1.x``, ``latest``) is
# not a version: a guess would be worse than nothing.
_VERSION = re.compile(
    r"""
    ^v?(?P<release>\d{1,6}(?:\.\d{1,6}){0,4})
    (?:[-_.]?(?P<pre>a|b|rc|alpha|beta|dev|post)[-_.]?(?P<pre_n>\d{1,10})?)?
    (?:\+(?P<local>[A-Za-z0-9]{1,40}(?:\.[A-Za-z0-9]{1,40}){0,8}))?$
    """,
    re.VERBOSE | re.IGNORECASE,
)
_PRE_ORDER = {"dev": -3, "a": -2, "alpha": -2, "b": -1, "beta": -1, "rc": 0, "post": 2}
_FINAL = 1  # sorts a final release after its rc and before its post releases


@dataclass(frozen=True, order=False)
class Version:
    release: tuple[int, ...]
    pre: tuple[int, int] = (_FINAL, 0)
    local: str = ""

    @property
    def key(self) -> tuple:
        padded = self.release + (0,) * (5 - len(self.release))
        return padded, self.pre

    def __lt__(self, other: Version) -> bool:
        return self.key < other.key

    def __le__(self, other: Version) -> bool:
        return self.key <= other.key

    def __gt__(self, other: Version) -> bool:
        return self.key > other.key

    def __ge__(self, other: Version) -> bool:
        return self.key >= other.key

    def same_release(self, other: Version) -> bool:
        return self.key == other.key

    def major_minor(self) -> tuple[int, int]:
        padded = self.release + (0, 0)
        return padded[0], padded[1]

    @property
    def series(self) -> str:
        """"11.3" of 11.3.109: the major.minor a reply names (a CUDA, a PyTorch series)."""
        return "{}.{}".format(*self.major_minor())

    def __str__(self) -> str:
        text = ".".join(map(str, self.release))
        if self.pre[0] != _FINAL:
            name = {-3: "dev", -2: "a", -1: "b", 0: "rc", 2: "post"}[self.pre[0]]
            text += f"{name}{self.pre[1]}"
        if self.local:
            text += f"+{self.local}"
        return text


def parse_version(text: str | None) -> Version | None:
    """The version in ``text``, or None when it is not one (``1.x``, ``latest``, empty)."""
    if not text:
        return None
    # The same few strings recur in a body (every pip row, every repeat of a report): parse each
    # short one once. Versions are immutable; long junk is not kept in the cache.
    return _parse_short(text) if len(text) <= 64 else _parse(text)


def _parse(text: str) -> Version | None:
    found = _VERSION.match(text.strip())
    if not found:
        return None
    release = tuple(int(part) for part in found["release"].split("."))
    pre = (_FINAL, 0)
    if found["pre"]:
        pre = (_PRE_ORDER[found["pre"].lower()], int(found["pre_n"] or 0))
    return Version(release, pre, found["local"] or "")


_parse_short = lru_cache(maxsize=2048)(_parse)


class VersionRangeError(ValueError):
    """A version range in a rule or data file that cannot be read."""


_CLAUSE = re.compile(r"^(>=|<=|==|!=|>|<)\s*(\S+)$")


@dataclass(frozen=True)
class VersionRange:
    """A conjunction of clauses such as ``>=1.5.0,<1.6.0``; ``==1.5`` means the 1.5 series' 1.5.0."""

    clauses: tuple[tuple[str, Version], ...]

    def contains(self, version: Version) -> bool:
        return all(_holds(version, op, bound) for op, bound in self.clauses)


def _holds(version: Version, op: str, bound: Version) -> bool:
    if op == ">=":
        return version >= bound
    if op == "<=":
        return version <= bound
    if op == ">":
        return version > bound
    if op == "<":
        return version < bound
    if op == "==":
        return version.same_release(bound)
    return not version.same_release(bound)


def parse_range(text: str) -> VersionRange:
    clauses = []
    for raw in str(text).split(","):
        found = _CLAUSE.match(raw.strip())
        version = parse_version(found[2]) if found else None
        if version is None:
            raise VersionRangeError(
                f"cannot read version clause {raw.strip()!r} in {text!r}: "
                "write it as >=1.5.0,<1.6.0 (operators >= <= > < == !=)"
            )
        clauses.append((found[1], version))
    return VersionRange(tuple(clauses))
