"""logs: the most recent log entries of the spectated guild, private ones marked.

One guild's at a time: leaving the guild (`spectate/left`) or losing it (`spectate_reset`)
empties the log, so entries of two guilds never stand side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from architus_sdk.slices import pushes, spectate
from architus_sdk.store import Action, create_action
from architus_sdk.wire import SpectateReset

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
    guild_id: str
    epoch: str


@dataclass(frozen=True)
class LogsState:
    entries: tuple[LogEntry, ...] = ()
    capacity: int = CAPACITY


cleared = create_action("logs/cleared")
# After a resume that did not recover: what the log held before the ack's position is followed
# by a gap, so only the entries after it stay (live ones that came before the ack itself).
reset = create_action("logs/reset")  # payload: (epoch, logs_seq) of the spectate ack


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
            push["guild_id"],
            push["epoch"],
        )
        return LogsState((*state.entries, entry)[-state.capacity :], state.capacity)
    if reset.match(action):
        epoch, after = action.payload
        kept = tuple(e for e in state.entries if e.epoch == epoch and e.seq > after)
        return state if len(kept) == len(state.entries) else LogsState(kept, state.capacity)
    if pushes.spectate_reset.match(action):
        gone: SpectateReset = action.payload
        return _without_guild(state, gone.guild_id)
    if spectate.left.match(action):
        return _without_guild(state, action.payload)
    if cleared.match(action):
        return LogsState(capacity=state.capacity) if state.entries else state
    return state


def _without_guild(state: LogsState, guild_id: str) -> LogsState:
    kept = tuple(entry for entry in state.entries if entry.guild_id != guild_id)
    return state if len(kept) == len(state.entries) else LogsState(kept, state.capacity)
