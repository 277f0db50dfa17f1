"""Live delivery on a Redis Cluster: sharded pub/sub (Redis 7 `SSUBSCRIBE` / `SPUBLISH`).

Plain PUBLISH on a cluster is copied to every shard, so every shard's CPU and network carry
every guild's events; a sharded channel lives on the shard that owns its slot. Every channel
of a guild has the guild's hash tag, so a guild's channels share one slot, one shard and one
connection here: the order of a guild's messages is the order Redis sent them.

One pub/sub connection per master that owns a subscribed guild, each with its own reader task,
all feeding one queue. When a shard's connection is lost (failover, restart) or Redis moves a
slot away (it then sends `sunsubscribe` for the slot's channels), the slot map is read again
and the channels are subscribed on their current owner, with backoff, until it works;
`connected` is false meanwhile, and `RESYNC` follows in the messages once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from bot_bridge.bus.base import RESYNC, BusUnavailable, Resync
from bot_bridge.bus.redis_channels import CONFIRMATION_TIMEOUT, MAX_BACKOFF, LiveChannels
from bot_bridge.bus.redis_connection import TRANSIENT

logger = logging.getLogger(__name__)


class _Shard:
    """The sharded pub/sub connection to one master, and the task reading it."""

    def __init__(self, name: str, pubsub: PubSub) -> None:
        self.name = name
        self.pubsub = pubsub
        self.reader: asyncio.Task[None] | None = None


class ShardedChannels(LiveChannels):
    def __init__(self, cluster: RedisCluster) -> None:
        self._cluster = cluster
        self._shards: dict[str, _Shard] = {}
        self._owner: dict[str, str] = {}  # channel -> name of the shard it is subscribed on
        self._wanted: set[str] = set()
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._messages: asyncio.Queue[tuple[str, str] | Resync] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._repair: asyncio.Task[None] | None = None
        self.connected = False

    async def open(self) -> None:
        try:
            await self._cluster.initialize()
        except TRANSIENT as error:
            logger.warning("redis cluster unreachable at start, will retry: %s", error)
            self._start_repair()
        else:
            self.connected = True

    async def close(self) -> None:
        tasks = [shard.reader for shard in self._shards.values() if shard.reader is not None]
        if self._repair is not None:
            tasks.append(self._repair)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for shard in self._shards.values():
            with contextlib.suppress(*TRANSIENT, RedisError):
                await shard.pubsub.aclose()
        self._shards.clear()

    async def subscribe(self, channels: list[str]) -> None:
        self._wanted.update(channels)
        try:
            async with self._lock:
                await self._subscribe_on_owner(channels)
        except (*TRANSIENT, TimeoutError) as error:
            self._wanted.difference_update(channels)
            await self.unsubscribe(channels)
            raise BusUnavailable(f"cannot subscribe: {error}") from error

    async def unsubscribe(self, channels: list[str]) -> None:
        self._wanted.difference_update(channels)
        async with self._lock:
            for name in channels:
                shard = self._shards.get(self._owner.pop(name, ""))
                if shard is not None:
                    with contextlib.suppress(*TRANSIENT):
                        await shard.pubsub.sunsubscribe(name)

    async def next_message(self) -> tuple[str, str] | Resync:
        return await self._messages.get()

    async def _subscribe_on_owner(self, channels: list[str]) -> None:
        """SSUBSCRIBE each channel on the master owning its slot; wait for the confirmations."""
        await self._cluster.initialize()
        loop = asyncio.get_running_loop()
        by_shard: dict[str, list[str]] = {}
        for name in channels:
            node = self._cluster.get_node_from_key(name)
            if node is None:
                raise BusUnavailable(f"no node owns the slot of {name}")
            shard = self._shards.get(node.name)
            if shard is None:
                pool = redis.ConnectionPool(
                    connection_class=node.connection_class, **node.connection_kwargs
                )
                shard = _Shard(node.name, redis.Redis(connection_pool=pool).pubsub())
                self._shards[node.name] = shard
            by_shard.setdefault(shard.name, []).append(name)
        waiting: list[asyncio.Future[None]] = []
        for shard_name, names in by_shard.items():
            shard = self._shards[shard_name]
            waiting += [self._confirmations.setdefault(n, loop.create_future()) for n in names]
            try:
                await shard.pubsub.ssubscribe(*names)
            except BaseException:
                for name in names:
                    self._confirmations.pop(name, None)
                raise
            for name in names:
                self._owner[name] = shard.name
            if shard.reader is None:
                shard.reader = asyncio.create_task(self._read(shard), name=f"bus-{shard.name}")
        try:
            async with asyncio.timeout(CONFIRMATION_TIMEOUT):
                await asyncio.gather(*waiting)
        finally:
            for name in channels:
                self._confirmations.pop(name, None)

    async def _read(self, shard: _Shard) -> None:
        try:
            while True:
                message = await shard.pubsub.get_message(timeout=None)
                if message is None:
                    continue
                kind, name = message["type"], message["channel"]
                if kind == "smessage":
                    self._messages.put_nowait((name, message["data"]))
                elif kind == "ssubscribe":
                    confirmation = self._confirmations.get(name)
                    if confirmation is not None and not confirmation.done():
                        confirmation.set_result(None)
                elif kind == "sunsubscribe" and name in self._wanted:
                    # Redis moved the slot away: subscribe again where it now lives
                    logger.info("redis cluster moved %s; subscribing on its new owner", name)
                    self._owner.pop(name, None)
                    self._start_repair()
        except TRANSIENT as error:
            logger.warning("redis cluster shard %s lost: %s", shard.name, error)
            self.connected = False
            self._shards.pop(shard.name, None)
            for name, owner in list(self._owner.items()):
                if owner == shard.name:
                    del self._owner[name]
            self._start_repair()
            # the connection is already failing: closing it is best effort
            with contextlib.suppress(*TRANSIENT, RedisError):
                await shard.pubsub.aclose()

    def _start_repair(self) -> None:
        if self._repair is None or self._repair.done():
            self._repair = asyncio.create_task(self._resubscribe(), name="bus-cluster-repair")

    async def _resubscribe(self) -> None:
        """Until every wanted channel is subscribed on its owner: reread the slots, subscribe."""
        backoff = 0.05
        while True:
            await asyncio.sleep(backoff)
            missing = sorted(self._wanted - self._owner.keys())
            try:
                async with self._lock:
                    # the layout changed (or was never read): read it again
                    await self._cluster.nodes_manager.initialize()
                    if missing:
                        await self._subscribe_on_owner(missing)
            except (*TRANSIENT, TimeoutError, BusUnavailable) as error:
                logger.debug("redis cluster not back yet: %s", error)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if not self.connected:
                logger.info("redis cluster live connections restored")
            self.connected = True
            # a shard was lost or a slot moved: messages may have been lost meanwhile
            self._messages.put_nowait(RESYNC)
            return
