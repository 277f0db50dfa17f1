"""Live delivery of the Redis bus: the channels a process is subscribed to, and their messages.

`LiveChannels` is what the backend needs from pub/sub: subscribe (returns once Redis has
confirmed, so delivery is certain from then on), unsubscribe, and the next message of any
subscribed channel. Delivery is at most once: while a connection is down, messages are lost
and `connected` is false; after it comes back every channel is subscribed again and
`next_message` answers `RESYNC` once, which sends subscribers to the history (base.py).

`ServerChannels` is one Redis server: one pub/sub connection for the whole process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

import redis.asyncio as redis
from redis.exceptions import RedisError

from bot_bridge.bus import redis_keys as keys
from bot_bridge.bus.base import RESYNC, BusUnavailable, Resync
from bot_bridge.bus.redis_connection import TRANSIENT

logger = logging.getLogger(__name__)

CONFIRMATION_TIMEOUT = 5.0
MAX_BACKOFF = 5.0


class LiveChannels(ABC):
    connected: bool

    @abstractmethod
    async def open(self) -> None:
        """Connect if Redis is reachable; if not, keep trying from `next_message`."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def subscribe(self, channels: list[str]) -> None:
        """Return once Redis has confirmed every channel; raise `BusUnavailable` if it cannot."""

    @abstractmethod
    async def unsubscribe(self, channels: list[str]) -> None: ...

    @abstractmethod
    async def next_message(self) -> tuple[str, str] | Resync:
        """(channel, data) of the next message on a subscribed channel, or `RESYNC` once the
        connection is back after messages may have been lost."""


class ServerChannels(LiveChannels):
    def __init__(self, client: redis.Redis) -> None:
        self._pubsub = client.pubsub()
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self.connected = False

    async def open(self) -> None:
        # A control channel keeps the pub/sub connection open even with no guild subscribed,
        # so `next_message` always has a connection to read (and future node-wide commands a
        # place to arrive).
        try:
            await self._pubsub.subscribe(keys.CONTROL_CHANNEL)
        except TRANSIENT as error:
            logger.warning("redis bus unreachable at start, will retry: %s", error)
        else:
            self.connected = True

    async def close(self) -> None:
        with contextlib.suppress(*TRANSIENT, RedisError):
            await self._pubsub.aclose()

    async def subscribe(self, channels: list[str]) -> None:
        loop = asyncio.get_running_loop()
        waiting = [self._confirmations.setdefault(name, loop.create_future()) for name in channels]
        try:
            await self._pubsub.subscribe(*channels)
            # The reader resolves these on Redis's confirmation: only then is delivery certain.
            async with asyncio.timeout(CONFIRMATION_TIMEOUT):
                await asyncio.gather(*waiting)
        except (*TRANSIENT, TimeoutError) as error:
            for name in channels:
                self._confirmations.pop(name, None)
            with contextlib.suppress(*TRANSIENT):
                await self._pubsub.unsubscribe(*channels)
            raise BusUnavailable(f"cannot subscribe: {error}") from error

    async def unsubscribe(self, channels: list[str]) -> None:
        with contextlib.suppress(*TRANSIENT):
            await self._pubsub.unsubscribe(*channels)

    async def next_message(self) -> tuple[str, str] | Resync:
        backoff = 0.05
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except TRANSIENT as error:
                if self.connected:
                    logger.warning("redis bus connection lost: %s", error)
                self.connected = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                if await self._reconnect():
                    return RESYNC
                continue
            except RuntimeError:
                # No connection yet (Redis was down at start): open it.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                if await self._reconnect():
                    return RESYNC
                continue
            backoff = 0.05
            if message is None:
                continue
            kind, name = message["type"], message["channel"]
            if kind == "subscribe":
                confirmation = self._confirmations.pop(name, None)
                if confirmation is not None and not confirmation.done():
                    confirmation.set_result(None)
            elif kind == "message":
                return name, message["data"]

    async def _reconnect(self) -> bool:
        """Reopen the pub/sub connection (redis-py resubscribes every channel it knew); whether
        it is open."""
        try:
            if self._pubsub.connection is None:
                await self._pubsub.subscribe(keys.CONTROL_CHANNEL)
            else:
                await self._pubsub.ping()
        except TRANSIENT:
            return False
        if not self.connected:
            logger.info("redis bus connection restored")
        self.connected = True
        return True
