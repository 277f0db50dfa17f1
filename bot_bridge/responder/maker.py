"""The response maker: what the bot answers to a message or a reaction in a sandbox.

Importable without a Discord connection; the gateway calls it directly for `interpret`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot_bridge.responder.sandbox import (
    REGEX_BYTES_LIMIT,
    RESPONSE_LIMIT,
    RESPONSE_TEXT_LIMIT,
    AutoResponse,
    Sandbox,
)
from bot_bridge.responder.template import MESSAGE_LIMIT, Context, render
from bot_bridge.responder.trigger import BadTrigger, Match, Trigger, key_of

COMMANDS = ("help", "set", "remove")
PREV, NEXT = "⬅️", "➡️"
# Time one message may spend in regex triggers, all of them together; and the CPU time one
# `!set` may spend compiling its regex.
REGEX_BUDGET = 0.1

HELP_PAGES = (
    "**architus** commands (page 1/3, react ➡️ for more)\n"
    "`!set trigger::response` add an auto response\n"
    "`!remove trigger` remove one\n"
    "`!help` this help",
    "**Response syntax** (page 2/3)\n"
    "`[noun]` `[adj]` `[adv]` random words · `[count]` times fired · `[member]` a member · "
    "`[author]` you · `[capture]` the matched text · `[0]`…`[9]` regex groups · "
    "`[a, b, c]` one at random · `[:wave:]` or `[👋]` react",
    "**Triggers** (page 3/3)\n"
    "plain words ignore case and punctuation · with punctuation they must match it · "
    "`^regex$` matches the whole message",
)


@dataclass(frozen=True)
class Action:
    action: str  # send, react, edit
    message_id: str
    content: str | None = None
    emoji: str | None = None

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"action": self.action, "message_id": self.message_id}
        if self.content is not None:
            body["content"] = self.content
        if self.emoji is not None:
            body["emoji"] = self.emoji
        return body


class ResponseMaker:
    def __init__(self, regex_threads: int = 4, regex_budget: float = REGEX_BUDGET) -> None:
        # Its own small pool, for compiling and matching: a flood of hostile regexes queues
        # here, not in the loop's pool, and never runs on the loop.
        self._regex_pool = ThreadPoolExecutor(regex_threads, thread_name_prefix="regex")
        self._regex_budget = regex_budget
        # `!name` is answered by `_command_name`
        self._commands: dict[str, Callable[[Sandbox, str], Awaitable[list[Action]]]] = {
            name: getattr(self, f"_command_{name}") for name in COMMANDS
        }

    def close(self) -> None:
        self._regex_pool.shutdown(wait=False, cancel_futures=True)

    async def send(
        self,
        sandbox: Sandbox,
        message_id: str,
        content: str,
        allowed: Callable[[str], bool] = lambda name: True,
    ) -> list[Action]:
        text = content.strip()
        if text.startswith("!"):
            name, _, rest = text[1:].partition(" ")
            if name in self._commands and allowed(name):
                return await self._commands[name](sandbox, rest.strip())
        return await self._auto_respond(sandbox, message_id, content)

    def react(self, sandbox: Sandbox, message_id: str, emoji: str) -> list[Action]:
        """Reacting (or unreacting: Discord toggles) an arrow on a help message turns its page."""
        page = sandbox.help_pages.get(message_id)
        if page is None or emoji not in (PREV, NEXT):
            return []
        page = (page + (1 if emoji == NEXT else -1)) % len(HELP_PAGES)
        sandbox.remember_help(message_id, page)
        return [Action("edit", message_id, content=HELP_PAGES[page])]

    def _reply(self, sandbox: Sandbox, content: str) -> list[Action]:
        return [Action("send", sandbox.bot_message_id(), content=content[:MESSAGE_LIMIT])]

    async def _command_help(self, sandbox: Sandbox, rest: str) -> list[Action]:
        message_id = sandbox.bot_message_id()
        sandbox.remember_help(message_id, 0)
        return [
            Action("send", message_id, content=HELP_PAGES[0]),
            Action("react", message_id, emoji=PREV),
            Action("react", message_id, emoji=NEXT),
        ]

    async def _command_set(self, sandbox: Sandbox, rest: str) -> list[Action]:
        trigger_text, separator, response = rest.partition("::")
        response = response.strip()
        if not separator or not response:
            return self._reply(sandbox, "Usage: `!set trigger::response`")
        if len(response) > RESPONSE_TEXT_LIMIT:
            return self._reply(
                sandbox, f"❌ responses are at most {RESPONSE_TEXT_LIMIT} characters"
            )
        try:
            trigger = Trigger.parse(trigger_text)
            # Nothing is compiled for a trigger that would be refused anyway.
            refusal = self._refusal(sandbox, trigger)
            if refusal is None and trigger.mode == "regex":
                trigger = await self._compile(trigger)
                refusal = self._refusal(sandbox, trigger)  # the sandbox may have changed since
        except BadTrigger as error:
            refusal = str(error)
        if refusal is not None:
            return self._reply(sandbox, f"❌ {refusal}")
        sandbox.responses.append(AutoResponse(trigger, response))
        return self._reply(sandbox, f"✅ `{trigger.text}` ➜ `{response}`")

    def _refusal(self, sandbox: Sandbox, trigger: Trigger) -> str | None:
        clash = sandbox.colliding(trigger)
        if clash is not None:
            return f"`{trigger.text}` collides with `{clash.trigger.text}`"
        if len(sandbox.responses) >= RESPONSE_LIMIT:
            return f"this server has {RESPONSE_LIMIT} auto responses; remove one first"
        held = sandbox.regex_bytes()
        if held + trigger.regex_bytes > REGEX_BYTES_LIMIT:
            return (
                f"that regex needs {trigger.regex_bytes // 1024} KiB and this server's regexes "
                f"hold {held // 1024} of {REGEX_BYTES_LIMIT // 1024} KiB; "
                "remove one, or use smaller repeats"
            )
        return None

    async def _compile(self, trigger: Trigger) -> Trigger:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._regex_pool, trigger.compiled, self._regex_budget)

    async def _command_remove(self, sandbox: Sandbox, rest: str) -> list[Action]:
        # Found by its key: removing never compiles, whatever the visitor writes.
        if not rest:
            return self._reply(sandbox, "Usage: `!remove trigger`")
        found = sandbox.find(key_of(rest))
        if found is None:
            return self._reply(sandbox, f"❌ no auto response `{rest}`")
        sandbox.responses.remove(found)
        return self._reply(sandbox, f"✅ removed `{found.trigger.text}`")

    async def _auto_respond(self, sandbox: Sandbox, message_id: str, content: str) -> list[Action]:
        found = await self._first_match(sandbox, content)
        if found is None:
            return []
        response, match = found
        response.count += 1
        rendered = render(
            response.response,
            Context(sandbox.rng, response.count, sandbox.author, match.capture, match.groups),
        )
        actions = []
        if rendered.text:
            actions += self._reply(sandbox, rendered.text)
        actions += [Action("react", message_id, emoji=emoji) for emoji in rendered.reactions[:5]]
        return actions

    async def _first_match(
        self, sandbox: Sandbox, content: str
    ) -> tuple[AutoResponse, Match] | None:
        deadline = time.monotonic() + self._regex_budget
        loop = asyncio.get_running_loop()
        for response in list(sandbox.responses):
            trigger = response.trigger
            if trigger.mode != "regex":
                match = trigger.match_words(content)
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    continue  # this message spent its regex time: later regexes do not run
                try:
                    match = await loop.run_in_executor(
                        self._regex_pool, trigger.match_regex, content, remaining
                    )
                except TimeoutError:
                    continue
            if match is not None:
                return response, match
        return None
