"""What a visitor's regex trigger may contain, decided from its text before it is compiled.

The `regex` package writes counted repeats out while compiling: `^a{10000000}$` alone took
4.5 s and 2.4 GB, on whichever thread compiled it. So a trigger is scanned first, and only
a pattern whose compiled size this scanner can bound is compiled at all. It also bounds the
places a match may backtrack to, which is what a match's memory grows with (the time limit on
matching caps the rest), and refuses a lookaround inside a loop: a lookaround matches no
characters, so a loop of one gains nothing, while each pass adds to the history of the groups
it captures (`^(?=(?:a|aa)*?(a)+)+\\w*?\\1+$` held 75 MB after its 100 ms, growing with the
speed of the machine; counted repeats of it, `{10}`, hold under 1 MB).

This is a small scanner, not a regex parser, and it is conservative: it accepts literals,
`.`, `^`, `$`, escapes of punctuation, `\\d \\w \\s` (and negations), `\\b \\B \\A \\Z`,
`\\n \\r \\t \\f \\v`, backreferences `\\1`-`\\9`, plain character classes, groups
`( (?: (?= (?! (?<= (?<! (?> (?P<name> (?<name>`, alternation, and the quantifiers
`* + ? {n} {n,} {n,m} {,m}` with a lazy `?` or possessive `+` suffix. Everything else the
`regex` package offers is refused, even where harmless, because its cost is not this
scanner's to judge: inline flags (`(?i)`, `(?V1)` and its set operations), named lists
`\\L<...>`, recursion and group calls, fuzzy constraints `{e<=1}`, conditionals, branch reset,
backtracking verbs, Unicode properties and named characters, POSIX classes, code-point escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every count of `{n}`, `{n,}`, `{n,m}`, `{,m}`. A trigger matches one chat message of at most
# 2,000 characters; counts past 100 are rare there, and 100 copies of anything compile in well
# under a millisecond.
REPEAT_LIMIT = 100
# Atoms in the pattern with every counted repeat written out, which is what compiling costs:
# each written-out atom is 100-400 bytes of compiled pattern, so 500 caps one pattern near
# 200 KiB and its compile near 1 ms. Nested repeats multiply (`(a{99}){99}` is 9,801), repeats
# in a row and alternatives add up.
EXPANSION_LIMIT = 500
# Places a match may backtrack to: optional and open-ended repeats, alternatives, lookarounds,
# with counted repeats written out (`(?:a?){50}` is 50). A backtracking match keeps ~200 bytes
# for each of them at each character of the message: 50 over 2,000 characters is ~20 MB, where
# 400 took 50 MB in the 100 ms a match may run. Ordinary triggers have fewer than 10.
CHOICE_LIMIT = 50
# Groups inside groups. Ordinary triggers nest two or three deep; each level multiplies the
# states a backtracking match can revisit.
DEPTH_LIMIT = 5

_ESCAPES = frozenset("dDwWsSnrtfv")  # character escapes, in and out of a class
_POSITION_ESCAPES = frozenset("bBAZ")  # zero-width, outside a class only
_GROUP_OPENERS = ("?:", "?=", "?!", "?<=", "?<!", "?>")
_LOOKAROUNDS = frozenset(_GROUP_OPENERS[1:5])
_NAMED_GROUP = re.compile(r"\?P?<[A-Za-z_][A-Za-z0-9_]{0,31}>")
_REPEAT = re.compile(r"\{([0-9]*+)(,?)([0-9]*+)\}")  # possessive: linear on any input
_SUPPORTED = "triggers support ( (?: (?= (?! (?<= (?<! (?> (?P<name> and nothing else after (?"


class _Refused(Exception):
    """Why the pattern is refused; the message is shown to the visitor."""


@dataclass
class _Group:
    size: int = 0  # atoms inside, with counted repeats written out
    choices: int = 0  # places a match may backtrack to, written out the same way
    lookaround: bool = False  # this group is one
    holds_lookaround: bool = False  # one is inside it
    # size, choices and whether it holds a lookaround, of what a quantifier would repeat
    last: tuple[int, int, bool] | None = None


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` may not be compiled, or None when this scanner can bound its cost."""
    try:
        size, choices = _scan(pattern)
    except _Refused as refusal:
        return str(refusal)
    if size > EXPANSION_LIMIT:
        return (
            f"that regex's repeats write out {size} items; at most {EXPANSION_LIMIT} "
            "(nested repeats multiply, so keep counts small)"
        )
    if choices > CHOICE_LIMIT:
        return (
            f"that regex has {choices} places to backtrack to (optional or open repeats, "
            f"alternatives, lookarounds, with counted repeats written out); at most {CHOICE_LIMIT}"
        )
    return None


