"""Rule regexes run on text strangers write: refuse the shapes that backtrack without bound,
and find the literal text every match must contain, so most rules are skipped without a search."""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
from dataclasses import dataclass

MIN_ANCHOR_CHARS = 3
# Ways a failed match may be retried from one position: the product of the lengths each variable
# repeat may take (\w{0,1000}\w{0,1000} is a million). Lines are at most 2,000 characters.
MAX_BACKTRACKING = 1_000_000
_LINE_CHARS = 2_000
# Classes that match almost any character: two unbounded repeats of these in one pattern
# make a failed search cost the square of a line's length.
_WIDE = {sre.ANY, sre.NOT_LITERAL}


class UnsafePattern(ValueError):
    """A rule regex whose worst case on hostile text is too slow to run on every issue."""


@dataclass(frozen=True)
class Screened:
    """What a safe pattern promises about any text it matches."""

    anchors: tuple[str, ...]  # lowercase literals: every match contains one of them
    keywords: tuple[str, ...]  # whole lowercase words: every match contains one; () if unknown
    single_line: bool = False  # no match can span a newline: it may be searched line by line
    # the other required parts' literals: a match also holds one literal of each of these groups
    also: tuple[tuple[str, ...], ...] = ()
    # (literal, starts a word, ends a word) for the literals above: "\\bremove" is where a word starts
    bounds: tuple[tuple[str, bool, bool], ...] = ()
    # The most characters a search attempt reads from where it starts (the match and its
    # lookaheads); None when unbounded. A match lies within this distance of the anchor it holds.
    reach: int | None = None


@dataclass(frozen=True)
class _Literal:
    text: str
    bounded_left: bool  # a \b stands right before it in the pattern
    bounded_right: bool


def check(source: str) -> Screened:
    """Refuse unsafe shapes; say which literals and whole words every match contains."""
    parsed = sre_parse.parse(source, re.IGNORECASE)
    _refuse_unsafe(parsed.data, inside_repeat=False)
    if _wide_unbounded_repeats(parsed.data) > 1:
        raise UnsafePattern(
            "more than one unbounded repeat of a wide class ('.*', '[^x]+'): "
            "bound them (.{0,200}) so a failed search stays linear"
        )
    if _backtracking_product(parsed.data) > MAX_BACKTRACKING:
        raise UnsafePattern(
            "variable repeats one after another multiply the ways a failed match is retried "
            f"(more than {MAX_BACKTRACKING:,} per position): make them shorter or anchor them on literal text"
        )
    candidates = sorted(_candidate_sets(parsed.data), key=_distinctiveness, reverse=True)
    literals = candidates[0] if candidates else set()
    anchors = tuple(sorted({literal.text for literal in literals}))
    also = tuple(dict.fromkeys(tuple(sorted({literal.text for literal in options})) for options in candidates[1:]))
    # The keywords may come from another required set than the anchors: "\\bparams?\\b.{0,40}used in"
    # is searched for "used in" but indexed by "param" and "params".
    keywords: tuple[str, ...] = ()
    for options in candidates:
        words = [_whole_word(literal) for literal in options]
        if words and all(words):
            keywords = tuple(sorted(set(words)))
            break
    edges: dict[str, tuple[bool, bool]] = {}
    for literal in (literal for options in candidates for literal in options):
        left, right = edges.get(literal.text, (True, True))  # a literal in two places: the weaker edges
        edges[literal.text] = (left and literal.bounded_left, right and literal.bounded_right)
    bounds = tuple((text, left, right) for text, (left, right) in sorted(edges.items()) if left or right)
    reach = _reach(parsed.data)
    return Screened(anchors, keywords, not _may_match_newline(parsed.data), also, bounds,
                    reach if reach < sre.MAXREPEAT else None)


# Classes that contain "\n": \s, \W, \D and negated sets that do not name it ([^x]). "." does not
# (no DOTALL).
_NEWLINE_CATEGORIES = {sre.CATEGORY_SPACE, sre.CATEGORY_NOT_WORD, sre.CATEGORY_NOT_DIGIT,
                       sre.CATEGORY_NOT_LINEBREAK, getattr(sre, "CATEGORY_LINEBREAK", None)}


