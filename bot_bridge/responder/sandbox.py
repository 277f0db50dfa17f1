"""One front-page visitor's guild: its auto responses and message ids. Lives in the gateway
process, belongs to one connection, and is never written anywhere."""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass, field

from bot_bridge.responder.trigger import Trigger

RESPONSE_LIMIT = 50  # auto responses per sandbox
RESPONSE_TEXT_LIMIT = 400  # characters of one response template
# Compiled regexes one sandbox may hold, all together: a connection has at most 4 sandboxes,
# so 1 MiB a connection, under the 4 MiB a socket may already queue. Typical regex triggers are
# 1-3 KiB each; one at the bounds of `regex_bounds` can reach 200 KiB.
REGEX_BYTES_LIMIT = 256 * 1024
HELP_MESSAGES_KEPT = 20


@dataclass
class AutoResponse:
    trigger: Trigger
    response: str
    count: int = 0


@dataclass
class Sandbox:
    guild_id: str
    rng: random.Random
    author: str = "guest"
    responses: list[AutoResponse] = field(default_factory=list)
    # bot message id -> help page shown in it (oldest dropped first)
    help_pages: OrderedDict[str, int] = field(default_factory=OrderedDict)
    _next_bot_id: int = 1

    def bot_message_id(self) -> str:
        """Bot messages get odd ids (the visitor's own messages are even)."""
        message_id = self._next_bot_id
        self._next_bot_id += 2
        return str(message_id)

    def find(self, key: str) -> AutoResponse | None:
        return next((r for r in self.responses if r.trigger.key == key), None)

    def regex_bytes(self) -> int:
        return sum(r.trigger.regex_bytes for r in self.responses)

    def colliding(self, trigger: Trigger) -> AutoResponse | None:
        return next((r for r in self.responses if r.trigger.collides_with(trigger)), None)

    def remember_help(self, message_id: str, page: int) -> None:
        self.help_pages[message_id] = page
        self.help_pages.move_to_end(message_id)
        while len(self.help_pages) > HELP_MESSAGES_KEPT:
            self.help_pages.popitem(last=False)
