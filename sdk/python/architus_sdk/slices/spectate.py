"""spectate: the guild followed and where its streams stand (the resume point)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from architus_sdk.slices import pushes
from architus_sdk.store import Action, create_action
from architus_sdk.wire import SpectateData, SpectateReset


@dataclass(frozen=True)
class SpectateState:
    guild_id: str | None = None
    include_logs: bool = False
    epoch: str | None = None
    pool_seq: int = 0
    logs_seq: int = 0


started = create_action("spectate/started")  # payload: (SpectateData, include_logs)
stopped = create_action("spectate/stopped")  # payload: reason
# Not the gateway's: the client no longer follows the guild (another spectated, the spectate
# ended, or a resume refused), and what it held of it would go stale, as on `spectate_reset`.
left = create_action("spectate/left")  # payload: the guild id


def reducer(state: SpectateState | None, action: Action) -> SpectateState:
    state = state or SpectateState()
    if started.match(action):
        data: SpectateData = action.payload[0]
        return SpectateState(
            data.guild_id, action.payload[1], data.epoch, data.pool_seq or 0, data.logs_seq or 0
        )
    if stopped.match(action):
        return SpectateState() if state.guild_id is not None else state
    if pushes.spectate_reset.match(action):
        reset: SpectateReset = action.payload
        return SpectateState() if reset.guild_id == state.guild_id else state
    if pushes.log_pool.match(action) or pushes.log_other.match(action):
        push = action.payload
        if push["guild_id"] != state.guild_id:
            return state
        field = "pool_seq" if pushes.log_pool.match(action) else "logs_seq"
        if push["epoch"] != state.epoch:
            # a new history (the bus lost its own): positions restart with it
            restarted = {"pool_seq": 0, "logs_seq": 0, field: push["seq"]}
            return replace(state, epoch=push["epoch"], **restarted)
        if push["seq"] > getattr(state, field):
            return replace(state, **{field: push["seq"]})
    return state
