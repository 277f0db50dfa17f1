"""Auto-response triggers in their three modes.

- naive: case and punctuation ignored; matches when its words appear as whole words.
- punctuated: case ignored, punctuation kept; whole words.
- regex: a trigger written `^...$` is a regular expression matched against the whole
  message, with the `regex` package's time limit, in a worker thread that releases the GIL,
  so a catastrophic pattern costs its own request the limit and stalls nothing else.

A regex trigger is parsed in two steps: `Trigger.parse` checks its text against the bounds of
`regex_bounds` (cheap, on any thread), and `Trigger.compiled` compiles it (blocking: the
response maker runs it in its regex pool). `key_of` finds a trigger's key without either.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import unicodedata
from dataclasses import dataclass
from typing import Literal

import regex

from bot_bridge.responder.regex_bounds import regex_problem

Mode = Literal["naive", "punctuated", "regex"]

TRIGGER_LIMIT = 100


class BadTrigger(ValueError):
    """The trigger cannot be used; the message is shown to the user."""


@dataclass(frozen=True)
class Match:
    capture: str
    groups: tuple[str, ...]


def _strip_punctuation(text: str) -> str:
    return "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)


def _normal(text: str, mode: Mode) -> str:
    folded = text.casefold()
    if mode == "naive":
        folded = _strip_punctuation(folded)
    return " ".join(folded.split())


def mode_of(trigger: str) -> Mode:
    if len(trigger) >= 2 and trigger.startswith("^") and trigger.endswith("$"):
        return "regex"
    if any(unicodedata.category(c).startswith("P") for c in trigger):
        return "punctuated"
    return "naive"


def key_of(text: str) -> str:
    """The key of the trigger written `text`: two triggers with one key are the same trigger.
    Neither checks nor compiles a regex, so looking one up costs nothing."""
    text = text.strip()
    mode = mode_of(text)
    return text if mode == "regex" else _normal(text, mode)


def _compile(text: str) -> regex.Pattern[str]:
    try:
        # VERSION0 whatever regex.DEFAULT_VERSION says: no set operations; uncached, so the
        # pattern lives exactly as long as the trigger holding it.
        return regex.compile(text, regex.VERSION0, cache_pattern=False)
    finally:
        # `regex` also remembers, process-wide and without limit, whether each pattern string
        # it ever compiled was locale-sensitive, cache_pattern=False or not (~300 bytes a
        # pattern). A visitor's patterns must leave nothing behind: forget this one too.
        # (tests/bot_bridge/responder/test_maker.py measures that nothing stays.)
        memo = getattr(sys.modules[regex.compile.__module__], "_locale_sensitive", None)
        if isinstance(memo, dict):
            memo.pop((str, text), None)


@dataclass(frozen=True)
class Trigger:
    text: str
    mode: Mode
    key: str  # the normalized text: two triggers with one key are the same trigger
    pattern: regex.Pattern[str] | None = None

    @classmethod
    def parse(cls, text: str) -> Trigger:
        """Checks the trigger, without compiling it: a regex trigger is refused here when its
        compiled size cannot be bounded, and gets its pattern from `compiled`."""
        text = text.strip()
        if not text:
            raise BadTrigger("the trigger is empty")
        if len(text) > TRIGGER_LIMIT:
            raise BadTrigger(f"triggers are at most {TRIGGER_LIMIT} characters")
        mode = mode_of(text)
        if mode == "regex":
            problem = regex_problem(text)
            if problem is not None:
                raise BadTrigger(problem)
            return cls(text, mode, text)
        key = key_of(text)
        if not key:
            raise BadTrigger("the trigger has no words")
        return cls(text, mode, key)

    def compiled(self, budget: float) -> Trigger:
        """This trigger, with its regex compiled. Blocks: run it in a worker thread. Refused
        when the compile took more than `budget` seconds of this thread's CPU time (CPU time:
        a busy machine must not refuse a pattern that is cheap to compile)."""
        if self.mode != "regex" or self.pattern is not None:
            return self
        problem = regex_problem(self.text)  # a Trigger built by hand skipped parse's check
        if problem is not None:
            raise BadTrigger(problem)
        started = time.thread_time()
        try:
            pattern = _compile(self.text)
        except (regex.error, ValueError) as error:
            raise BadTrigger(f"that regex does not compile: {error}") from None
        if time.thread_time() - started > budget:
            raise BadTrigger("that regex took too long to compile; try a simpler one")
        return dataclasses.replace(self, pattern=pattern)

    @property
    def regex_bytes(self) -> int:
        """Memory held by the compiled pattern (the `regex` package counts its own nodes)."""
        return 0 if self.pattern is None else sys.getsizeof(self.pattern)

    def match_words(self, message: str) -> Match | None:
        """Naive and punctuated matching: plain string work, linear in the message."""
        haystack = f" {_normal(message, self.mode)} "
        if f" {self.key} " in haystack:
            return Match(self.key, ())
        return None

    def match_regex(self, message: str, timeout: float) -> Match | None:
        """Raises TimeoutError past `timeout` seconds. Safe to call from a worker thread."""
        assert self.pattern is not None, "match_regex needs a compiled() trigger"
        found = self.pattern.match(message, timeout=timeout, concurrent=True)
        if found is None:
            return None
        groups = tuple(group or "" for group in found.groups())
        return Match(found.group(0), groups[:10])

    def collides_with(self, other: Trigger) -> bool:
        """Same trigger, or (for word triggers) one would fire on the other's text."""
        if self.key == other.key:
            return True
        if self.mode == "regex" or other.mode == "regex":
            return False
        return self.match_words(other.text) is not None or other.match_words(self.text) is not None
