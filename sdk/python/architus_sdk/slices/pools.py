"""pools: one entity pool per (type, guild id); `log_pool` pushes merge into them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from architus_sdk.slices import pushes
from architus_sdk.store import (
    EMPTY,
    Action,
    EntityState,
    create_action,
    remove_many,
    set_all,
    upsert_many,
)

PoolKey = tuple[str, str | None]  # (entity type, guild id or None for user/guild)
PoolsState = Mapping[PoolKey, EntityState]

loaded = create_action("pools/loaded")  # payload: (type, guild id, entities, replace: bool)
cleared = create_action("pools/cleared")  # payload: None


def key(entity_type: str, guild_id: str | None) -> PoolKey:
    return (entity_type, guild_id)


def select(state: PoolsState, entity_type: str, guild_id: str | None) -> EntityState:
    return state.get(key(entity_type, guild_id), EMPTY)


def _with(state: PoolsState, pool_key: PoolKey, pool: EntityState) -> PoolsState:
    if state.get(pool_key, EMPTY) is pool:
        return state
    return MappingProxyType({**state, pool_key: pool})


def reducer(state: PoolsState | None, action: Action) -> PoolsState:
    state = state if state is not None else MappingProxyType({})
    if loaded.match(action):
        entity_type, guild_id, entities, replace_all = action.payload
        pool_key = key(entity_type, guild_id)
        current = state.get(pool_key, EMPTY)
        updated = set_all(current, entities) if replace_all else upsert_many(current, entities)
        return _with(state, pool_key, updated)
    if pushes.log_pool.match(action):
        push: dict[str, Any] = action.payload
        pool_key = key(push["type"], push["guild_id"] if push["type"] != "guild" else None)
        current = state.get(pool_key, EMPTY)
        if push["op"] == "upsert":
            updated = upsert_many(current, push["data"])
        else:
            updated = remove_many(current, [str(k) for k in push["data"]])
        return _with(state, pool_key, updated)
    if cleared.match(action):
        return MappingProxyType({}) if state else state
    return state
