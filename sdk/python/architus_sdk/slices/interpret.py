"""interpret: the front-page conversation — what the visitor said and what the bot did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from architus_sdk.store import Action, create_action


@dataclass(frozen=True)
class Line:
    author: str  # "visitor" or "bot"
    action: str  # send, react, unreact, edit
    message_id: str
    content: str | None = None
    emoji: str | None = None


@dataclass(frozen=True)
class InterpretState:
    lines: tuple[Line, ...] = ()


said = create_action("interpret/said")  # payload: the request dict
answered = create_action("interpret/answered")  # payload: InterpretData dict


def reducer(state: InterpretState | None, action: Action) -> InterpretState:
    state = state or InterpretState()
    if said.match(action):
        request: dict[str, Any] = action.payload
        line = Line(
            "visitor",
            request["action"],
            request["message_id"],
            request.get("content"),
            request.get("emoji"),
        )
        return InterpretState((*state.lines, line))
    if answered.match(action):
        bot_lines = tuple(
            Line("bot", a["action"], a["message_id"], a.get("content"), a.get("emoji"))
            for a in action.payload["actions"]
        )
        return InterpretState((*state.lines, *bot_lines)) if bot_lines else state
    return state
