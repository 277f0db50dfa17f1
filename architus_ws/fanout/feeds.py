"""Fan-out: one feed per guild that has local spectators.

A feed holds the node's bus subscription for its guild and is the only thing that sends the
guild's pushes to its rooms, so it knows exactly which seq each room has been sent: that is
where a joining socket starts (`pool_seq`/`logs_seq` in the spectate ack). Events arrive once
per node; each is encoded once per room (pool, public logs, private logs), never per socket.
A gap in seqs (the bus connection dropped) is filled from the bus's history before going on;
so is whatever the bus's position shows past the feed when the bus says `RESYNC` (its live
connection is back), so that a quiet guild does not wait for its next event to be whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from architus_sdk.wire import STREAM_EVENTS
from architus_ws.auth.permissions import event_class
from architus_ws.fanout import rooms
from architus_ws.fanout.sender import RawJson, Sender
from bot_bridge.bus import (
    RESYNC,
    Bus,
    BusEvent,
    BusUnavailable,
    Position,
    Stream,
    Subscription,
)

logger = logging.getLogger(__name__)


@dataclass
class GuildFeed:
    guild_id: str
    epoch: str
    last_seq: dict[Stream, int]
    spectators: set[str] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    # Set and replaced on every send, so a resuming socket can wait for the feed to catch up.
    advanced: asyncio.Event = field(default_factory=asyncio.Event)

    def position(self) -> Position:
        return Position(self.epoch, self.last_seq[Stream.POOL], self.last_seq[Stream.LOGS])


class Feeds:
    def __init__(self, bus: Bus, sender: Sender, on_delivered: Callable[[str, int], None]) -> None:
        self._bus = bus
        self._sender = sender
        self._on_delivered = on_delivered
        self._feeds: dict[str, GuildFeed] = {}
        self._starting: dict[str, asyncio.Future[GuildFeed]] = {}

    def get(self, guild_id: str) -> GuildFeed | None:
        return self._feeds.get(guild_id)

    def spectator_counts(self) -> dict[str, int]:
        return {guild_id: len(feed.spectators) for guild_id, feed in self._feeds.items()}

    async def join(self, guild_id: str, sid: str) -> GuildFeed:
        """Count `sid` as a spectator of the guild, starting the guild's feed if needed.

        Raises BusUnavailable (and counts nothing) when the feed cannot start.
        """
        feed = self._feeds.get(guild_id)
        if feed is None:
            starting = self._starting.get(guild_id)
            if starting is None:
                starting = asyncio.get_running_loop().create_future()
                self._starting[guild_id] = starting
                try:
                    feed = await self._start(guild_id)
                except BaseException as error:
                    starting.set_exception(error)
                    # Mark retrieved: other joiners may not exist to read it.
                    starting.exception()
                    raise
                else:
                    starting.set_result(feed)
                finally:
                    del self._starting[guild_id]
            else:
                feed = await asyncio.shield(starting)
        feed.spectators.add(sid)
        return feed

    def leave(self, guild_id: str, sid: str) -> None:
        feed = self._feeds.get(guild_id)
        if feed is None:
            return
        feed.spectators.discard(sid)
        if not feed.spectators:
            del self._feeds[guild_id]
            if feed.task is not None:
                feed.task.cancel()

    async def close(self) -> None:
        tasks = [feed.task for feed in self._feeds.values() if feed.task is not None]
        self._feeds.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _start(self, guild_id: str) -> GuildFeed:
        ready: asyncio.Future[GuildFeed] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(self._run(guild_id, ready), name=f"feed:{guild_id}")
        try:
            feed = await asyncio.shield(ready)
        except BaseException:
            task.cancel()
            raise
        feed.task = task
        self._feeds[guild_id] = feed
        return feed

    async def _run(self, guild_id: str, ready: asyncio.Future[GuildFeed]) -> None:
        try:
            async with self._bus.subscribe(guild_id) as subscription:
                # Subscribed first, position second: every event after the position is live.
                position = await self._bus.position(guild_id)
                feed = GuildFeed(
                    guild_id,
                    position.epoch,
                    {Stream.POOL: position.pool_seq, Stream.LOGS: position.logs_seq},
                )
                ready.set_result(feed)
                await self._forward(feed, subscription)
        except Exception as error:
            if not ready.done():
                ready.set_exception(error)
            else:
                logger.exception("feed of guild %s stopped", guild_id)

    async def _forward(self, feed: GuildFeed, subscription: Subscription) -> None:
        async for event in subscription:
            try:
                if event is RESYNC:
                    await self._resync(feed)
                else:
                    await self._forward_one(feed, event)
            except Exception:
                # One bad event must not end the guild's feed for every spectator.
                logger.exception("guild %s: could not forward %.200r", feed.guild_id, event)

    async def _resync(self, feed: GuildFeed) -> None:
        """Send what was published while the bus's live connection was down."""
        try:
            position = await self._bus.position(feed.guild_id)
        except BusUnavailable as error:
            # down again: another RESYNC follows when it is back
            logger.warning("guild %s: cannot resync: %s", feed.guild_id, error)
            return
        self._adopt(feed, position.epoch)
        for stream in Stream:
            if position.seq(stream) > feed.last_seq[stream]:
                await self._fill_gap(feed, stream, feed.last_seq[stream], position.seq(stream) + 1)

    def _adopt(self, feed: GuildFeed, epoch: str) -> None:
        if epoch != feed.epoch:
            # The bus lost its history (e.g. Redis restarted empty): a new epoch begins.
            logger.warning("guild %s: epoch %s replaced by %s", feed.guild_id, feed.epoch, epoch)
            feed.epoch = epoch
            feed.last_seq = {Stream.POOL: 0, Stream.LOGS: 0}

    async def _forward_one(self, feed: GuildFeed, event: BusEvent) -> None:
        self._adopt(feed, event.epoch)
        last = feed.last_seq[event.stream]
        if event.seq <= last:
            return  # published before this feed's starting position
        if event.seq > last + 1:
            await self._fill_gap(feed, event.stream, last, event.seq)
        await self._send(feed, event)

    async def _fill_gap(self, feed: GuildFeed, stream: Stream, last: int, upto: int) -> None:
        try:
            missed = await self._bus.history(feed.guild_id, stream, after=last)
        except BusUnavailable:
            missed = None
        if missed is None:
            logger.error(
                "guild %s %s: seqs %d..%d lost from history",
                feed.guild_id,
                stream,
                last + 1,
                upto - 1,
            )
            return
        for event in missed:
            if event.seq < upto:
                await self._send(feed, event)

    async def _send(self, feed: GuildFeed, event: BusEvent) -> None:
        feed.last_seq[event.stream] = event.seq
        feed.advanced.set()
        feed.advanced = asyncio.Event()
        room = rooms.class_room(feed.guild_id, event_class(event))
        name = STREAM_EVENTS[event.stream]
        delivered = self._sender.to_room(room, name, RawJson(event.payload))
        if delivered:
            self._on_delivered(name, delivered)
