"""One type's pool of one guild in memory: entities by key, and sort keys in order."""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from architus_sdk.wire import EntityType
from bot_bridge.mirror.base import MirrorWrite, sort_key


class _HasPools(Protocol):
    pools: dict[str, dict[Any, Any]]


@dataclass
class MemoryPool:
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # the JSON a reader is given
    order: list[str] = field(default_factory=list)  # sort keys, ascending

    def apply(self, entity_type: EntityType, write: MirrorWrite) -> None:
        for key, entity in write.keyed_upserts():
            if key not in self.entities:
                bisect.insort(self.order, sort_key(entity_type, key))
            self.entities[key] = entity
            self.texts[key] = json.dumps(entity, separators=(",", ":"), ensure_ascii=False)
        for key in write.deletes:
            self.texts.pop(key, None)
            if self.entities.pop(key, None) is not None:
                index = bisect.bisect_left(self.order, sort_key(entity_type, key))
                del self.order[index]


def pool_of(memory: _HasPools, guild_id: str, entity_type: EntityType) -> MemoryPool:
    pools: dict[EntityType, MemoryPool] = memory.pools.setdefault(guild_id, {})
    pool = pools.get(entity_type)
    if pool is None:
        pool = pools[entity_type] = MemoryPool()
    return pool
