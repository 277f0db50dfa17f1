"""pools: one entity pool per (type, guild id); `log_pool` pushes merge into them.

Each type's pool is keyed as the wire keys it (`entity_id`): settings by `key`, everything
else by `id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from architus_sdk.slices import pushes
from architus_sdk.store import EMPTY, Action, EntityAdapter, EntityState, create_action
from architus_sdk.store.entities import Entity
from architus_sdk.wire import EntityType
from architus_sdk.wire.entities import entity_id

PoolKey = tuple[str, str | None]  # (entity type, guild id or None for user/guild)
PoolsState = Mapping[PoolKey, EntityState]

loaded = create_action("pools/loaded")  # payload: (type, guild id, entities, replace: bool)
cleared = create_action("pools/cleared")  # payload: None


def _keyed_by(entity_type: EntityType) -> EntityAdapter:
    def select_id(entity: Entity) -> str:
        return entity_id(entity_type, entity)

    return EntityAdapter(select_id)


ADAPTERS: Mapping[EntityType, EntityAdapter] = MappingProxyType(
    {entity_type: _keyed_by(entity_type) for entity_type in EntityType}
)


def adapter(entity_type: str) -> EntityAdapter:
    """The entity adapter of a pool type (settings keyed by `key`)."""
    return ADAPTERS[EntityType(entity_type)]


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
        pool = adapter(entity_type)
        updated = (
            pool.set_all(current, entities) if replace_all else pool.upsert_many(current, entities)
        )
        return _with(state, pool_key, updated)
    if pushes.log_pool.match(action):
        push: dict[str, Any] = action.payload
        pool_key = key(push["type"], push["guild_id"] if push["type"] != "guild" else None)
        current = state.get(pool_key, EMPTY)
        pool = adapter(push["type"])
        if push["op"] == "upsert":
            updated = pool.upsert_many(current, push["data"])
        else:
            updated = pool.remove_many(current, [str(k) for k in push["data"]])
        return _with(state, pool_key, updated)
    if cleared.match(action):
        return MappingProxyType({}) if state else state
    return state
