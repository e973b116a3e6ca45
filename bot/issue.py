"""Reading an issue: normalised text, error signatures with their evidence lines, language (pure)."""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property, lru_cache

from bot.text import ascii_lower

# GitHub caps an issue body at 65,536 characters; anything longer is not a real issue body.
# Keep its head and its tail: tracebacks end where logs end.
MAX_TEXT_CHARS = 65_536
# The reporter's own words stand at the top of an issue, above what they paste: the language is told
# from this much of the body, longer than any body of the dev sets (reading a 64 KB body's every
# line for it cost 6 ms).
LANGUAGE_CHARS = 8_192
# A single line longer than this is a minified blob or a build-settings dump; no error
# message worth answering is that long, and capping it bounds every regex's work per line.
MAX_LINE_CHARS = 2_000
MAX_SIGNATURES = 200
# From this length on, a literal's inner words are looked up before the text is scanned for it.
WORD_CHECK_MIN_CHARS = 8_192
MAX_SIGNATURE_CHARS = 300


@dataclass(frozen=True)
class Issue:
    title: str = ""
    body: str | None = ""
    repo: str = ""  # "owner/name": the project it was filed on says which code it concerns


@dataclass(frozen=True)
class ErrorSignature:
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
    raw: str = ""  # the title and the (bounded) body as written, before normalising

    def raw_line(self, number: int) -> str:
        """Line ``number`` as the reporter wrote it (entities unescaped), for quoting.

        Falls back to the normalised line in the rare text where the two do not line up.
        """
        raw = self._raw_lines
        if len(raw) != len(self.lines):
            return self.lines[number]
        line = raw[number]
        return html.unescape(line) if "&" in line else line

    @cached_property
    def _raw_lines(self) -> list[str]:
        return self.raw.replace("\r", "").split("\n")

    @cached_property
    def lowered(self) -> str:
        """``text`` with its ASCII letters in lowercase, for literal look-ups: made once, shared by
        every reader."""
        return ascii_lower(self.text)

    @cached_property
    def words(self) -> frozenset[str]:
        """The whole words ([a-z0-9_]+) of ``lowered``: the keyword index looks them up, and a
        literal whose inner words are missing need not be searched for.

        A long text's words are read from its distinct lines: logs repeat theirs (a warning per
        source file, a traceback per worker, the same frames every epoch), and splitting out every
        word, each a new string the set then drops, cost a quarter of a 64 KB log's triage.
        """
        source = self.lowered if len(self.text) < WORD_CHECK_MIN_CHARS else ascii_lower(" ".join(set(self.lines)))
        return frozenset(source.encode("ascii", "replace").translate(_NOT_WORD_BYTES).decode("ascii").split())

    def may_hold(self, literal: str, starts_word: bool = False, ends_word: bool = False) -> bool:
        """False when ``literal`` surely does not occur, told from the text's words.

        A word inside the literal must be a word of the text; one that starts a word (after a space
        in the literal, or where the pattern puts \\b) must begin one, and one that ends a word must
        end one; one that does neither ("fault", which "default" holds) must stand inside one. Set,
        set and word-list look-ups instead of a scan of the whole text, which costs tens of
        microseconds on 64 KB; on a short text the scan is cheaper, and this always says True.
        (A word's start or end is looked for in the word list with its space: sorting a varied
        log's 2,000 distinct words, and their reversals, cost more than all the look-ups.)
        """
        if not literal.isascii() and self.text.isascii():
            return False  # "段错误" in a log without a single non-ASCII character (isascii is O(1))
        if len(self.text) < WORD_CHECK_MIN_CHARS:
            return True
        for token, starts, ends in word_tokens(literal, starts_word, ends_word):
            if starts and ends:
                if token not in self.words:
                    return False
            elif starts:
                if " " + token not in self.word_list:
                    return False
            elif ends:
                if token + " " not in self.word_list:
                    return False
            elif token not in self.word_list:
                return False
        return True

    @cached_property
    def word_list(self) -> str:
        """The text's words, each once, each between spaces: a word's part ("fault") occurs in the
        text only inside one of them, and this is far shorter than a long log."""
        return " " + " ".join(self.words) + " "

    @cached_property
    def filed_as(self) -> str:
        """"documentation" or "feature" for an issue filed with OpenMMLab's template for it ("📚 The
        doc issue", "What's the feature?") or tagged so in its title ([Docs], [Feature],
        [Enhancement], and a pull request's [Fix], [Refactor], or its template's "## Motivation" and
        "## Modification"); "write-up" for a post that shares a
        fix ("Sharing: how I got rid of ...", "分享：...", "Tip: ..."); else "". Such an issue speaks
        of errors as topics: of the docs' entries, of a proposal about an error's message or its
        fix, of a fix its author already found."""
        if _WRITE_UP.match(self.lines[0]):
            return "write-up"
        tag = _FILED_AS_TAG.match(self.lines[0])
        if tag is not None:
            return "documentation" if tag[1].lower().startswith("doc") else "feature"
        if _DOC_TEMPLATE in self.text:
            return "documentation"
        if any(heading in self.text for heading in _FEATURE_TEMPLATES) or all(
                heading in self.text for heading in _PULL_REQUEST_TEMPLATE):
            return "feature"
        return ""

    @cached_property
    def fenced_lines(self) -> frozenset[int]:
        """The numbers of the lines inside a fenced code block (the fences included): what the
        reporter pasted, not wrote."""
        fenced, inside = set(), False
        for number, line in enumerate(self.lines):
            if line.startswith(("```", "~~~")):
                inside = not inside
                fenced.add(number)
            elif inside:
                fenced.add(number)
        return frozenset(fenced)

    def line_at(self, offset: int) -> int:
        """The line number (0 = title) holding character ``offset`` of ``text``."""
        return bisect_right(self.offsets, offset) - 1

    def lines_holding(self, triggers: tuple[str, ...], exact_case: bool = False) -> list[int]:
        """The numbers of the lines holding one of the lowercase ``triggers`` (with ``exact_case``,
        one of the triggers as written), in order.

        One str.find scan per trigger over the lowercased text: far cheaper than a regex per line.
        """
        haystack = self.text if exact_case else self.lowered
        word_check = len(self.text) >= WORD_CHECK_MIN_CHARS  # a short text is scanned sooner than looked up
        numbers: set[int] = set()
        for trigger in triggers:
            # A trigger as written holds its lowercase form's words: the look-up rules out both.
            position = -1 if word_check and not self.may_hold(trigger.lower()) else haystack.find(trigger)
            if position != -1:
                self._add_trigger_lines(haystack, trigger, position, numbers)
        return sorted(numbers) if numbers else []

    def _add_trigger_lines(self, lowered: str, trigger: str, position: int, numbers: set[int]) -> None:
        """The lines holding ``trigger`` from ``position`` on, once each: the search goes on from
        the end of a found line."""
        offsets, last = self.offsets, len(self.offsets) - 1
        while position != -1:
            number = bisect_right(offsets, position) - 1
            numbers.add(number)
            if number >= last:
                return
            position = lowered.find(trigger, offsets[number + 1])


