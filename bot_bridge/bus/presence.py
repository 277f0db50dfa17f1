"""Presence: who is there for a guild. Two facts per guild, beside the bus and on the same URL.

Bot status
----------

A bridge process (`architus-bridge run` or `simulate`, named by a `bridge_id` of its own)
*announces* each guild it serves, with a lifetime (`ttl`), and announces it again before the
lifetime runs out (`Announcer` does both). The guild is **online** while at least one bridge's
announcement is alive, **offline** otherwise. Guarantees:

- **Clean stop.** `withdraw` ends the bridge's announcement at once; if no other bridge serves
  the guild it is offline from that moment and watchers are notified.
- **Crash.** An announcement nobody renews ends when its lifetime does: the guild reads offline
  from then on, with `since` the moment it ran out. Nothing notifies a crash, so watchers must
  also `read` periodically (the first read after the lifetime settles it and notifies).
- **since** is when the current status began; it outlives the announcements (offline stays
  offline *since* the stop, for good). `None` when no bridge ever served the guild.
- Times are the backend's clock (Redis `TIME`), so bridges and gateways never compare their own.

Viewers
-------

Each gateway node (`node_id`) states the distinct users (`sub`) spectating a guild on it, with
a lifetime, and states them again while they last (on change, and periodically). `read` counts
the distinct users over every node whose statement is alive: a user on two nodes counts once,
and a node that dies stops being counted when its lifetime ends. User identities stay in the
backend: only the count ever leaves it.

Watching
--------

`watch(guild)` makes `next_change()` return the guild's id after a change that someone wrote
(announce or withdraw that changed the status, a node's changed viewers, a read that settled an
expiry). Notifications carry no state and may be lost or coalesced (at most once, like the
bus's live delivery): a watcher reacts by reading, and reads periodically anyway.

Backends: `presence_memory` (one process: every presence on one `memory://` URL shares one
hub, so an embedded simulator and the gateway see each other) and `presence_redis` (one Redis
server or a Redis Cluster: a guild's keys and channel share its hash tag). `factory.presence_for`
picks one by the URL's scheme. Failures to reach Redis raise `BusUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot_bridge.bus.base import BusUnavailable

logger = logging.getLogger(__name__)

BOT_TTL = 10.0
VIEWERS_TTL = 20.0


@dataclass(frozen=True, slots=True)
class GuildPresence:
    """What `read` answers: the bot's status, since when, and the distinct viewers."""

    online: bool
    since: datetime | None
    viewers: int


@dataclass(frozen=True, slots=True)
class PresenceTimings:
    """Lifetimes, in seconds. A crashed bridge reads offline at most `bot_ttl` after its last
    renewal (renewed every third of it); a dead node's viewers stop counting at most
    `viewers_ttl` after its last statement (restated every quarter of it)."""

    bot_ttl: float = BOT_TTL
    viewers_ttl: float = VIEWERS_TTL

    @property
    def bot_renewal(self) -> float:
        return self.bot_ttl / 3

    @property
    def viewers_renewal(self) -> float:
        return self.viewers_ttl / 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PresenceTimings:
        """`ARCHITUS_BOT_STATUS_TTL_SECONDS` (default 10) and `ARCHITUS_VIEWERS_TTL_SECONDS`
        (default 20)."""
        env = os.environ if environ is None else environ
        timings = cls(
            bot_ttl=float(env.get("ARCHITUS_BOT_STATUS_TTL_SECONDS", BOT_TTL)),
            viewers_ttl=float(env.get("ARCHITUS_VIEWERS_TTL_SECONDS", VIEWERS_TTL)),
        )
        if timings.bot_ttl <= 0 or timings.viewers_ttl <= 0:
            raise ValueError("presence lifetimes must be positive")
        return timings


class Presence(ABC):
    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def disconnect(self) -> None: ...

    # the bridge side

    @abstractmethod
    async def announce(self, bridge_id: str, guild_ids: Collection[str], ttl: float) -> None:
        """This bridge serves these guilds for `ttl` seconds more."""

    @abstractmethod
    async def withdraw(self, bridge_id: str, guild_ids: Collection[str]) -> None:
        """This bridge no longer serves these guilds (a clean stop)."""

    # the gateway side

    @abstractmethod
    async def state_viewers(
        self, node_id: str, guild_id: str, users: Collection[str], ttl: float, changed: bool
    ) -> None:
        """The users spectating the guild on this node, alive for `ttl` seconds (none: the
        node's statement is removed). `changed` notifies the guild's watchers."""

    @abstractmethod
    async def read(self, guild_id: str) -> GuildPresence: ...

    @abstractmethod
    async def watch(self, guild_id: str) -> None: ...

    @abstractmethod
    async def unwatch(self, guild_id: str) -> None: ...

    @abstractmethod
    async def next_change(self) -> str:
        """The id of a watched guild that changed."""


class Announcer:
    """A bridge's announcements: the guilds it serves, renewed while it runs, withdrawn when it
    stops. One renewal task per bridge process, whatever the number of guilds."""

    def __init__(self, presence: Presence, timings: PresenceTimings | None = None) -> None:
        self.bridge_id = uuid.uuid4().hex
        self._presence = presence
        self._timings = timings or PresenceTimings.from_env()
        self._served: set[str] = set()
        self._renewal: asyncio.Task[None] | None = None

    @property
    def served(self) -> frozenset[str]:
        return frozenset(self._served)

    async def serve(self, guild_ids: Collection[str]) -> None:
        self._served.update(guild_ids)
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.create_task(self._renew(), name="presence-renewal")
        await self._announce(guild_ids)

    async def withdraw(self, guild_ids: Collection[str]) -> None:
        self._served.difference_update(guild_ids)
        try:
            await self._presence.withdraw(self.bridge_id, list(guild_ids))
        except BusUnavailable as error:
            # the announcement still ends by itself when its lifetime does
            logger.warning("could not withdraw %d guild(s): %s", len(guild_ids), error)

    async def close(self) -> None:
        """Stop renewing and withdraw every served guild."""
        if self._renewal is not None:
            self._renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewal
        await self.withdraw(list(self._served))

    async def _announce(self, guild_ids: Collection[str]) -> None:
        try:
            await self._presence.announce(self.bridge_id, list(guild_ids), self._timings.bot_ttl)
        except BusUnavailable as error:
            logger.warning("could not announce %d guild(s): %s", len(guild_ids), error)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._timings.bot_renewal)
            if self._served:
                await self._announce(list(self._served))
