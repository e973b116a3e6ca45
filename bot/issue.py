"""Reading an issue: normalised text, error signatures with their evidence lines, language (pure)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# GitHub caps an issue body at 65,536 characters; anything longer is not a real issue body.
# Keep its head and its tail: tracebacks end where logs end.
MAX_TEXT_CHARS = 65_536
# A single line longer than this is a minified blob or a build-settings dump; no error
# message worth answering is that long, and capping it bounds every regex's work per line.
MAX_LINE_CHARS = 2_000
MAX_SIGNATURES = 200
MAX_SIGNATURE_CHARS = 300


@dataclass(frozen=True)
class Issue:
    title: str = ""
    body: str | None = ""
    repo: str = ""  # "owner/name": the project it was filed on says which code it concerns


@dataclass(frozen=True)
class Signature:
    """An error as printed, and where it was found (line 0 is the title, 1.. the body)."""

    kind: str
    text: str
    line: int


@dataclass(frozen=True)
class IssueText:
    """The issue as the matcher reads it: one normalised line per source line, title first."""

    lines: tuple[str, ...]
    text: str  # the lines joined with "\n", for whole-text regex search
    offsets: tuple[int, ...]  # start offset of each line in ``text``
    project: str = ""  # the repository's name without its owner: "mmdetection"

    def line_at(self, offset: int) -> int:
        """The line number (0 = title) holding character ``offset`` of ``text``."""
        from bisect import bisect_right

        return bisect_right(self.offsets, offset) - 1


# Full-width punctuation typed by Chinese input methods, typographic quotes and the like:
# folded to ASCII so one pattern reads both.
_FOLD = str.maketrans(
    {
        "：": ": ", "（": " (", "）": ") ", "，": ", ", "；": "; ", "！": "! ", "？": "? ",
        "＇": "'", "＂": '"', "‘": "'", "’": "'", "“": '"', "”": '"', "「": '"', "」": '"',
        "　": " ", "\t": " ", "\u00a0": " ", "\u200b": None, "\u200c": None, "\u200d": None,
        "\ufeff": None, "\r": None, "\x00": None,
    }
)
_SPACES = re.compile(r" {2,}")
# Control characters other than newline: binary junk pasted into an issue.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_line(line: str) -> str:
    """One line as rules see it: entities unescaped, punctuation folded, spaces collapsed."""
    if "&" in line:
        line = html.unescape(line)
    line = _CONTROL.sub(" ", line.translate(_FOLD))
    return _SPACES.sub(" ", line).strip()[:MAX_LINE_CHARS]


def _bounded(body: str) -> str:
    if len(body) <= MAX_TEXT_CHARS:
        return body
    half = MAX_TEXT_CHARS // 2
    return body[:half] + "\n" + body[-half:]


def read_issue(issue: Issue) -> IssueText:
    """Normalise title and body into numbered lines (0 = title) for matching."""
    title = issue.title if isinstance(issue.title, str) else ""
    body = issue.body if isinstance(issue.body, str) else ""
    lines = [normalise_line(title.replace("\n", " "))]
    lines.extend(normalise_line(line) for line in _bounded(body).split("\n"))
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1
    project = issue.repo.rpartition("/")[2] if isinstance(issue.repo, str) else ""
    return IssueText(tuple(lines), "\n".join(lines), tuple(offsets), project)


# Each kind of error signature, as these errors are really printed. The patterns run on
# normalised lines (see normalise_line), one line at a time.
_SIGNATURE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # The last line of a Python traceback, possibly behind a log prefix or inside a sentence:
    # "ModuleNotFoundError: No module named 'mmcv._ext'", "KeyError: \"... registry\"".
    ("exception", re.compile(r"\b(?:[A-Za-z_]\w{0,60}\.){0,4}[A-Z]\w{0,60}(?:Error|Exception|Warning)\b ?:.{0,300}")),
    ("import", re.compile(r"undefined symbol\b.{0,200}|cannot open shared object file.{0,100}|DLL load failed.{0,200}", re.I)),
    ("cuda", re.compile(r"\bCUDA error\b.{0,200}|\bcuda runtime error\b.{0,200}|\bCUDA_ERROR_\w{1,60}|no kernel image is available.{0,100}", re.I)),
    (
        "crash",
        re.compile(
            r"Segmentation fault.{0,60}|\bSIGSEGV\b.{0,60}|exit ?code:? ?-11\b|exitcode ?: ?-11\b"
            r"|segment(?:ation)? fault.{0,40}|段错误.{0,20}|core dumped",
            re.I,
        ),
    ),
    # Compiler diagnostics from MSVC, nvcc and gcc build logs.
    ("compiler", re.compile(r"\b(?:fatal )?error C\d{4}\b.{0,200}|(?:^|[\s:)])(?:fatal )?error: .{1,300}", re.I)),
)


def extract_signatures(text: IssueText) -> tuple[Signature, ...]:
    """Every error signature in the issue, with its line, in reading order, without repeats."""
    found: list[Signature] = []
    seen: set[str] = set()
    for number, line in enumerate(text.lines):
        if not line or not _may_hold_error(line):
            continue
        for kind, pattern in _SIGNATURE_PATTERNS:
            hit = pattern.search(line)
            if hit is None:
                continue
            snippet = hit.group(0).strip(" :")[:MAX_SIGNATURE_CHARS]
            if snippet.lower() not in seen:
                seen.add(snippet.lower())
                found.append(Signature(kind, snippet, number))
            break  # one signature a line: the first kind that fits says the most
        if len(found) >= MAX_SIGNATURES:
            break
    return tuple(found)


# Cheap test before the signature patterns: every signature above holds one of these.
_ERROR_HINT = re.compile(r"error|exception|warning|symbol|shared object|dll|cuda|fault|sigsegv|-11|段错误|dumped", re.I)


def _may_hold_error(line: str) -> bool:
    return _ERROR_HINT.search(line) is not None


_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Lines that are pasted output rather than prose: indented code blocks, traceback frames.
_NOT_PROSE = re.compile(r"^(?: {4}|\t)|^\s*File \"")


def detect_language(issue: Issue) -> str:
    """"zh" when the reporter writes Chinese prose, else "en".

    Only prose counts: Chinese inside pasted logs (a Chinese Windows console, a Chinese
    folder name in a traceback) says nothing about the language the reporter reads best,
    and neither does a Chinese aside in an English sentence: a line is Chinese prose when
    it holds more Chinese characters than English words.
    """
    title = issue.title if isinstance(issue.title, str) else ""
    body = issue.body if isinstance(issue.body, str) else ""
    chinese, in_fence = 0, False
    # The title counts twice: short, but all prose, and the reporter's own words.
    for line in [title, title, *body[:MAX_TEXT_CHARS].split("\n")]:
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and not _NOT_PROSE.search(line):
            characters = len(_CJK.findall(line))
            if characters > len(_LATIN_WORD.findall(line)):
                chinese += characters
    return "zh" if chinese >= 6 else "en"