_DOC_TEMPLATE = "📚 The doc issue"
# OpenMMLab's pull request template: a change proposed, its errors quoted as its motivation.
_PULL_REQUEST_TEMPLATE = ("## Motivation", "## Modification")
_FEATURE_TEMPLATES = ("### What's the feature?", "### What is the feature?", "**Describe the feature**")
_FILED_AS_TAG = re.compile(r"[\[【]\s*(docs?|documentation|feature(?: request)?|enhancement|enhance|proposal|rfc"
                           r"|fix|bugfix|refactor|ci|wip)\s*[\]】]", re.IGNORECASE)
_WRITE_UP = re.compile(r"\s*(?:[\[【]\s*(?:tips?|share|sharing|分享|经验|经验分享)\s*[\]】]|(?:sharing|tips?|分享|经验分享)\s*[:：]"
                       r"|how I (?:fixed|solved|got rid of|resolved)\b)", re.IGNORECASE)

# Every byte but [a-z0-9_] becomes a space (non-ASCII arrives as "?"): the text's words, split in C.
_NOT_WORD_BYTES = bytes(
    byte if chr(byte) in "abcdefghijklmnopqrstuvwxyz0123456789_" else 32 for byte in range(256)
)
_TOKEN = re.compile(r"[a-z0-9_]+")


