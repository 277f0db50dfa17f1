"""`Bus`: the backend its URL picks, plus subscribe-once reference counting per guild.

Any number of local subscribers may follow a guild; the backend is subscribed when the first
arrives and unsubscribed when the last leaves, so a process receives only the guilds it has
subscribers for. One listener task routes the backend's events to the subscribers' queues,
and `RESYNC` (live delivery is back after an interruption) to every subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

from bot_bridge.bus.base import RESYNC, BusEvent, Draft, MirrorWrite, Position, Resync, Stream
from bot_bridge.bus.factory import backend_for
from bot_bridge.bus.history import HistoryLimits

logger = logging.getLogger(__name__)


class Subscription:
    """The live events of one guild, in arrival order, for one local subscriber; `RESYNC`
    where events may have been missed (read the position and the history then)."""

    def __init__(self, guild_id: str) -> None:
        self.guild_id = guild_id
        self._queue: asyncio.Queue[BusEvent | Resync] = asyncio.Queue()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> BusEvent | Resync:
        return await self._queue.get()

    def pending(self) -> int:
        """Events delivered to this subscriber and not yet taken."""
        return self._queue.qsize()

    def _deliver(self, event: BusEvent | Resync) -> None:
        self._queue.put_nowait(event)


class Bus:
    def __init__(self, url: str, limits: HistoryLimits | None = None) -> None:
        self.url = url
        self._backend = backend_for(url, limits)
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._guild_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._listener: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        await self._backend.connect()
        self._listener = asyncio.create_task(self._listen(), name="bus-listener")

    async def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._backend.disconnect()

    async def ping(self) -> None:
        await self._backend.ping()

    async def publish(self, draft: Draft, write: MirrorWrite | None = None) -> BusEvent:
        return await self._backend.publish(draft, write)

    async def position(self, guild_id: str) -> Position:
        return await self._backend.position(guild_id)

    async def history(self, guild_id: str, stream: Stream, after: int) -> list[BusEvent] | None:
        return await self._backend.history(guild_id, stream, after)

    def subscribed_guilds(self) -> set[str]:
        return set(self._subscriptions)

    @contextlib.asynccontextmanager
    async def subscribe(self, guild_id: str) -> AsyncIterator[Subscription]:
        """Follow a guild's live events; delivery is certain once the context is entered."""
        subscription = Subscription(guild_id)
        async with self._guild_locks[guild_id]:
            followers = self._subscriptions.get(guild_id)
            if followers is None:
                await self._backend.subscribe(guild_id)
                followers = self._subscriptions[guild_id] = set()
            followers.add(subscription)
        try:
            yield subscription
        finally:
            await asyncio.shield(self._leave(subscription))

    async def _leave(self, subscription: Subscription) -> None:
        guild_id = subscription.guild_id
        async with self._guild_locks[guild_id]:
            followers = self._subscriptions.get(guild_id)
            if followers is None:
                return
            followers.discard(subscription)
            if not followers:
                del self._subscriptions[guild_id]
                await self._backend.unsubscribe(guild_id)

    async def _listen(self) -> None:
        while True:
            event = await self._backend.next_event()
            if event is RESYNC:
                for followers in self._subscriptions.values():
                    for subscription in followers:
                        subscription._deliver(RESYNC)
                continue
            try:
                guild_id = event.guild_id
            except (ValueError, KeyError, TypeError):
                # Not one of ours (someone else published on the channel): never fatal.
                logger.warning("dropped a malformed bus message: %.200r", event.payload)
                continue
            for subscription in self._subscriptions.get(guild_id, ()):
                subscription._deliver(event)
