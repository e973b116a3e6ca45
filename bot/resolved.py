"""An error the reporter says is already solved: quoted as history above another question (pure).

"Earlier I had this error ... which I fixed by adding custom_imports" or a title "(install issue
solved via FAQ)" over the reporter's real question: answering the old error again helps no one.
An issue about the error itself names it in its title, and is answered whatever else it says (a
report that ends "the error was solved when I changed the version" is still that error's issue).
"""

from __future__ import annotations

import re

from bot.issue import IssueText

# A statement that something is solved ("fixed" as a verb only: "a fixed seed" says nothing) ...
_SOLVED = re.compile(
    r"\b(?:solved|resolved)\b|\b(?:i|i've|we|which|that|this|it|was|been|got|is|are|has|have|that's|it's)\s+"
    r"(?:\w+\s+)?fixed\b|\bfixed (?:it|this|that|them|the (?:error|issue|problem|bug)|by)\b"
    r"|\b(?:problem|error|issue|crash|segfault|those|these)s? (?:went away|disappeared|(?:is|are|was|were) gone)\b"
    r"|\b(?:that|it|this) was my (?:own )?(?:fault|mistake)\b|\bwith (?:that|this|it) (?:added|fixed|changed|in place)\b"
    r"|\b(?:works|runs|builds|compiles|trains) (?:fine|well|ok|okay|correctly|normally) now\b"
    r"|\bnow (?:works|runs|builds|compiles|trains) (?:fine|well|ok|okay|correctly|normally)\b"
    # ("就好了" alone is as often a wish, "要是能装上就好了": only "已经好了", "之后就好了", "加了…就好了")
    r"|已(?:经)?解决|解决了|已修复|修复了|已经好了|后就好了|(?<!要是)(?<!如果)(?:加|改|换|装|删|卸载)了[^，。？?]{0,80}就好了|(?<!要是)(?<!如果)(?:降级|升级|降到|升到|重装|重新安装|换成|改成)[^，。？?]{0,60}就好了"
    r"|已经没问题了|(?:现在|已经)[^，。？?]{0,6}没(?:有)?问题|问题(?:就|也|都)?消失|(?:编译|安装|运行)(?:也|就)?成功了"
    r"|(?:现在|已经)(?:就|也)?(?:可以|能)正常(?:训练|运行|使用|跑)了?|(?:现在|已经|后)(?:就|也)?(?:可以|能)(?:训练|运行|跑|编译)了"
    r"|已经(?:编译|安装)成功"
    r"|(?:这个|已经)不是问题|(?:错误|报错|问题)(?:就|也|都)?(?:已经?)?没了|编译(?:也|就|都)?(?:全部)?通过"
    r"|已(?:经)?(?:按|照|按照|通过|用)[^，。？?]{0,40}解决", re.IGNORECASE)
_SOLVED_NAMED = re.compile(r"\b(?:solved|resolved)\b|已(?:经)?解决|解决了|已(?:经)?(?:按|照|按照|通过|用)[^，。？?]{0,40}解决",
                           re.IGNORECASE)
# Words just before the error that say it was solved: "... fixed my `a member with ... const` build errors",
# or a changelog's entry opening with them ("- Fix `nms is not compiled with GPU support` on Windows (#1794)").
_SOLVED_BEFORE = re.compile(r"\b(?:fixed|solved|resolved)(?: (?:my|our|the|this|these|those|all))?(?: \w+)?\s*$"
                            r"|^[>*+\-\s]*(?:fix|fixes|fixed|修复)\s*$", re.IGNORECASE)
# ... unless it is denied or asked ("The bug has not been fixed in the latest version", "is it fixed?")
_DENIED = re.compile(r"\b(?:not|n't|never|yet|still)\b[\w ]{0,24}\b(?:fixed|solved|resolved)\b|(?:没有|没|未|无法|不能)解决"
                     r"|[?？]\s*$", re.IGNORECASE)
# Words that bring in what came after a solved problem: "之后又出现", "又报", "then", "now".
_CAME_AFTER = re.compile(r"又|之后|然后|后来|\b(?:then|now|but|after)\b", re.IGNORECASE)
# How far below the error the reporter's words about it may stand (the block it was pasted in,
# then the sentence after it).
WINDOW = 12
_LITERALS = ("fixed", "solved", "resolved", "went away", "disappeared", " gone", " now", "now ", "解决", "修复", "好了",
             "没问题", "没有问题", "不是问题", "消失", "成功", "正常", "没了", "通过", "fix ", "my fault",
             "my mistake", "with that", "with this", "with it", "能训练了", "能运行了", "能跑了", "能编译了", "可以训练了",
             "可以运行了", "可以跑了", "可以编译了")
_CODE_SPAN = re.compile(r"`[^`]+`")