@lru_cache(maxsize=4096)
def word_tokens(literal: str, starts_word: bool = False, ends_word: bool = False) -> tuple[tuple[str, bool, bool], ...]:
    """The words of a lowercase literal, each with whether it surely starts and ends a word of any
    text holding the literal: "open" in "cannot open shared" does both; "cannot" only ends one,
    unless the literal itself starts a word (``starts_word``: a \\b before it in the pattern);
    "fault" alone does neither."""
    tokens = []
    for found in _TOKEN.finditer(literal):
        starts = found.start() > 0 or starts_word
        ends = found.end() < len(literal) or ends_word
        tokens.append((found.group(0), starts, ends))
    return tuple(tokens)


# Full-width punctuation typed by Chinese input methods, typographic quotes and the like:
# folded to ASCII so one pattern reads both.
_FOLD = str.maketrans(
    {
        "：": ": ", "（": " (", "）": ") ", "，": ", ", "；": "; ", "！": "! ", "？": "? ",
        "＇": "'", "＂": '"', "‘": "'", "’": "'", "“": '"', "”": '"', "「": '"', "」": '"',
        "　": " ", "\t": " ", "\u00a0": " ", "\u200b": None, "\u200c": None, "\u200d": None,
        "\ufeff": None, "\r": None, "\x00": None,
        # Control characters other than newline: binary junk pasted into an issue.
        **{code: " " for code in [*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]},
    }
)
# Written with its literal prefix ("  +", not " {2,}") so re scans for it at C speed: six times faster.
_SPACES = re.compile("  +")
# str.translate looks every character of a non-ASCII text up in the table (90 ns each: 60 us for a
# short Chinese issue); a search for the few characters to fold takes a tenth of that.
_TO_FOLD = re.compile("[" + re.escape("".join(map(chr, _FOLD))) + "]")


# _FOLD's ASCII part as a byte table: bytes.translate reads one table entry a character, where
# str.translate (even on its ASCII path) costs three times as much.
_FOLD_ASCII = bytes(ord(_FOLD.get(byte, chr(byte)) or "\0") for byte in range(128)) + bytes(range(128, 256))
_FOLD_ASCII_DELETE = bytes(byte for byte in range(128) if _FOLD.get(byte, chr(byte)) is None)


def _fold(text: str) -> str:
    if text.isascii():
        return text.encode("ascii").translate(_FOLD_ASCII, _FOLD_ASCII_DELETE).decode("ascii")
    return _TO_FOLD.sub(lambda found: _FOLD[ord(found[0])] or "", text)


def _normalised(text: str) -> str:
    """Text as rules see it: entities unescaped, punctuation folded, each line stripped and its
    runs of spaces collapsed.

    Lines are stripped before the runs are collapsed (the result is the same): most runs are a
    traceback's or a code block's indentation, and collapsing each cost more than the rest.
    """
    if "&" in text:
        text = html.unescape(text)
    text = "\n".join([line.strip() for line in _fold(text).split("\n")])
    return _SPACES.sub(" ", text) if "  " in text else text


def bounded_body(body: str) -> str:
    """At most MAX_TEXT_CHARS of ``body``: its head and its tail, where tracebacks end.

    Both are cut at line ends, so that no line is read in part (a version cut in two would be
    another version).
    """
    if len(body) <= MAX_TEXT_CHARS:
        return body
    half = MAX_TEXT_CHARS // 2
    head, tail = body[:half], body[-half:]
    head = head[: head.rfind("\n") + 1] if "\n" in head else head
    tail = tail[tail.find("\n") + 1 :] if "\n" in tail else tail
    return head + tail


def read_issue(issue: Issue) -> IssueText:
    """Normalise title and body into numbered lines (0 = title) for matching."""
    title = issue.title if isinstance(issue.title, str) else ""
    body = issue.body if isinstance(issue.body, str) else ""
    raw = title.replace("\n", " ") + "\n" + bounded_body(body)
    text = _normalised(raw)
    lines = text.split("\n")
    if len(text) > MAX_LINE_CHARS and max(map(len, lines)) > MAX_LINE_CHARS:
        lines = [line[:MAX_LINE_CHARS] for line in lines]
        text = "\n".join(lines)
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1
    project = issue.repo.rpartition("/")[2] if isinstance(issue.repo, str) else ""
    return IssueText(tuple(lines), text, tuple(offsets), project, raw)


# The end of a Python exception's name and its colon: "...Error:", "...Exception:",
# "...Warning:". Searched first, then the name is read backwards from it: a pattern that
# began with the name would be tried at every word of every line.
_EXCEPTION_END = re.compile(r"\w(?:Error|Exception|Warning)\b ?:")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")

