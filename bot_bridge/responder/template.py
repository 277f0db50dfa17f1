"""The auto-response syntax: a response is text with bracketed parts.

| part | becomes |
|---|---|
| `[noun]`, `[adj]`, `[adv]` | a random word of that kind |
| `[count]` | how many times this response has fired, this time included |
| `[member]` | a random member of the guild |
| `[author]` | the author of the triggering message |
| `[capture]` | the text that matched the trigger |
| `[0]` ... `[9]` | the trigger's parenthesised groups (`[0]` is the first) |
| `[a, b, c]` | one of the options, at random |
| `[:wave:]`, `[👋]` | not text: a reaction to the triggering message |

Anything else in brackets stays as written. Parsing never fails: any text is a template.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from bot_bridge.responder import words

MESSAGE_LIMIT = 2000


@dataclass(frozen=True)
class Context:
    rng: random.Random
    count: int
    author: str
    capture: str = ""
    groups: tuple[str, ...] = ()


@dataclass
class Rendered:
    text: str
    reactions: list[str] = field(default_factory=list)


def _is_emoji(text: str) -> bool:
    """Only pictographs and their joiners and modifiers (so `[hi]` is not a reaction)."""
    if not text:
        return False
    for char in text:
        category = unicodedata.category(char)
        if category == "So" or char in "\u200d\ufe0f\u20e3" or 0x1F3FB <= ord(char) <= 0x1F3FF:
            continue
        return False
    return True


def _part(inner: str, context: Context, reactions: list[str]) -> str:
    name = inner.strip()
    simple = {
        "noun": lambda: context.rng.choice(words.nouns()),
        "adj": lambda: context.rng.choice(words.adjectives()),
        "adv": lambda: context.rng.choice(words.adverbs()),
        "count": lambda: str(context.count),
        "member": lambda: context.rng.choice(words.members()),
        "author": lambda: context.author,
        "capture": lambda: context.capture,
    }
    if name in simple:
        return simple[name]()
    if len(name) == 1 and name.isdigit():
        index = int(name)
        return context.groups[index] if index < len(context.groups) else ""
    if len(name) > 2 and name.startswith(":") and name.endswith(":") and " " not in name:
        reactions.append(words.emoji_names().get(name[1:-1], name))
        return ""
    if _is_emoji(name):
        reactions.append(name)
        return ""
    if "," in inner:
        options = [option.strip() for option in inner.split(",")]
        return context.rng.choice(options)
    return f"[{inner}]"


def render(template: str, context: Context) -> Rendered:
    pieces: list[str] = []
    reactions: list[str] = []
    position = 0
    while position < len(template):
        start = template.find("[", position)
        end = template.find("]", start + 1) if start != -1 else -1
        if start == -1 or end == -1:
            pieces.append(template[position:])
            break
        pieces.append(template[position:start])
        pieces.append(_part(template[start + 1 : end], context, reactions))
        position = end + 1
    # a removed reaction leaves two spaces where it stood
    text = re.sub(r" {2,}", " ", "".join(pieces)).strip()
    return Rendered(text[:MESSAGE_LIMIT], reactions)
