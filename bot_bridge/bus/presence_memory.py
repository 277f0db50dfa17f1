"""`memory://` presence: one process. Every presence opened on the same URL shares one hub (as
the memory bus does), so a simulator embedded in the gateway's process is seen by it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot_bridge.bus.presence import GuildPresence, Presence


@dataclass
class _GuildPresence:
    bridges: dict[str, float] = field(default_factory=dict)  # bridge id -> expires (epoch s)
    online: bool = False
    since: float | None = None
    viewers: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)  # by node

    def settle(self, now: float) -> bool:
        """Drop ended announcements; True if that took the guild offline (a crash)."""
        expired = [ends for ends in self.bridges.values() if ends <= now]
        if expired:
            self.bridges = {bridge: ends for bridge, ends in self.bridges.items() if ends > now}
        if self.online and not self.bridges:
            self.online, self.since = False, max(expired, default=now)
            return True
        return False

    def settle_viewers(self, now: float) -> bool:
        alive = {node: stated for node, stated in self.viewers.items() if stated[0] > now}
        dropped = len(alive) != len(self.viewers)
        self.viewers = alive
        return dropped


class PresenceHub:
    def __init__(self) -> None:
        self.guilds: dict[str, _GuildPresence] = {}
        self.watchers: dict[str, set[MemoryPresence]] = {}

    def guild(self, guild_id: str) -> _GuildPresence:
        state = self.guilds.get(guild_id)
        if state is None:
            state = self.guilds[guild_id] = _GuildPresence()
        return state

    def notify(self, guild_id: str) -> None:
        for watcher in self.watchers.get(guild_id, ()):
            watcher._changes.put_nowait(guild_id)


_hubs: dict[str, PresenceHub] = {}


def presence_hub(url: str) -> PresenceHub:
    return _hubs.setdefault(url, PresenceHub())


class MemoryPresence(Presence):
    def __init__(self, url: str) -> None:
        self._hub = presence_hub(url)
        self._changes: asyncio.Queue[str] = asyncio.Queue()

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        for watchers in self._hub.watchers.values():
            watchers.discard(self)

    async def announce(self, bridge_id: str, guild_ids: Collection[str], ttl: float) -> None:
        now = time.time()
        for guild_id in guild_ids:
            guild = self._hub.guild(guild_id)
            changed = guild.settle(now)
            guild.bridges[bridge_id] = now + ttl
            if not guild.online:
                guild.online, guild.since, changed = True, now, True
            if changed:
                self._hub.notify(guild_id)

    async def withdraw(self, bridge_id: str, guild_ids: Collection[str]) -> None:
        now = time.time()
        for guild_id in guild_ids:
            guild = self._hub.guild(guild_id)
            changed = guild.settle(now)
            guild.bridges.pop(bridge_id, None)
            if guild.online and not guild.bridges:
                guild.online, guild.since, changed = False, now, True
            if changed:
                self._hub.notify(guild_id)

    async def state_viewers(
        self, node_id: str, guild_id: str, users: Collection[str], ttl: float, changed: bool
    ) -> None:
        viewers = self._hub.guild(guild_id).viewers
        if users:
            viewers[node_id] = (time.time() + ttl, frozenset(users))
        else:
            viewers.pop(node_id, None)
        if changed:
            self._hub.notify(guild_id)

    async def read(self, guild_id: str) -> GuildPresence:
        now = time.time()
        guild = self._hub.guild(guild_id)
        if guild.settle(now) | guild.settle_viewers(now):
            self._hub.notify(guild_id)
        users: set[str] = set()
        for _, stated in guild.viewers.values():
            users |= stated
        since = None if guild.since is None else datetime.fromtimestamp(guild.since, UTC)
        return GuildPresence(guild.online, since, len(users))

    async def watch(self, guild_id: str) -> None:
        self._hub.watchers.setdefault(guild_id, set()).add(self)

    async def unwatch(self, guild_id: str) -> None:
        watchers = self._hub.watchers.get(guild_id)
        if watchers is not None:
            watchers.discard(self)
            if not watchers:
                del self._hub.watchers[guild_id]

    async def next_change(self) -> str:
        return await self._changes.get()
