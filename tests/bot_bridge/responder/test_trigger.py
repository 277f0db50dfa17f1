"""Regex triggers: the bounds checked before compiling, and what compiling may cost."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot_bridge.responder.maker import REGEX_BUDGET
from bot_bridge.responder.regex_bounds import (
    CHOICE_LIMIT,
    DEPTH_LIMIT,
    EXPANSION_LIMIT,
    REPEAT_LIMIT,
)
from bot_bridge.responder.template import MESSAGE_LIMIT
from bot_bridge.responder.trigger import TRIGGER_LIMIT, BadTrigger, Trigger, key_of


def refusal(text: str) -> str:
    with pytest.raises(BadTrigger) as refused:
        Trigger.parse(text)
    return str(refused.value)


def compiles(text: str) -> Trigger:
    return Trigger.parse(text).compiled(REGEX_BUDGET)


@pytest.mark.parametrize(
    "text", [r"^a{101}$", r"^a{5,101}$", r"^a{101,}$", r"^a{,101}$", r"^a{0000000000101}$"]
)
def test_repeat_counts_are_at_most_100(text: str) -> None:
    assert f"at most {REPEAT_LIMIT}" in refusal(text)
    compiles(text.replace("101", "100"))


@pytest.mark.parametrize(
    "text",
    [
        r"^(a{99}){99}$",  # nested repeats multiply
        r"^((a{10}){10}){10}$",
        r"^(?:(?:ab|cd){20}){20}$",
        r"^a{100}b{100}c{100}d{100}e{100}f{100}$",  # repeats in a row add up
        r"^(?:a{100}|b{100}|c{100}|d{100}|e{100}|f{100})$",  # so do alternatives
        r"^(?:(?:a{2,}){20}){20}$",  # {n,} compiles n copies and a loop
    ],
)
def test_written_out_size_is_bounded(text: str) -> None:
    assert f"at most {EXPANSION_LIMIT}" in refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        r"^(?:(?:()?){100}[a-z])*$",  # ~200 bytes per option per character of the message
        r"^(?:(?:a?){25}[a-z])+$",  # `+` compiles its item twice
        r"^(?:\w+\s*){1,25}$",
        r"^(?:a|b|c|d|e){13}$",  # each alternative is a place to backtrack to
        r"^(?:(?=a)(?!b)(?<=c)(?<!d)){13}$",  # and so is each lookaround
    ],
)
def test_places_to_backtrack_to_are_bounded(text: str) -> None:
    assert f"at most {CHOICE_LIMIT}" in refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        r"^(?=(?:a|aa)*?(a)+)+\w*?\1+$",  # held 75 MB after its 100 ms
        r"^(?:(?=(?:a|aa)*?(a)+)b?)+\w*?\1+$",  # the same, inside a group that loops
        r"^(?:x(?!y))*$",
        r"^(?:(?:(?<=a)b)?c){2,}$",
        r"^(?:(?=a)|b)*?$",
    ],
)
def test_a_lookaround_in_a_loop_is_refused(text: str) -> None:
    assert "a lookaround may not be repeated" in refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        r"^(?=(?:a|aa)*?(a)+){10}\w*?\1+$",  # counted: a few MB whatever the machine
        r"^(?:x(?!y)){1,5}$",
        r"^(?:(?=a)b)?$",
        r"^(?=.*cat)(?!.*dog).+$",  # loops inside a lookaround are fine
    ],
)
def test_a_lookaround_in_a_counted_repeat_or_an_option_is_allowed(text: str) -> None:
    compiles(text)


def test_the_largest_allowed_regex_compiles_small_and_fast() -> None:
    largest = r"^(?:(\w){10}){49}$"  # 2 + 10 * 49 = 492 atoms written out
    started = time.thread_time()
    trigger = compiles(largest)
    assert time.thread_time() - started < 0.02
    assert trigger.regex_bytes < 256 * 1024


def test_group_nesting_is_bounded() -> None:
    deep = "^" + "(" * (DEPTH_LIMIT + 1) + "a" + ")" * (DEPTH_LIMIT + 1) + "$"
    assert f"nest at most {DEPTH_LIMIT}" in refusal(deep)
    compiles("^" + "(?:" * DEPTH_LIMIT + "a" + ")" * DEPTH_LIMIT + "$")


@pytest.mark.parametrize(
    "text",
    [
        r"^\L<words>$",  # named lists
        r"^a(?R)?b$",  # recursion
        r"^(a)(?1)$",  # group calls
        r"^(?P<x>a)(?&x)$",
        r"^(?P<x>a)(?P>x)$",
        r"^(?:abc){e<=3}$",  # fuzzy matching
        r"^(?:a{50}){i<=1,d<=1}$",
        r"^(?V1)[\w--\d]$",  # version 1 and its set operations
        r"^[\w--\d]$",
        r"^(?i)ß{100}$",  # inline flags
        r"^(?x)a b$",
        r"^(?i:a)$",
        r"^\p{L}+$",  # Unicode properties and names
        r"^\P{Lu}$",
        r"^\N{SNOWMAN}$",
        r"^[[:alpha:]]$",  # POSIX classes, nested sets
        r"^\x41\u0041$",  # code points
        r"^(?(1)a|b)$",  # conditionals
        r"^(?|(a)|(b))$",  # branch reset
        r"^(*PRUNE)a$",  # backtracking verbs
        r"^(?#comment)a$",
        r"^\Ga\K$",
        r"^a{2}{3}$",  # a repeat of a repeat
        r"^a{x}$",  # a brace that is not a repeat
    ],
)
def test_constructs_whose_cost_is_not_bounded_here_are_refused(text: str) -> None:
    assert refusal(text)


@pytest.mark.parametrize(
    ("text", "message", "groups"),
    [
        (r"^my name is (\w+)$", "my name is Ada", ("Ada",)),
        (r"^(?:hi|hello)\s+there[!.]?$", "hello   there!", ()),
        (r"^\d{3}-\d{4}$", "555-1234", ()),
        (r"^(?P<word>\w+) \1$", "bye bye", ("bye",)),
        (r"^(?=.*cat)(?!.*dog).{1,100}$", "my cat", ()),
        (r"^(?>a+)(?<=a)b++c*?$", "aabbc", ()),
        (r"^[]a\-z^]{2,5}\{\}$", "]-^{}", ()),
        (r"^\$\d+(?:\.\d{2})?$", "$3.50", ()),
    ],
)
def test_ordinary_regexes_are_still_welcome(
    text: str, message: str, groups: tuple[str, ...]
) -> None:
    match = compiles(text).match_regex(message, REGEX_BUDGET)
    assert match is not None
    assert match.groups == groups


def test_a_compile_past_its_budget_is_refused() -> None:
    with pytest.raises(BadTrigger, match="too long to compile"):
        Trigger.parse(r"^(?:\w{10}){40}$").compiled(budget=0.0)


def test_keys_need_no_compile() -> None:
    assert key_of("  ^a{10000000}$ ") == "^a{10000000}$"
    assert key_of(" Oh  HI ") == "oh hi"
    assert key_of("WHAT?") == "what?"


ATOMS = ["a", "b", ".", r"\w", r"\d", "[a-c]", "(", "(?:", "(?=", "(?<=", "(?>", ")", "|"]
QUANTIFIERS = ["*", "+", "?", "*?", "++", "{2}", "{10}", "{99}", "{100}", "{3,}", "{,50}"]
syntax = st.sampled_from([*ATOMS, *QUANTIFIERS, "{1,100}"])


@given(parts=st.lists(syntax, max_size=40))
@settings(max_examples=500, deadline=None)
def test_whatever_passes_the_bounds_compiles_cheaply(parts: list[str]) -> None:
    text = "^" + "".join(parts) + "$"
    try:
        trigger = Trigger.parse(text[: TRIGGER_LIMIT - 1] + "$")
    except BadTrigger:
        return
    started = time.thread_time()
    try:
        compiled = trigger.compiled(budget=1.0)
    except BadTrigger as error:
        refused = str(error)
    else:
        # Measured: at most ~1 ms and ~200 KiB; the bounds here leave room for a slow machine.
        assert time.thread_time() - started < 0.05
        assert compiled.regex_bytes < 300 * 1024
        return
    assert "does not compile" in refused  # only a syntax error may stop what passed the bounds


# Among patterns within the bounds, the slowest and the hungriest found by a random search
# over nested groups, alternatives and repeats, against messages of MESSAGE_LIMIT characters.
WORST_MATCHES = [
    r"^(?:(?:()?){49}[a-z])*$",  # 50 places to backtrack to, at each character
    r"^(?:(?:(?:()?){7}){7}[a-z])*$",
    r"^(?:(?:\B?){49}[a-z])*$",
    r"^(?=(?:a|aa)*?(a)+){10}\w*?\1+$",  # capture history (looped, it is refused)
    r"^((((a)+)+)+)+b$",
    r"^a{20,}(?:a|aa){10}(?:a|aa){5,}$",
    r"^[a-z]{1,99}a*?(?:a|aa){10}[a-z]{1,2}$",
    r"^(?:(a)|(a)|(a)|(a)|(a)|(a)|(a)|(a)|(a)|(a)|(a)|(a)|(a)|(a)|(a)|(a))*b$",
]
MESSAGES = ["a" * (MESSAGE_LIMIT - 1) + "!", "ab" * (MESSAGE_LIMIT // 2), ("aab" * 700)[:1999]]

PROBE = """
import json, sys, time
from bot_bridge.responder.trigger import Trigger