# The other kinds of error signature, as these errors are really printed. Each kind has
# literal triggers (lowercase): its pattern runs only on lines that hold one of them.
_SIGNATURE_KINDS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "import",
        ("undefined symbol", "shared object", "dll load"),
        re.compile(r"undefined symbol\b.{0,200}|cannot open shared object file.{0,100}|DLL load failed.{0,200}", re.I),
    ),
    (
        "cuda",
        ("cuda error", "cuda runtime error", "cuda_error_", "no kernel image"),
        re.compile(r"\bCUDA error\b.{0,200}|\bcuda runtime error\b.{0,200}|\bCUDA_ERROR_\w{1,60}|no kernel image is available.{0,100}", re.I),
    ),
    (
        "crash",
        ("fault", "sigsegv", "-11", "段错误", "core dumped"),
        re.compile(
            r"Segmentation fault.{0,60}|\bSIGSEGV\b.{0,60}|exit ?code:? ?-11\b|exitcode ?: ?-11\b"
            r"|segment(?:ation)? fault.{0,40}|段错误.{0,20}|core dumped",
            re.I,
        ),
    ),
    # Compiler diagnostics from MSVC, nvcc and gcc build logs.
    (
        "compiler",
        ("error c", "error:"),
        re.compile(r"\b(?:fatal )?error C\d{4}\b.{0,200}|(?:^|[\s:)])(?:fatal )?error: .{1,300}", re.I),
    ),
)
# Exception endings are case-sensitive (_EXCEPTION_END): looked for in the text as written, so the
# many lowercase "warning:" / "error:" lines of a build log are not tried for them.
_EXCEPTION_TRIGGERS = ("Error", "Exception", "Warning")


def extract_signatures(text: IssueText) -> tuple[ErrorSignature, ...]:
    """Every error signature in the issue, with its line, in reading order, without repeats."""
    found: list[ErrorSignature] = []
    seen: set[str] = set()
    read: set[str] = set()  # a line repeated (a warning printed per file, a traceback per worker) says nothing new
    for number, kinds in _lines_with_triggers(text):
        line = text.lines[number]
        if line in read:
            continue
        read.add(line)
        snippet_kind = _signature_in(line, kinds)
        if snippet_kind is None:
            continue
        snippet, kind = snippet_kind
        if snippet.lower() not in seen:
            seen.add(snippet.lower())
            found.append(ErrorSignature(kind, snippet, number))
            if len(found) >= MAX_SIGNATURES:
                break
    return tuple(found)


def _lines_with_triggers(text: IssueText) -> list[tuple[int, frozenset[str]]]:
    """The lines holding a trigger, in order, each with the kinds worth trying on it.

    str.find over the lowercased text is one fast scan per trigger; a case-insensitive
    alternation over the same 64 KB costs twenty times more.
    """
    kinds_by_line = {number: {"exception"} for number in text.lines_holding(_EXCEPTION_TRIGGERS, exact_case=True)}
    for kind, triggers, _ in _SIGNATURE_KINDS:
        for number in text.lines_holding(triggers):
            kinds_by_line.setdefault(number, set()).add(kind)
    return [(number, frozenset(kinds_by_line[number])) for number in sorted(kinds_by_line)]


def _signature_in(line: str, kinds: frozenset[str]) -> tuple[str, str] | None:
    """The line's signature and its kind: one a line, the kind that says the most first."""
    if "exception" in kinds:
        exception = _exception_in(line)
        if exception is not None:
            return exception, "exception"
    for kind, _, pattern in _SIGNATURE_KINDS:
        if kind in kinds:
            hit = pattern.search(line)
            if hit is not None:
                return hit.group(0).strip(" :")[:MAX_SIGNATURE_CHARS], kind
    return None


def _exception_end(line: str) -> tuple[int, int] | None:
    """Where ``_EXCEPTION_END`` first matches, found with str.find: the regex, opening with \\w,
    is tried at every character of the line."""
    best = None
    for suffix in ("Error", "Exception", "Warning"):
        at = line.find(suffix, 1)
        while at != -1 and (best is None or at - 1 < best[0]):
            end = at + len(suffix)
            if _WORD_CHAR.match(line, at - 1) and not _WORD_CHAR.match(line, end):
                colon = end + 1 if line.startswith(" :", end) else end
                if line.startswith(":", colon):
                    best = (at - 1, colon + 1)
                    break
            at = line.find(suffix, at + 1)
    return best


