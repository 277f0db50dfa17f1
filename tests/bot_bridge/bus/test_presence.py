"""The presence contract (bot_bridge/bus/presence.py) on every backend: memory, one Redis and a
Redis Cluster. Writers and readers are separate instances on one URL, as a bridge and a
gateway are."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot_bridge.bus import Announcer, GuildPresence, Presence, PresenceTimings, presence_for

GUILD = "310000000000000001"
OTHER = "310000000000000002"


@pytest.fixture
async def opened(bus_url: str) -> AsyncIterator[Callable[[], Awaitable[Presence]]]:
    made: list[Presence] = []

    async def open_one() -> Presence:
        presence = presence_for(bus_url)
        await presence.connect()
        made.append(presence)
        return presence

    yield open_one
    for presence in made:
        await presence.disconnect()


class Changes:
    """The guild ids a watching presence reports, as they come."""

    def __init__(self, presence: Presence) -> None:
        self.seen: list[str] = []
        self._task = asyncio.create_task(self._collect(presence))

    async def _collect(self, presence: Presence) -> None:
        while True:
            self.seen.append(await presence.next_change())

    async def wait(self, count: int, timeout: float = 3) -> None:
        async with asyncio.timeout(timeout):
            while len(self.seen) < count:
                await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@contextlib.asynccontextmanager
async def watching(presence: Presence, *guilds: str) -> AsyncIterator[Changes]:
    changes = Changes(presence)  # reading first: a Redis subscribe waits for its confirmation
    for guild in guilds:
        await presence.watch(guild)
    try:
        yield changes
    finally:
        await changes.close()


async def read_until(
    presence: Presence, check: Callable[[GuildPresence], bool], timeout: float
) -> GuildPresence:
    async with asyncio.timeout(timeout):
        while not check(state := await presence.read(GUILD)):
            await asyncio.sleep(0.05)
    return state


def near(moment: datetime | None, to: datetime, within: float = 2.0) -> bool:
    return moment is not None and abs(moment - to) < timedelta(seconds=within)


async def test_a_guild_never_served_is_offline_since_never(
    opened: Callable[[], Awaitable[Presence]],
) -> None:
    gateway = await opened()
    assert await gateway.read(GUILD) == GuildPresence(online=False, since=None, viewers=0)


async def test_announce_and_withdraw_notify_and_set_since(
    opened: Callable[[], Awaitable[Presence]],
) -> None:
    bridge, gateway = await opened(), await opened()
    async with watching(gateway, GUILD) as changes:
        await bridge.announce("bridge-1", [GUILD], ttl=30)
        await changes.wait(1)
        online = await gateway.read(GUILD)
        assert online.online
        assert near(online.since, datetime.now(UTC))
        # renewing changes nothing, and tells nobody
        await bridge.announce("bridge-1", [GUILD], ttl=30)
        assert (await gateway.read(GUILD)).since == online.since
        await bridge.withdraw("bridge-1", [GUILD])
        await changes.wait(2)
        offline = await gateway.read(GUILD)
        assert not offline.online
        assert offline.since is not None
        assert online.since is not None
        assert offline.since >= online.since
        assert changes.seen == [GUILD, GUILD]
    assert not (await gateway.read(OTHER)).online


async def test_a_guild_stays_online_while_any_bridge_serves_it(
    opened: Callable[[], Awaitable[Presence]],
) -> None:
    bridge, gateway = await opened(), await opened()
    await bridge.announce("bridge-1", [GUILD, OTHER], ttl=30)
    await bridge.announce("bridge-2", [GUILD], ttl=30)
    await bridge.withdraw("bridge-1", [GUILD, OTHER])
    assert (await gateway.read(GUILD)).online
    assert not (await gateway.read(OTHER)).online
    await bridge.withdraw("bridge-2", [GUILD])
    assert not (await gateway.read(GUILD)).online


async def test_an_announcement_nobody_renews_ends_offline_since_its_end(
    opened: Callable[[], Awaitable[Presence]],
) -> None:
    bridge, gateway = await opened(), await opened()
    ttl = 0.5
    announced = datetime.now(UTC)
    await bridge.announce("crashed", [GUILD], ttl=ttl)
    assert (await gateway.read(GUILD)).online
    offline = await read_until(gateway, lambda state: not state.online, timeout=5)
    # since is when the announcement ran out, not when someone happened to read
    assert near(offline.since, announced + timedelta(seconds=ttl), within=0.4)
    # a bridge that comes back is online since its return
    await bridge.announce("restarted", [GUILD], ttl=30)
    back = await gateway.read(GUILD)
    assert back.online
    assert back.since is not None
    assert offline.since is not None
    assert back.since > offline.since


async def test_the_read_that_settles_an_expiry_notifies_the_watchers(
    opened: Callable[[], Awaitable[Presence]],
) -> None:
    bridge, reader, watcher = await opened(), await opened(), await opened()
    await bridge.announce("crashed", [GUILD], ttl=0.3)
    async with watching(watcher, GUILD) as changes:
        await read_until(reader, lambda state: not state.online, timeout=5)
        await changes.wait(1)


async def test_an_announcer_keeps_its_guilds_online_and_withdraws_them_on_close(
    opened: Callable[[], Awaitable[Presence]],
) -> None:
    bridge, gateway = await opened(), await opened()
    announcer = Announcer(bridge, PresenceTimings(bot_ttl=0.6))
    await announcer.serve([GUILD])
    since = (await gateway.read(GUILD)).since
    # through several lifetimes, renewed: online, and since the first announcement
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        state = await gateway.read(GUILD)
        assert state.online
        assert state.since == since
        await asyncio.sleep(0.1)
    await announcer.close()
    assert not (await gateway.read(GUILD)).online


async def test_viewers_are_distinct_users_over_every_node(
    opened: Callable[[], Awaitable[Presence]],
) -> None:
    node_a, node_b, gateway = await opened(), await opened(), await opened()
    async with watching(gateway, GUILD) as changes:
        await node_a.state_viewers("node-a", GUILD, {"u1", "u2"}, ttl=30, changed=True)
        await node_b.state_viewers("node-b", GUILD, {"u2", "u3"}, ttl=30, changed=True)
        await changes.wait(2)
        assert (await gateway.read(GUILD)).viewers == 3
        # a restatement that changed nothing tells nobody
        await node_a.state_viewers("node-a", GUILD, {"u1", "u2"}, ttl=30, changed=False)
        await node_a.state_viewers("node-a", GUILD, set(), ttl=30, changed=True)
        await changes.wait(3)
        assert (await gateway.read(GUILD)).viewers == 2
        assert changes.seen == [GUILD] * 3
    assert (await gateway.read(OTHER)).viewers == 0


async def test_a_dead_nodes_viewers_stop_counting_when_its_statement_ends(
    opened: Callable[[], Awaitable[Presence]],
) -> None:
    alive, dead, gateway = await opened(), await opened(), await opened()
    await alive.state_viewers("alive", GUILD, {"u1"}, ttl=30, changed=True)
    await dead.state_viewers("dead", GUILD, {"u2", "u3"}, ttl=0.4, changed=True)
    assert (await gateway.read(GUILD)).viewers == 3
    state = await read_until(gateway, lambda state: state.viewers == 1, timeout=5)
    assert state.viewers == 1
