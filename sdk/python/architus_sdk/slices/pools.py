"""pools: one entity pool per (type, guild id); `log_pool` pushes merge into them.

Each type's pool is keyed as the wire keys it (`entity_id`): settings by `key`, everything
else by `id`.

Loading a pool while pushes arrive uses the answers' watermark (`pool_seq`, CONTRACT 2.1): a
`PushRecording` keeps the pool's pushes from before a request is sent until its answer is
applied; `page_loaded` applies the page, then the recorded pushes with a seq above the page's
`pool_seq` (those the page does not hold yet, which the store may already have applied to
an older version of the same entities). Replaying pushes the store had already applied is
harmless: they are replayed in order, so each entity ends as the newest push that touched it
left it. After the last page of a load, `load_finished` drops the entities that neither a page
nor a push of the load touched: they left the pool before the load saw it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from architus_sdk.slices import pushes, spectate
from architus_sdk.store import EMPTY, Action, EntityAdapter, EntityState, create_action
from architus_sdk.store.entities import Entity
from architus_sdk.wire import EntityType, PoolData, SpectateReset
from architus_sdk.wire.entities import entity_id

PoolKey = tuple[str, str | None]  # (entity type, guild id or None for user/guild)
PoolsState = Mapping[PoolKey, EntityState]

loaded = create_action("pools/loaded")  # payload: (type, guild id, entities, replace: bool)
cleared = create_action("pools/cleared")  # payload: None
page_loaded = create_action("pools/page_loaded")  # payload: LoadedPage
load_finished = create_action("pools/load_finished")  # payload: (type, guild id, touched keys)


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


def push_key(push: Mapping[str, Any]) -> PoolKey:
    """The pool a `log_pool` push belongs to (guild records live in the guild-less pool)."""
    return key(push["type"], push["guild_id"] if push["type"] != "guild" else None)


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
        pool_key = push_key(push)
        return _with(state, pool_key, _merged(state.get(pool_key, EMPTY), push))
    if page_loaded.match(action):
        page: LoadedPage = action.payload
        pool_key = key(page.entity_type, page.guild_id)
        updated = adapter(page.entity_type).set_many(state.get(pool_key, EMPTY), page.entities)
        for newer in page.newer_pushes:
            updated = _merged(updated, newer)
        return _with(state, pool_key, updated)
    if load_finished.match(action):
        entity_type, guild_id, touched = action.payload
        pool_key = key(entity_type, guild_id)
        current = state.get(pool_key, EMPTY)
        gone = [k for k in current.ids if k not in touched]
        return _with(state, pool_key, adapter(entity_type).remove_many(current, gone))
    if cleared.match(action):
        return MappingProxyType({}) if state else state
    if pushes.spectate_reset.match(action):
        # the token lost the guild: nothing of it may stay (user and guild pools are the
        # token's, not the guild's)
        reset: SpectateReset = action.payload
        return _without_guild(state, reset.guild_id)
    if spectate.left.match(action):
        return _without_guild(state, action.payload)
    return state


def _without_guild(state: PoolsState, guild_id: str) -> PoolsState:
    kept = {pool_key: pool for pool_key, pool in state.items() if pool_key[1] != guild_id}
    return state if len(kept) == len(state) else MappingProxyType(kept)


def _merged(pool: EntityState, push: Mapping[str, Any]) -> EntityState:
    entities = adapter(push["type"])
    if push["op"] == "upsert":
        return entities.upsert_many(pool, push["data"])
    return entities.remove_many(pool, [str(k) for k in push["data"]])


@dataclass(frozen=True)
class LoadedPage:
    """A pool answer's entities and the recorded pushes newer than its watermark, in order."""

    entity_type: str
    guild_id: str | None
    entities: Sequence[Entity]
    newer_pushes: Sequence[Mapping[str, Any]]


class PushRecording:
    """The pushes of one pool from before a request (or a load's first request) is sent until
    its last answer is applied, and the keys the load has touched so far."""

    def __init__(self, entity_type: str, guild_id: str | None) -> None:
        self.entity_type = entity_type
        self.guild_id = guild_id
        self._pushes: list[Mapping[str, Any]] = []
        self._touched: set[str] = set()

    def record(self, push: Mapping[str, Any]) -> None:
        self._pushes.append(push)
        if push["op"] == "upsert":
            select_id = adapter(self.entity_type).select_id
            self._touched.update(select_id(entity) for entity in push["data"])
        else:
            self._touched.update(str(k) for k in push["data"])

    def page(self, data: PoolData) -> LoadedPage:
        """The action payload for an answer; without a watermark (user, guild) nothing is
        replayed, as before 1.1."""
        select_id = adapter(self.entity_type).select_id
        self._touched.update(select_id(entity) for entity in data.data)
        watermark = data.pool_seq
        newer = [] if watermark is None else [p for p in self._pushes if p["seq"] > watermark]
        # the next answer's watermark is at least this one's: older pushes are done with
        self._pushes = list(newer)
        return LoadedPage(self.entity_type, self.guild_id, data.data, newer)

    def finished(self) -> tuple[str, str | None, frozenset[str]]:
        """The payload of `load_finished` once every page of a load was applied."""
        return (self.entity_type, self.guild_id, frozenset(self._touched))


class PushRecordings:
    """The recordings open now, by pool; the client hands every `log_pool` push to `record`
    in the same synchronous step in which it dispatches it."""

    def __init__(self) -> None:
        self._open: dict[PoolKey, list[PushRecording]] = {}

    def record(self, push: Mapping[str, Any]) -> None:
        for recording in self._open.get(push_key(push), ()):
            recording.record(push)

    @contextmanager
    def recording(self, entity_type: str, guild_id: str | None) -> Iterator[PushRecording]:
        pool_key = key(entity_type, guild_id)
        opened = PushRecording(entity_type, guild_id)
        self._open.setdefault(pool_key, []).append(opened)
        try:
            yield opened
        finally:
            self._open[pool_key].remove(opened)
            if not self._open[pool_key]:
                del self._open[pool_key]
