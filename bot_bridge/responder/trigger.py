"""Auto-response triggers in their three modes.

- naive: case and punctuation ignored; matches when its words appear as whole words.
- punctuated: case ignored, punctuation kept; whole words.
- regex: a trigger written `^...$` is a regular expression matched against the whole
  message, with the `regex` package's time limit, in a worker thread that releases the GIL,
  so a catastrophic pattern costs its own request the limit and stalls nothing else.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

import regex

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


@dataclass(frozen=True)
class Trigger:
    text: str
    mode: Mode
    key: str  # the normalized text: two triggers with one key are the same trigger
    pattern: regex.Pattern[str] | None = None

    @classmethod
    def parse(cls, text: str) -> Trigger:
        text = text.strip()
        if not text:
            raise BadTrigger("the trigger is empty")
        if len(text) > TRIGGER_LIMIT:
            raise BadTrigger(f"triggers are at most {TRIGGER_LIMIT} characters")
        mode = mode_of(text)
        if mode == "regex":
            try:
                pattern = regex.compile(text)
            except regex.error as error:
                raise BadTrigger(f"that regex does not compile: {error}") from None
            return cls(text, mode, text, pattern)
        key = _normal(text, mode)
        if not key:
            raise BadTrigger("the trigger has no words")
        return cls(text, mode, key)

    def match_words(self, message: str) -> Match | None:
        """Naive and punctuated matching: plain string work, linear in the message."""
        haystack = f" {_normal(message, self.mode)} "
        if f" {self.key} " in haystack:
            return Match(self.key, ())
        return None

    def match_regex(self, message: str, timeout: float) -> Match | None:
        """Raises TimeoutError past `timeout` seconds. Safe to call from a worker thread."""
        assert self.pattern is not None
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
