"""logs: the most recent log entries of the spectated guild, private ones marked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from architus_sdk.slices import pushes
from architus_sdk.store import Action, create_action

CAPACITY = 500


@dataclass(frozen=True)
class LogEntry:
    seq: int
    action: int
    private: bool
    agent_id: str | None
    subject_id: str | None
    content: str | None
    timestamp: str
    data: Any


@dataclass(frozen=True)
class LogsState:
    entries: tuple[LogEntry, ...] = ()
    capacity: int = CAPACITY


cleared = create_action("logs/cleared")


def reducer(state: LogsState | None, action: Action) -> LogsState:
    state = state or LogsState()
    if pushes.log_other.match(action):
        push: dict[str, Any] = action.payload
        entry = LogEntry(
            push["seq"],
            push["action"],
            push["private"],
            push["agent_id"],
            push["subject_id"],
            push["content"],
            push["timestamp"],
            push["data"],
        )
        return LogsState((*state.entries, entry)[-state.capacity :], state.capacity)
    if cleared.match(action):
        return LogsState(capacity=state.capacity) if state.entries else state
    return state
