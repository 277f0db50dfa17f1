"""guild_status on a real gateway (memory bus) with real Socket.IO clients: the push after the
spectate ack, distinct viewers, at most one viewer push a second, the bot's status from a
bridge's announcer on the same bus."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from architus_sdk.wire import GuildStatus, Permission
from bot_bridge.bus import Announcer, PresenceTimings, presence_for
from tests.conftest import Client, ClientFactory, RunningGateway, token
from tests.raw_socket import RawSocket

GUILD = "640000000000000001"
OTHER = "640000000000000002"
# no log access at all: guild_status needs nothing beyond the spectate
PERMS = int(Permission.VIEW_SETTINGS)


def statuses(client: Client) -> list[GuildStatus]:
    return [GuildStatus.model_validate(p) for p in client.received("guild_status")]


async def spectator(gateway: RunningGateway, connect: ClientFactory, user: str) -> Client:
    client = await connect(gateway.url, auth={"token": token(user, {GUILD: PERMS, OTHER: PERMS})})
    ack = await client.call("spectate", {"guild_id": GUILD})
    assert ack["ok"], ack
    await client.wait_for(lambda c: len(statuses(c)) == 1)
    return client


class Timed:
    """When each guild_status of a client arrived (monotonic)."""

    def __init__(self, client: Client) -> None:
        self.arrivals: list[tuple[float, int]] = []
        client.sio.on("guild_status", self._record)
        self._client = client

    def _record(self, data: dict[str, Any]) -> None:
        self._client.statuses.append(data)
        self.arrivals.append((time.monotonic(), data["viewers"]))


async def test_the_status_follows_the_spectate_ack_on_the_same_socket(
    gateway: RunningGateway,
) -> None:
    socket = await RawSocket.open(gateway.url, {"token": token("1", {GUILD: PERMS})})
    try:
        await socket.send(f'421["spectate",{{"guild_id":"{GUILD}"}}]')
        first, second = await socket.next_packet(), await socket.next_packet()
    finally:
        await socket.close()
    assert first is not None
    assert first.startswith("431["), first
    assert json.loads(first[3:])[0]["ok"]
    assert second is not None
    assert second.startswith("42["), second
    name, payload = json.loads(second[2:])
    assert name == "guild_status"
    assert payload == {"guild_id": GUILD, "bot": "offline", "since": None, "viewers": 1}


async def test_viewers_count_distinct_users_pushed_at_most_once_a_second(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    first = await connect(gateway.url, auth={"token": token("1", {GUILD: PERMS})})
    timed = Timed(first)
    assert (await first.call("spectate", {"guild_id": GUILD}))["ok"]
    await first.wait_for(lambda c: len(statuses(c)) == 1)
    assert statuses(first)[0].viewers == 1

    second = await spectator(gateway, connect, "2")
    assert statuses(second)[0].viewers == 2
    await first.wait_for(lambda c: [s.viewers for s in statuses(c)] == [1, 2])
    # the same user on another socket is not another viewer
    again = await spectator(gateway, connect, "2")
    assert statuses(again)[0].viewers == 2
    # a third user right away: the room hears of it once the second's interval is over
    third = await spectator(gateway, connect, "3")
    assert statuses(third)[0].viewers == 3
    await first.wait_for(lambda c: [s.viewers for s in statuses(c)] == [1, 2, 3])
    (at_two, _), (at_three, _) = timed.arrivals[1], timed.arrivals[2]
    assert at_three - at_two >= 0.9

    # one of user 2's sockets leaves: still 3; the other leaves, and user 3 goes elsewhere: 1
    await again.sio.disconnect()
    await second.sio.disconnect()
    assert (await third.call("spectate", {"guild_id": OTHER}))["ok"]
    await first.wait_for(lambda c: statuses(c)[-1].viewers == 1, timeout=5)
    assert [s.viewers for s in statuses(first)][:3] == [1, 2, 3]
    assert statuses(third)[-1].guild_id == OTHER
    assert all(s.viewers in (1, 2, 3) and s.bot == "offline" for s in statuses(first))


async def test_the_bot_status_reaches_every_spectator_at_once(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    watcher = await spectator(gateway, connect, "1")
    assert (statuses(watcher)[0].bot, statuses(watcher)[0].since) == ("offline", None)
    bridge = presence_for(gateway.gateway.bus.url)  # the same memory hub as the gateway's
    await bridge.connect()
    announcer = Announcer(bridge, PresenceTimings(bot_ttl=30))
    try:
        started = datetime.now(UTC)
        await announcer.serve([GUILD])
        await watcher.wait_for(lambda c: statuses(c)[-1].bot == "online", timeout=2)
        online = statuses(watcher)[-1]
        assert online.since is not None
        assert abs(online.since - started) < timedelta(seconds=2)
        # a newcomer is told at once too
        late = await spectator(gateway, connect, "2")
        assert statuses(late)[0].bot == "online"
        assert statuses(late)[0].since == online.since
        await announcer.close()
        await watcher.wait_for(lambda c: statuses(c)[-1].bot == "offline", timeout=2)
        offline = statuses(watcher)[-1]
        assert offline.since is not None
        assert offline.since >= online.since
    finally:
        await announcer.close()
        await bridge.disconnect()


async def test_no_status_for_a_failed_spectate_or_to_other_guilds(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    outsider = await connect(gateway.url, auth={"token": token("9", {OTHER: PERMS})})
    refused = await outsider.call("spectate", {"guild_id": GUILD})
    assert refused["error"]["reason"] == "forbidden"
    assert (await outsider.call("spectate", {"guild_id": OTHER}))["ok"]
    await outsider.wait_for(lambda c: len(statuses(c)) == 1)
    await spectator(gateway, connect, "1")
    await spectator(gateway, connect, "2")
    assert [(s.guild_id, s.viewers) for s in statuses(outsider)] == [(OTHER, 1)]
