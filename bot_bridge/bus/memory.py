"""`memory://` backend: one process, no network. Every bus and mirror opened on the same URL in
one process shares the same hub, so an embedded simulator and the gateway see one bus."""

from __future__ import annotations

import asyncio
import bisect
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from architus_sdk.wire import EntityType
from bot_bridge.bus.base import (
    BusBackend,
    BusEvent,
    Draft,
    JsonEntities,
    Mirror,
    MirrorWrite,
    Position,
    Resync,
    SearchHit,
    Stream,
    Watermarked,
    best_match,
    key_of_sort_key,
    rank_hits,
    sequence,
    sort_key,
)
from bot_bridge.bus.history import HistoryLimits


@dataclass
class _StreamState:
    seq: int = 0
    # (published at, event); bounded by count here, by age on read
    history: deque[tuple[float, BusEvent]] = field(default_factory=deque)


@dataclass
class _GuildState:
    epoch: str
    streams: dict[Stream, _StreamState] = field(
        default_factory=lambda: {stream: _StreamState() for stream in Stream}
    )


@dataclass
class MemoryPool:
    """One type's pool of one guild: entities by key, and sort keys in order."""

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


class MemoryHub:
    """The shared state of one `memory://` URL: streams, subscribers and the mirror's pools."""

    def __init__(self) -> None:
        self.guilds: dict[str, _GuildState] = {}
        self.subscribers: dict[str, set[MemoryBackend]] = {}
        self.pools: dict[str, dict[EntityType, MemoryPool]] = {}  # guild -> entity type -> pool

    def guild(self, guild_id: str) -> _GuildState:
        state = self.guilds.get(guild_id)
        if state is None:
            state = self.guilds[guild_id] = _GuildState(epoch=secrets.token_hex(8))
        return state

    def pool(self, guild_id: str, entity_type: EntityType) -> MemoryPool:
        pools = self.pools.setdefault(guild_id, {})
        pool = pools.get(entity_type)
        if pool is None:
            pool = pools[entity_type] = MemoryPool()
        return pool


_hubs: dict[str, MemoryHub] = {}


def hub(url: str) -> MemoryHub:
    return _hubs.setdefault(url, MemoryHub())


class MemoryBackend(BusBackend):
    def __init__(self, url: str, limits: HistoryLimits) -> None:
        self._hub = hub(url)
        self._limits = limits
        self._inbox: asyncio.Queue[BusEvent] = asyncio.Queue()

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        for subscribers in self._hub.subscribers.values():
            subscribers.discard(self)

    async def ping(self) -> None:
        pass

    async def publish(self, draft: Draft, write: MirrorWrite | None = None) -> BusEvent:
        # No await in here: mirror write, sequencing, history and notification are one step.
        if write is not None:
            self._hub.pool(draft.guild_id, write.entity_type).apply(write.entity_type, write)
        guild = self._hub.guild(draft.guild_id)
        stream = guild.streams[draft.stream]
        stream.seq += 1
        event = BusEvent(draft.stream, sequence(draft, guild.epoch, stream.seq))
        stream.history.append((time.monotonic(), event))
        while len(stream.history) > self._limits.max_events:
            stream.history.popleft()
        for subscriber in self._hub.subscribers.get(draft.guild_id, ()):
            subscriber._inbox.put_nowait(event)
        return event

    async def position(self, guild_id: str) -> Position:
        guild = self._hub.guild(guild_id)
        return Position(guild.epoch, guild.streams[Stream.POOL].seq, guild.streams[Stream.LOGS].seq)

    async def history(self, guild_id: str, stream: Stream, after: int) -> list[BusEvent] | None:
        state = self._hub.guild(guild_id).streams[stream]
        if after >= state.seq:
            return []
        oldest_kept = time.monotonic() - self._limits.max_age
        events = [event for published, event in state.history if published >= oldest_kept]
        missing = state.seq - after
        if len(events) < missing:
            return None
        return events[len(events) - missing :]

    async def subscribe(self, guild_id: str) -> None:
        self._hub.subscribers.setdefault(guild_id, set()).add(self)

    async def unsubscribe(self, guild_id: str) -> None:
        subscribers = self._hub.subscribers.get(guild_id)
        if subscribers is not None:
            subscribers.discard(self)
            if not subscribers:
                del self._hub.subscribers[guild_id]

    async def next_event(self) -> BusEvent | Resync:
        return await self._inbox.get()


class MemoryMirror(Mirror):
    """Reads of the hub's pools, which `MemoryBackend.publish` writes."""

    def __init__(self, url: str) -> None:
        self._hub = hub(url)

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    # Each read below is synchronous from the pool to the watermark: no publish can run
    # between them, which is the atomicity the Redis backend gets from one script.

    def _pool_seq(self, guild_id: str) -> int:
        guild = self._hub.guilds.get(guild_id)  # a read does not create the guild's epoch
        return guild.streams[Stream.POOL].seq if guild is not None else 0

    async def read_entities(
        self, guild_id: str, entity_type: EntityType, keys: list[str]
    ) -> Watermarked[dict[str, str]]:
        stored = self._hub.pool(guild_id, entity_type).texts
        found = {key: stored[key] for key in keys if key in stored}
        return Watermarked(found, self._pool_seq(guild_id))

    async def read_page(
        self, guild_id: str, entity_type: EntityType, after: str | None, limit: int
    ) -> Watermarked[tuple[JsonEntities, str | None]]:
        pool = self._hub.pool(guild_id, entity_type)
        start = bisect.bisect_right(pool.order, after) if after is not None else 0
        keys = pool.order[start : start + limit + 1]
        more = len(keys) > limit
        keys = keys[:limit]
        texts = [pool.texts[key_of_sort_key(entity_type, key)] for key in keys]
        page = JsonEntities(",".join(texts)), (keys[-1] if more else None)
        return Watermarked(page, self._pool_seq(guild_id))

    async def read_search(
        self, guild_id: str, entity_type: EntityType, query: str, limit: int
    ) -> Watermarked[list[SearchHit]]:
        needle = query.casefold()
        pool = self._hub.pool(guild_id, entity_type)
        hits = []
        for key, entity in pool.entities.items():
            match = best_match(entity_type, entity, needle)
            if match is not None:
                hits.append(SearchHit(match[0], match[1], key, pool.texts[key]))
        return Watermarked(rank_hits(hits, limit), self._pool_seq(guild_id))

    async def all(self, guild_id: str, entity_type: EntityType) -> dict[str, dict[str, Any]]:
        return dict(self._hub.pool(guild_id, entity_type).entities)

    async def has_guild(self, guild_id: str) -> bool:
        return guild_id in self._hub.pool(guild_id, EntityType.GUILD).entities
