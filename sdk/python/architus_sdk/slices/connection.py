"""connection: status, transport, last error."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from architus_sdk.store import Action, create_action

Status = Literal["disconnected", "connecting", "connected", "reconnecting"]


@dataclass(frozen=True)
class ConnectionState:
    status: Status = "disconnected"
    transport: str | None = None
    last_error: str | None = None


changed = create_action("connection/changed")  # payload: (status, transport)
failed = create_action("connection/failed")  # payload: error text


def reducer(state: ConnectionState | None, action: Action) -> ConnectionState:
    state = state or ConnectionState()
    if changed.match(action):
        status, transport = action.payload
        if (status, transport) == (state.status, state.transport):
            return state
        return replace(state, status=status, transport=transport)
    if failed.match(action):
        return replace(state, last_error=action.payload)
    return state
