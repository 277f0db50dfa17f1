"""The word lists and emoji names shipped with the package (`bot_bridge/responder/data`)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


def _lines(name: str) -> tuple[str, ...]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@cache
def nouns() -> tuple[str, ...]:
    return _lines("nouns.txt")


@cache
def adjectives() -> tuple[str, ...]:
    return _lines("adjectives.txt")


@cache
def adverbs() -> tuple[str, ...]:
    return _lines("adverbs.txt")


@cache
def members() -> tuple[str, ...]:
    """The sandbox guild's members, for `[member]`."""
    return _lines("members.txt")


@cache
def emoji_names() -> dict[str, str]:
    """Shortcode (without colons) to unicode emoji."""
    text = resources.files(__package__).joinpath("data", "emoji.json").read_text(encoding="utf-8")
    names: dict[str, str] = json.loads(text)
    return names
