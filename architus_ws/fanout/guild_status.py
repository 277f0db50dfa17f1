"""`guild_status` (CONTRACT 2.3): the bot's status and the distinct viewers of each guild that
has spectators on this node.

One `GuildWatch` (and one task) per such guild, none per socket: it counts the node's distinct
users (a user with three sockets is one), states them to presence (bot_bridge/bus/presence.py)
when they change and before their lifetime ends, watches presence for the guild, and reads it
on every notification and every `CHECK_SECONDS` (a crashed bridge or a dead node notifies
nobody). It sends to `guild:G`, the room every spectator is in whatever its log access:

- to each new spectator alone, once, after its spectate ack: `joined` runs inside the handler,
  before the ack goes out, and only wakes the guild's task, which runs in a later step of the
  event loop (python-socketio sends the ack in the same step the handler returns);
- to the room, on every change: at once for the bot's status, at most once per
  `VIEWERS_INTERVAL` for the viewer count alone (the latest count when the interval ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from architus_sdk.wire import GuildStatus, ServerEvent
from architus_ws.fanout import rooms
from architus_ws.fanout.sender import Sender
from bot_bridge.bus import BusUnavailable, GuildPresence, Presence, PresenceTimings

logger = logging.getLogger(__name__)

CHECK_SECONDS = 2.0
VIEWERS_INTERVAL = 1.0
EVENT = ServerEvent.GUILD_STATUS.value


@dataclass(eq=False)
class GuildWatch:
    guild_id: str
    users: Counter[str] = field(default_factory=Counter)  # user -> spectating sockets here
    welcome: set[str] = field(default_factory=set)  # sids owed their first guild_status
    stated_at: float | None = None  # monotonic time of the last statement to presence
    dirty: bool = True  # users changed since the last statement
    sent: GuildPresence | None = None  # what the room was last sent
    latest: GuildPresence | None = None  # what presence last answered
    viewers_sent_at: float = float("-inf")
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    ending: bool = False
    task: asyncio.Task[None] | None = None


class GuildStatuses:
    def __init__(
        self,
        presence: Presence,
        sender: Sender,
        on_delivered: Callable[[str, int], None],
        timings: PresenceTimings | None = None,
    ) -> None:
        self.node_id = uuid.uuid4().hex
        self._presence = presence
        self._sender = sender
        self._on_delivered = on_delivered
        self._timings = timings or PresenceTimings.from_env()
        self._guilds: dict[str, GuildWatch] = {}
        # watch and unwatch of one guild must reach presence in the order they were decided
        self._watching = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None

    def viewers_here(self) -> dict[str, int]:
        """Distinct users spectating each guild on this node."""
        return {guild_id: len(watch.users) for guild_id, watch in self._guilds.items()}

    async def start(self) -> None:
        await self._presence.connect()
        self._listener = asyncio.create_task(self._listen(), name="guild-status-listener")

    async def stop(self) -> None:
        guild_ids = list(self._guilds)
        tasks = [watch.task for watch in self._guilds.values() if watch.task is not None]
        if self._listener is not None:
            tasks.append(self._listener)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # this node's viewers stop counting now, not when their lifetime ends
        for guild_id in guild_ids:
            with contextlib.suppress(BusUnavailable):
                await self._state(guild_id, [], changed=True)
        self._guilds.clear()
        await self._presence.disconnect()

    def joined(self, guild_id: str, sid: str, user_id: str) -> None:
        """A socket entered the guild's rooms (its ack is about to go out)."""
        watch = self._guilds.get(guild_id)
        if watch is None or watch.ending:
            watch = self._guilds[guild_id] = GuildWatch(guild_id)
            watch.task = asyncio.create_task(self._run(watch), name=f"guild-status:{guild_id}")
        watch.users[user_id] += 1
        watch.dirty = watch.dirty or watch.users[user_id] == 1
        watch.welcome.add(sid)
        watch.wake.set()

    def left(self, guild_id: str, sid: str, user_id: str) -> None:
        """A socket left the guild's rooms."""
        watch = self._guilds.get(guild_id)
        if watch is None or watch.ending or watch.users[user_id] == 0:
            return
        watch.welcome.discard(sid)
        watch.users[user_id] -= 1
        if watch.users[user_id] == 0:
            del watch.users[user_id]
            watch.dirty = True
            watch.wake.set()

    async def _listen(self) -> None:
        while True:
            guild_id = await self._presence.next_change()
            watch = self._guilds.get(guild_id)
            if watch is not None:
                watch.wake.set()

    async def _run(self, watch: GuildWatch) -> None:
        guild_id = watch.guild_id
        watching = False
        try:
            while True:
                watch.wake.clear()
                try:
                    if not watching:
                        async with self._watching:
                            await self._presence.watch(guild_id)
                        watching = True
                    await self._step(watch)
                except BusUnavailable as error:
                    logger.warning("guild %s: presence unavailable: %s", guild_id, error)
                if not watch.users and not watch.dirty:
                    watch.ending = True  # no await since the check: `joined` starts afresh
                    break
                await self._sleep(watch)
        except Exception:
            logger.exception("guild %s: guild_status stopped", guild_id)
        finally:
            if self._guilds.get(guild_id) is watch:
                del self._guilds[guild_id]
            async with self._watching:
                if guild_id not in self._guilds:
                    with contextlib.suppress(BusUnavailable):
                        await self._presence.unwatch(guild_id)

    async def _sleep(self, watch: GuildWatch) -> None:
        timeout = CHECK_SECONDS
        if watch.sent is not None and watch.latest is not None and watch.latest != watch.sent:
            # a viewer count is waiting for its interval to end
            timeout = max(0.0, watch.viewers_sent_at + VIEWERS_INTERVAL - time.monotonic())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await watch.wake.wait()

    async def _step(self, watch: GuildWatch) -> None:
        now = time.monotonic()
        renewal_due = watch.stated_at is None or (
            now - watch.stated_at >= self._timings.viewers_renewal
        )
        if watch.dirty or (watch.users and renewal_due):
            changed, watch.dirty = watch.dirty, False
            try:
                await self._state(watch.guild_id, list(watch.users), changed)
            except BusUnavailable:
                watch.dirty = True
                raise
            watch.stated_at = now
        if watch.users:
            self._send(watch, await self._presence.read(watch.guild_id))

    def _send(self, watch: GuildWatch, state: GuildPresence) -> None:
        watch.latest = state
        payload = GuildStatus(
            guild_id=watch.guild_id,
            bot="online" if state.online else "offline",
            since=state.since,
            viewers=state.viewers,
        ).model_dump(mode="json")
        now, sent = time.monotonic(), watch.sent
        if sent is None:
            watch.sent = state  # the room holds only sockets about to be welcomed
        elif (sent.online, sent.since) != (state.online, state.since) or (
            sent.viewers != state.viewers and now >= watch.viewers_sent_at + VIEWERS_INTERVAL
        ):
            delivered = self._sender.to_room(rooms.guild_room(watch.guild_id), EVENT, payload)
            if delivered:
                self._on_delivered(EVENT, delivered)
            if sent.viewers != state.viewers:
                watch.viewers_sent_at = now
            watch.sent = state
            watch.welcome.clear()  # they were in the room
        welcome, watch.welcome = watch.welcome, set()
        for sid in welcome:
            if self._sender.to_socket(sid, EVENT, payload):
                self._on_delivered(EVENT, 1)

    async def _state(self, guild_id: str, users: list[str], changed: bool) -> None:
        await self._presence.state_viewers(
            self.node_id, guild_id, users, self._timings.viewers_ttl, changed
        )