def _may_match_newline(items: list) -> bool:
    for op, value in items:
        if op == sre.LITERAL and value == 10 or op == sre.NOT_LITERAL and value != 10:
            return True
        if op == sre.IN:
            # A negated set ("[^\n.。]") matches a newline unless it names one.
            negated = any(sub_op == sre.NEGATE for sub_op, _ in value)
            if _set_holds_newline(value) != negated:
                return True
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            if _may_match_newline(value[2]):
                return True
        elif op in (sre.SUBPATTERN, sre.ATOMIC_GROUP if hasattr(sre, "ATOMIC_GROUP") else None):
            if _may_match_newline(value[-1] if op == sre.SUBPATTERN else value):
                return True
        elif op == sre.BRANCH:
            if any(_may_match_newline(branch) for branch in value[1]):
                return True
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if _may_match_newline(value[1]):
                return True
        elif op == sre.ANY:
            continue
        elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
            return True
    return False


def _reach(items: list) -> int:
    """The most characters ``items`` read forwards from where they start (lookaheads included);
    sre.MAXREPEAT or more when unbounded."""
    total = 0
    for op, value in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            high = value[1]
            total += sre.MAXREPEAT if high == sre.MAXREPEAT else high * _reach(value[2])
        elif op == sre.SUBPATTERN:
            total += _reach(value[-1])
        elif op == getattr(sre, "ATOMIC_GROUP", None):
            total += _reach(value)
        elif op == sre.BRANCH:
            total += max(_reach(branch) for branch in value[1])
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if value[0] >= 0:  # a lookahead reads past the match; a lookbehind reads before it
                total += _reach(value[1])
        elif op == sre.GROUPREF_EXISTS:
            total += max(_reach(value[1]), _reach(value[2]) if value[2] else 0)
        elif op in (sre.GROUPREF, getattr(sre, "GROUPREF_IGNORE", None)):
            total += sre.MAXREPEAT
        elif op != sre.AT:
            total += 1  # a character: a literal, a set, "."
    return total


def _set_holds_newline(members: list) -> bool:
    return any(
        op == sre.LITERAL and value == 10
        or op == sre.RANGE and value[0] <= 10 <= value[1]
        or op == sre.CATEGORY and value in _NEWLINE_CATEGORIES
        for op, value in members
    )


_WORD = re.compile(r"[a-z0-9_]+")


def _whole_word(literal: _Literal) -> str:
    """The longest word of the literal that is sure to be a whole word of any text it is in.

    A word at the literal's edge may run on into the text around it, unless the pattern
    puts a \\b there.
    """
    inner = [
        found.group(0)
        for found in _WORD.finditer(literal.text)
        if (found.start() > 0 or literal.bounded_left) and (found.end() < len(literal.text) or literal.bounded_right)
    ]
    return max(inner, key=len, default="")


def _refuse_unsafe(items: list, inside_repeat: bool) -> None:
    for op, value in items:
        if op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
            raise UnsafePattern("backreferences are not allowed: they make matching exponential")
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            low, high, body = value
            repeats = high > 1
            if inside_repeat and repeats:
                raise UnsafePattern("nested quantifiers such as (a+)+ are not allowed: they backtrack exponentially")
            _refuse_unsafe(body, inside_repeat or repeats)
        elif op == sre.SUBPATTERN:
            _refuse_unsafe(value[-1], inside_repeat)
        elif op == sre.BRANCH:
            if inside_repeat:
                raise UnsafePattern("an alternation inside a repeat such as (a|b)+ is not allowed: write a class [ab]+")
            for branch in value[1]:
                _refuse_unsafe(branch, inside_repeat)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _refuse_unsafe(value[1], inside_repeat)


def _wide_unbounded_repeats(items: list) -> int:
    count = 0
    for op, value in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, body = value
            if high == sre.MAXREPEAT and len(body) == 1 and _is_wide(body[0]):
                count += 1
            count += _wide_unbounded_repeats(body)
        elif op == sre.SUBPATTERN:
            count += _wide_unbounded_repeats(value[-1])
        elif op == sre.BRANCH:
            count += max(_wide_unbounded_repeats(branch) for branch in value[1])
    return count