def _scan(pattern: str) -> tuple[int, int]:
    stack = [_Group()]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        group = stack[-1]
        if char in "\\[":
            i = _escape(pattern, i + 1, in_class=False) if char == "\\" else _class(pattern, i + 1)
            group.size += 1
            group.last = (1, 0, False)
        elif char == "(":
            i, lookaround = _group_opener(pattern, i + 1)
            stack.append(_Group(lookaround=lookaround))
            if len(stack) - 1 > DEPTH_LIMIT:
                raise _Refused(f"regex groups nest at most {DEPTH_LIMIT} deep")
        elif char == ")":
            if len(stack) == 1:
                break  # unbalanced: compiling fails before it builds anything
            _close(stack)
            i += 1
        elif char == "|":
            group.choices += 1
            group.last = None
            i += 1
        elif char in "*+?{":
            if group.last is None:
                raise _Refused(f"`{char}` must follow something to repeat, once")
            count, variable, loops, i = _quantifier(pattern, i)
            size, choices, holds_lookaround = group.last
            if loops and holds_lookaround:
                raise _Refused(
                    "a lookaround may not be repeated by `*`, `+` or `{n,}` (it matches no "
                    "characters; a count like {3} is fine)"
                )
            group.size += size * (count - 1)
            group.choices += choices * (count - 1) + variable
            group.last = None  # a repeat of a repeat is refused
            if i < len(pattern) and pattern[i] in "?+":
                i += 1  # lazy or possessive: the same cost
        else:
            group.size += 1
            group.last = (1, 0, False)
            i += 1
    while len(stack) > 1:  # unclosed: compiling will say so; count what is there
        _close(stack)
    return stack[0].size, stack[0].choices


def _close(stack: list[_Group]) -> None:
    inner = stack.pop()
    size, choices = max(1, inner.size), inner.choices + inner.lookaround
    holds_lookaround = inner.lookaround or inner.holds_lookaround
    stack[-1].size += size
    stack[-1].choices += choices
    stack[-1].holds_lookaround |= holds_lookaround
    stack[-1].last = (size, choices, holds_lookaround)


def _escape(pattern: str, i: int, in_class: bool) -> int:
    """`pattern[i]` follows a backslash; returns the index after the escape."""
    if i >= len(pattern):
        return i  # a lone trailing backslash: compiling will say so
    char = pattern[i]
    if char in _ESCAPES or (not in_class and char in _POSITION_ESCAPES):
        return i + 1
    if not in_class and char in "123456789":
        if i + 1 < len(pattern) and pattern[i + 1].isdigit():
            raise _Refused("backreferences in triggers are \\1 to \\9")
        return i + 1
    if char.isascii() and not char.isalnum():
        return i + 1  # escaped punctuation or space: a literal
    raise _Refused(f"`\\{char}` is not supported in triggers")


def _class(pattern: str, i: int) -> int:
    """`pattern[i]` follows a `[`; returns the index after the closing `]`."""
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1  # a `]` first is a literal
    while i < len(pattern):
        char = pattern[i]
        if char == "]":
            return i + 1
        if char == "[":
            raise _Refused("nested sets and [:classes:] are not supported in triggers")
        if pattern.startswith(("&&", "||", "--", "~~"), i):
            raise _Refused(f"`{pattern[i : i + 2]}` in a set is not supported in triggers")
        i = _escape(pattern, i + 1, in_class=True) if char == "\\" else i + 1
    return i  # unclosed: compiling will say so


def _group_opener(pattern: str, i: int) -> tuple[int, bool]:
    """`pattern[i]` follows a `(`: the index where the group's content starts, and whether
    the group is a lookaround."""
    if not pattern.startswith("?", i):
        return i, False
    for opener in _GROUP_OPENERS:
        if pattern.startswith(opener, i):
            return i + len(opener), opener in _LOOKAROUNDS
    named = _NAMED_GROUP.match(pattern, i)
    if named is not None:
        return named.end(), False
    raise _Refused(_SUPPORTED)


def _quantifier(pattern: str, i: int) -> tuple[int, bool, bool, int]:
    """The quantifier at `pattern[i]`: the most copies it may compile to, whether the count is
    left open (a place to backtrack to), whether it loops without a bound, and the index after
    it."""
    char = pattern[i]
    if char in "*?":
        return 1, True, char == "*", i + 1  # a loop, or an option, is compiled once
    if char == "+":
        return 2, True, True, i + 1  # compiled as one copy, then a loop of it
    repeat = _REPEAT.match(pattern, i)
    if repeat is None or not (repeat[1] or repeat[3]):
        raise _Refused("a `{` in a regex must be a repeat like {3} or {2,5}; write \\{ for a brace")
    low, comma, high = (_count(repeat[1]), repeat[2], _count(repeat[3]))
    if max(low, high) > REPEAT_LIMIT:
        raise _Refused(f"regex repeat counts are at most {REPEAT_LIMIT}")
    if not comma:
        return max(1, low), False, False, repeat.end()
    if not repeat[3]:
        return low + 1, True, True, repeat.end()  # `{n,}`: n copies, then a loop
    return max(1, high), low != high, False, repeat.end()


def _count(digits: str) -> int:
    significant = digits.lstrip("0")
    # Never int() a long run of digits: only whether it passes the limit matters.
    return REPEAT_LIMIT + 1 if len(significant) > len(str(REPEAT_LIMIT)) else int(significant or 0)
