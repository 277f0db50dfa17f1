"""`memory://` mirror: the pools live in the process's memory hub beside the bus."""

from __future__ import annotations

import bisect
from typing import Any

from architus_sdk.wire import EntityType
from bot_bridge.bus.bus_memory import hub
from bot_bridge.mirror.base import (
    JsonEntities,
    Mirror,
    SearchHit,
    best_match,
    key_of_sort_key,
    rank_hits,
)
from bot_bridge.mirror.pool_memory import MemoryPool, pool_of


class MemoryMirror(Mirror):
    def __init__(self, url: str) -> None:
        self._hub = hub(url)

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    def _pool(self, guild_id: str, entity_type: EntityType) -> MemoryPool:
        return pool_of(self._hub, guild_id, entity_type)

    async def entities(
        self, guild_id: str, entity_type: EntityType, keys: list[str]
    ) -> dict[str, str]:
        stored = self._pool(guild_id, entity_type).texts
        return {key: stored[key] for key in keys if key in stored}

    async def page(
        self, guild_id: str, entity_type: EntityType, after: str | None, limit: int
    ) -> tuple[JsonEntities, str | None]:
        pool = self._pool(guild_id, entity_type)
        start = bisect.bisect_right(pool.order, after) if after is not None else 0
        keys = pool.order[start : start + limit + 1]
        more = len(keys) > limit
        keys = keys[:limit]
        texts = [pool.texts[key_of_sort_key(entity_type, key)] for key in keys]
        return JsonEntities(",".join(texts)), (keys[-1] if more else None)

    async def search(
        self, guild_id: str, entity_type: EntityType, query: str, limit: int
    ) -> list[SearchHit]:
        needle = query.casefold()
        pool = self._pool(guild_id, entity_type)
        hits = []
        for key, entity in pool.entities.items():
            match = best_match(entity_type, entity, needle)
            if match is not None:
                hits.append(SearchHit(match[0], match[1], key, pool.texts[key]))
        return rank_hits(hits, limit)

    async def all(self, guild_id: str, entity_type: EntityType) -> dict[str, dict[str, Any]]:
        return dict(self._pool(guild_id, entity_type).entities)

    async def has_guild(self, guild_id: str) -> bool:
        return guild_id in self._pool(guild_id, EntityType.GUILD).entities