_WORD_CHAR = re.compile(r"\w")


def _exception_in(line: str) -> str | None:
    """ "ModuleNotFoundError: No module named 'mmcv._ext'" from a line that ends a traceback."""
    found = _exception_end(line)
    if found is None:
        return None
    start, end = found
    name_end = start
    while start > 0 and line[start - 1] in _NAME_CHARS and name_end - start < 120:
        start -= 1
    name_start = start + len(line[start:name_end]) - len(line[start:name_end].lstrip("._0123456789"))
    return line[name_start : end + 300].strip(" :")[:MAX_SIGNATURE_CHARS]


_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Lines that are pasted output rather than prose: indented code blocks, traceback frames, code
# comments, shell prompts, pip/conda rows.
_NOT_PROSE = re.compile(
    r"""^(?:\ {2}|\t)
      | ^\s*(?:File\ \"|\#|\$\ |>|\(\w[\w.-]*\)\ \S+@|-\ \[[\ xX]\]|!\[|\d{4}[-/]\d\d[-/]\d\d
               |(?i:error|warning|note|info)\b:?|[A-Z][\w-]{0,30}:\ 
               |from\ [\w.]+\ import\b|import\ [\w.]+|class\ \w+|def\ \w+)
      # the lines the issue templates write, not the reporter
      | ^\W*(?:\d\.\ )?(?:Thanks\ for\ (?:your|reporting)|I\ have\ (?:searched|read)|The\ bug\ has\ not
               |A\ clear\ and\ concise|What\ (?:command|dataset)|Did\ you\ make|Please\ run|You\ may\ add
               |If\ applicable|Describe\ the|If\ you\ have\ already
               # the answers its dropdowns offer (OpenMMLab's bug report form)
               |I'm\ using\ the\ official\ example|I\ have\ modified\ the\ scripts)""",
    re.VERBOSE,
)
# What a prose line may carry that is not the reporter's language: an error message and what
# follows it, URLs, paths, commands' options, identifiers and versions.
# (A run is tried from its start only, once: from inside it, or once per kind, [!-~]* walked the
# rest of the run again and again, and a line of English cost 30 us.)
_NOT_WORDS = re.compile(
    r"""(?<![A-Za-z0-9_.])[A-Za-z0-9_.]*(?:Error|Exception|Warning)\b.*$  # an error message, to the line's end
      | \bis\ used\ but\ incompat.*$                          # MMCV's version assertion
      | \brequires\ .*\bwhich\ is\ incompat.*$               # pip's resolver: "x 1.0 requires y<2, but you have y 2.0 which is incompatible."
      # a run of printable ASCII with a URL, a path, an identifier, a pin, a file name or a number
      | (?<![!-~])[!-~]*?(?:[/\\_=<>\d]|\.[!-~]*[A-Za-z0-9])[!-~]*
      | (?<![A-Za-z0-9])--?[A-Za-z][\w-]*                     # command-line options
    """,
    re.VERBOSE,
)
# A Chinese title that quotes the error after its last Chinese word ("训练报 Default process group has not
# been initialized", "训练时 No module named ...", "源码编译 mmcv-full：module.h error: ..."): the English
# after it is the error's.
# (three words at least: "(MMCV版本始终 incompatible)" is an aside of the reporter's own)
_QUOTED_AFTER_VERB = re.compile(r"(?<=[\u4e00-\u9fff：])\s*(?=(?:[^\u4e00-\u9fff：A-Za-z]*[A-Za-z]+){3})[^\u4e00-\u9fff：]+$")
# Names and tools every reporter writes in Latin letters, whatever their language ("pip install mmcv 装的
# 1.7.0，python 3.9，torch ..."): no sign of English prose.
_TECHNICAL_WORDS = frozenset({
    "pip", "conda", "mim", "install", "installed", "mmcv", "mmdet", "mmengine", "mmseg", "mmpose", "mmocr", "mmyolo",
    "full", "lite", "torch", "pytorch", "torchvision", "python", "cuda", "cudnn", "nvcc", "gcc", "windows", "win",
    "linux", "ubuntu", "centos", "vs", "gpu", "cpu", "rtx", "gtx", "tesla", "nvidia", "docker", "anaconda",
    "miniconda", "demo", "config", "bug",
})
# Weights: the title is short but all the reporter's own words; a Chinese character carries
# about half an English word.
_TITLE_WEIGHT = 3
_MIN_CHINESE = 6
# English prose in the body that outweighs a Chinese title: the reporter writes English.
_ENGLISH_BODY = 30