def _backtracking_product(items: list) -> int:
    product = 1
    for op, value in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, body = value
            high = _LINE_CHARS if high == sre.MAXREPEAT else min(high, _LINE_CHARS)
            product *= max(1, high - low + 1) * _backtracking_product(body)
        elif op == sre.SUBPATTERN:
            product *= _backtracking_product(value[-1])
        elif op == sre.BRANCH:
            product *= sum(_backtracking_product(branch) for branch in value[1])
    return product


def _is_wide(item: tuple) -> bool:
    op, value = item
    if op in _WIDE:
        return True
    if op == sre.IN:
        return any(sub_op in (sre.NEGATE, sre.CATEGORY) for sub_op, _ in value)
    return False


def _required_literals(items: list) -> set[_Literal] | None:
    """The best set of literals one of which any match of ``items`` contains, or None."""
    candidates = _candidate_sets(items)
    if not candidates:
        return None
    # The most distinctive set: its shortest literal longest, a CJK character counting as two letters.
    return max(candidates, key=_distinctiveness)


def _distinctiveness(options: set[_Literal]) -> int:
    return min(_weight(option.text) for option in options)


def _candidate_sets(items: list) -> list[set[_Literal]]:
    """Every set of literals one of which any match of ``items`` contains (one set per element)."""
    candidates: list[set[_Literal]] = []
    run: list[str] = []
    bounded_left = False

    def close_run(bounded_right: bool) -> None:
        if _long_enough("".join(run)):
            candidates.append({_Literal("".join(run).lower(), bounded_left, bounded_right)})
        run.clear()

    for index, (op, value) in enumerate(items):
        if op == sre.LITERAL:
            run.append(chr(value))
            continue
        options = _literal_options(op, value)
        if options and all(_long_enough("".join(run) + option) for option in options):
            # re factors "mmcv|mmdet" into "mm" + (cv|det): put the prefix back on each option.
            prefix = "".join(run)
            right = index + 1 < len(items) and _ends_a_word(items[index + 1])
            candidates.append({_Literal((prefix + option).lower(), bounded_left, right) for option in options})
            run.clear()
            bounded_left = False
            continue
        at_boundary = op == sre.AT and value == sre.AT_BOUNDARY
        close_run(bounded_right=at_boundary)
        bounded_left = at_boundary
        if op == sre.SUBPATTERN:
            inner = _required_literals(value[-1])
        elif op == sre.BRANCH:
            options = [_required_literals(branch) for branch in value[1]]
            inner = set().union(*options) if all(options) else None
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and value[0] >= 1:
            inner = _required_literals(value[2])
        else:
            inner = None
        if inner:
            candidates.append(inner)
    close_run(bounded_right=False)
    return candidates


def _ends_a_word(item: tuple) -> bool:
    """A \\b, or a literal that is no word character (" ", ":"), right after a literal: its word ends."""
    op, value = item
    return (op == sre.AT and value == sre.AT_BOUNDARY) or (op == sre.LITERAL and not _WORD.match(chr(value)))


def _long_enough(text: str) -> bool:
    """Long enough to be worth looking for: three letters, or two CJK characters ("闪退", "推理"),
    which are a word as distinctive as three Latin letters."""
    return len(text) >= MIN_ANCHOR_CHARS or (len(text) == 2 and all(ord(char) > 0x2E7F for char in text))


def _weight(text: str) -> int:
    # A CJK bigram ("版本") is rarer in these issues than a four-letter name ("mmcv"): weigh it more.
    return sum(3 if ord(char) > 0x2E7F else 1 for char in text)


def _literal_options(op, value) -> list[str] | None:
    """The texts of an alternation made only of literals ("cv|det|engine"), else None."""
    if op == sre.SUBPATTERN:
        inner = value[-1]
        if len(inner) != 1:
            return None
        op, value = inner[0]
    if op == sre.IN and all(sub_op == sre.LITERAL for sub_op, _ in value):  # (?:a|b) becomes [ab]
        return [chr(code) for _, code in value]
    if op != sre.BRANCH:
        return None
    options = []
    for branch in value[1]:
        if any(item_op != sre.LITERAL for item_op, _ in branch):
            return None
        options.append("".join(chr(code) for _, code in branch))  # "" where re factored "a|ab" into a(?:|b)
    return options
