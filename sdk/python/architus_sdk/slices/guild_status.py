"""guild_status: the last `guild_status` push of each spectated guild (bot online, viewers)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from architus_sdk.slices import pushes, spectate
from architus_sdk.store import Action
from architus_sdk.wire import GuildStatus, SpectateReset

GuildStatusState = Mapping[str, GuildStatus]  # by guild id


def _without(state: GuildStatusState, guild_id: str) -> GuildStatusState:
    if guild_id not in state:
        return state
    return MappingProxyType({key: value for key, value in state.items() if key != guild_id})


def reducer(state: GuildStatusState | None, action: Action) -> GuildStatusState:
    state = state if state is not None else MappingProxyType({})
    if pushes.guild_status.match(action):
        status: GuildStatus = action.payload
        if state.get(status.guild_id) == status:
            return state
        return MappingProxyType({**state, status.guild_id: status})
    if pushes.spectate_reset.match(action):
        reset: SpectateReset = action.payload
        return _without(state, reset.guild_id)
    if spectate.left.match(action):
        return _without(state, action.payload)
    return state