def _holds_chinese(text: str) -> bool:
    # isascii is O(1) on a str: a log of 64 KB without a Chinese character is told at once, where
    # the class search walks it all (0.6 ms).
    return not text.isascii() and _CJK.search(text) is not None


# What each of _NOT_WORDS's kinds needs, found at C speed: most prose lines hold none of it.
_MAY_NOT_BE_WORDS = re.compile(r"[/\\_=<>\d]|\.[!-~]*[A-Za-z0-9]|-[-A-Za-z]|Error|Exception|Warning|is used but|which is incompat")


def _prose_counts(line: str, technical: bool = True) -> tuple[int, int]:
    """(Chinese characters, English words) of a prose line, once error text and code are removed;
    without ``technical``, the names of tools and packages are not counted as English words."""
    words = _NOT_WORDS.sub(" ", line) if _MAY_NOT_BE_WORDS.search(line) else line
    latin = _LATIN_WORD.findall(words)
    english = len(latin) if technical else sum(1 for word in latin if word.lower() not in _TECHNICAL_WORDS)
    return len(_CJK.findall(words)), english


# Lines a reporter pasted rather than wrote: a traceback's first line, an error line, a shell prompt.
_LOG_LINE = re.compile(r"^\s*(?:Traceback\b|[\w.]*(?:Error|Exception|Warning)\b|File \"|\$ |>>> )")
_ENGLISH_WORDS = 6  # words of English prose that tell the reporter writes English


def reporter_language(issue: Issue, fallback: str = "en") -> str:
    """``detect_language``, with ``fallback`` when the reporter wrote no prose to tell from.

    An issue of only a traceback says nothing about its reporter's language: a repository whose
    reporters mostly write Chinese may want its replies in Chinese then.
    """
    detected = detect_language(issue)
    if detected != "en" or fallback == "en":
        return detected
    title = issue.title if isinstance(issue.title, str) else ""
    body = issue.body if isinstance(issue.body, str) else ""
    words, in_fence = 0, False
    for line in [title, *body[:LANGUAGE_CHARS].split("\n")]:
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and not _NOT_PROSE.match(line) and not _LOG_LINE.match(line):
            words += len(_LATIN_WORD.findall(line))
    return "en" if words >= _ENGLISH_WORDS else fallback


def detect_language(issue: Issue) -> str:
    """"zh" when the reporter writes Chinese prose, else "en".

    The reporter's language is that of their prose, the title included, not of what they
    pasted: Chinese inside pasted logs (a Chinese Windows console, a Chinese folder name in a
    traceback) says nothing about it, nor does an English traceback under a Chinese title.
    Error messages, paths and identifiers are taken out of each prose line before its words
    are counted; a line is Chinese when it then holds more Chinese characters than English
    words. Chinese wins when its prose outweighs the English prose.
    """
    title = issue.title if isinstance(issue.title, str) else ""
    body = issue.body if isinstance(issue.body, str) else ""
    body = body[:LANGUAGE_CHARS]
    if not _holds_chinese(title) and not _holds_chinese(body):
        return "en"
    chinese = english = 0
    title_chinese, title_english = _prose_counts(_QUOTED_AFTER_VERB.sub("", title))
    in_fence = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and not _NOT_PROSE.match(line):
            characters, words = _prose_counts(line, technical=False)
            # (a Chinese sentence naming products, "装了 VS2022 Community，CUDA 11.3", is Chinese too)
            chinese += characters
            if words >= max(3, characters + 1):  # an English sentence, not a stray word of a log
                english += words
    if title_chinese >= 2 and title_chinese > title_english:
        # A Chinese title over pasted output: Chinese, unless the body is written in English.
        return "en" if english >= _ENGLISH_BODY and english > 2 * chinese else "zh"
    english += title_english * _TITLE_WEIGHT
    return "zh" if chinese >= _MIN_CHINESE and chinese * 2 >= english else "en"
