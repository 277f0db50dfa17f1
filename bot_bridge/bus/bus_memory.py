"""`memory://` backend: one process, no network. Every bus opened on the same URL in one
process shares the same hub, so an embedded simulator and the gateway see one bus."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bot_bridge.bus.base import BusBackend, BusEvent, Draft, Position, Stream, sequence
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.mirror.base import MirrorWrite
from bot_bridge.mirror.pool_memory import pool_of


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


class MemoryHub:
    """The shared state of one `memory://` URL: streams, subscribers and the mirror's pools."""

    def __init__(self) -> None:
        self.guilds: dict[str, _GuildState] = {}
        self.subscribers: dict[str, set[MemoryBackend]] = {}
        # guild -> entity type -> pool (bot_bridge.mirror.mirror_memory.MemoryPool)
        self.pools: dict[str, dict[Any, Any]] = {}

    def guild(self, guild_id: str) -> _GuildState:
        state = self.guilds.get(guild_id)
        if state is None:
            state = self.guilds[guild_id] = _GuildState(epoch=secrets.token_hex(8))
        return state


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
            pool_of(self._hub, draft.guild_id, write.entity_type).apply(write.entity_type, write)
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

    async def next_event(self) -> BusEvent:
        return await self._inbox.get()