# The words that name an error: identifiers and file names ("libcudart.so.10.2", "mmcv._ext",
# "ImportError", "THREADS_PER_BLOCK"), not the plain words a title shares with any sentence.
_NAMING = re.compile(r"[A-Za-z_][\w.]*\w")


def _naming_words(line: str) -> set[str]:
    return {word.lower() for word in _NAMING.findall(line)
            if len(word) >= 4 and (not word.isalpha() or not (word.islower() or word.istitle() or word.isupper()))}


# A title naming the fix already applied ("... after the all_slots patch, nvcc error ...", "打了 all_slots 补丁后"):
# its words are the fix's, not the error's the issue is about.
_FIX_NAMED = re.compile(r"\bafter (?:the |my |applying (?:the )?)?[\w.:-]{1,60} (?:patch|fix|workaround)\b"
                        r"|打了?[^，。\s]{1,40}补丁[后之]", re.IGNORECASE)


def solving_lines(text: IssueText) -> frozenset[int]:
    """The lines holding a word of a solved statement: found once for all of an issue's errors (a
    long log's lines below its errors are many, and long)."""
    return frozenset(text.lines_holding(_LITERALS))


def says_solved(text: IssueText, line: int, error_end: int | None = None,
                candidates: frozenset[int] | None = None) -> bool:
    """Whether the reporter says the error on line ``line`` is solved. An error in the title is, when
    the title says so. One in the body is, when the issue is not about it: the title names none of
    the error's identifiers and says it is solved, or a line of prose below the error does (outside
    code blocks, within WINDOW lines), or the sentence that quotes it goes on to: after its code
    span, or after ``error_end``, where the error ends in the line when the caller knows.
    ``candidates``: solving_lines(text), when the caller has it."""
    candidates = solving_lines(text) if candidates is None else candidates
    title_solved = 0 in candidates and _solved_statement(text.lines[0])
    if line == 0:
        # the error in the title, which says it is solved: "KeyError: ... is not in the registry（已解决）",
        # "[Solved] Segmentation fault at the start of training" ("fixed" left out, as below)
        named = _SOLVED_NAMED.search(text.lines[0]) if title_solved else None
        # ... unless the title says the error came after what was solved ("解决了 mmcv 版本不兼容之后又出现
        # No module named 'mmcv._ext'", "Solved X, now Y"): the error after it is the one met now
        return named is not None and not (error_end is not None and named.end() < error_end
                                          and _CAME_AFTER.search(text.lines[0], named.end(), error_end))
    if line < 0 or not any(number == 0 or line <= number <= line + WINDOW for number in candidates):
        return False  # no word of a solved statement where one would count
    content = text.lines[line]
    spans = list(_CODE_SPAN.finditer(content))
    # the span the error stands in: the one where it ends, when the caller knows
    quoted = next((span for span in spans if error_end is not None and span.start() < error_end <= span.end()),
                  spans[0] if spans else None)
    # the error's own identifiers: its code span's when it stands in one (the rest of the sentence
    # may name the fix: "... `Expected to have finished reduction ...`, added `find_unused_parameters`")
    # (as printed in a block, the words up to where the error ends: PyTorch's message goes on to name
    # the fix, "... `find_unused_parameters=True` ...", which a title about the fix names too)
    printed = content[:error_end] if error_end is not None and line in text.fenced_lines else content
    error_words = _naming_words(quoted.group() if quoted is not None and line not in text.fenced_lines else printed)
    if _naming_words(_FIX_NAMED.sub(" ", text.lines[0])) & error_words:
        # the issue is about this error ("... there's an importError: libcudart.so.10.2"), unless the
        # title itself says it is solved ("libtorch_cuda_cu.so 的问题重装 torch 后解决了，现在想问…";
        # "fixed" is left out: "undefined symbol after I fixed the config" names what was fixed)
        return title_solved and _SOLVED_NAMED.search(text.lines[0]) is not None
    if title_solved:
        return True
    fenced = text.fenced_lines
    if line in candidates and line not in fenced:
        # the error quoted in a sentence ("I first had `No module named 'mmcv._ext'` ... and that is
        # fixed"): what follows its code span; words before it are about something else ("after I
        # fixed the config I get `...`")
        end = quoted.end() if quoted else error_end
        if end is not None and _solved_statement(content[end:]):
            return True
        if quoted is not None and _SOLVED_BEFORE.search(content[: quoted.start()]):
            return True
    below = range(line + 1, min(len(text.lines), line + WINDOW + 1))
    return any(number in candidates and number not in fenced and _solved_statement(text.lines[number])
               for number in below)


def _solved_statement(line: str) -> bool:
    """A sentence of ``line`` says something is solved, without denying or asking it."""
    return _SOLVED.search(line) is not None and any(
        _SOLVED.search(sentence) and not _DENIED.search(sentence) for sentence in _SENTENCE_END.split(line))


# After a sentence's closing mark (kept with it: a question is told by its "?").
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