def high_water_kib():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))

pattern, messages, budget = json.loads(sys.stdin.read())
trigger = Trigger.parse(pattern).compiled(budget)
trigger.match_regex("warm up", budget)
before = high_water_kib()
slowest = 0.0
for message in messages:
    started = time.thread_time()
    try:
        trigger.match_regex(message, budget)
    except TimeoutError:
        pass
    slowest = max(slowest, time.thread_time() - started)
print(json.dumps({"cpu": slowest, "kib": high_water_kib() - before}))
"""


def test_the_worst_allowed_matches_cost_bounded_time_and_memory() -> None:
    # Each pattern in a process of its own, whose high-water mark of resident memory is the
    # matches' alone; all at once, since the machine's load does not change their CPU time.
    probes = {
        pattern: subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(PROBE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for pattern in WORST_MATCHES
    }
    costs = {}
    for pattern, probe in probes.items():
        out, err = probe.communicate(json.dumps([pattern, MESSAGES, REGEX_BUDGET]), timeout=60)
        assert probe.returncode == 0, err
        costs[pattern] = json.loads(out)
    # The regex package's timeout counts the process's CPU time: the limit, and a little.
    assert max(cost["cpu"] for cost in costs.values()) < REGEX_BUDGET * 1.5, costs
    # Measured 15 to 23 MB at most, freed when the match ends (more on a faster machine: a
    # match gets further in its 100 ms). What a match holds grows with the time it runs: the
    # time limit is the memory limit too, and the bound on places to backtrack to halves what
    # the first three took in 100 ms. A lookaround in a loop, whose capture history took
    # 75 MB in 100 ms here (and 750 MB in 10 s), is refused (regex_bounds.py).
    assert max(cost["kib"] for cost in costs.values()) < 64 * 1024, costs
