"""Two gateway nodes on one Redis: the same events in the same order, and each node
subscribed only to the guilds its own sockets spectate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot_bridge.bus import Bus, Stream
from bot_bridge.bus import redis_keys as keys
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild, run_simulation
from tests.architus_ws.requests.test_spectate import ALL
from tests.conftest import (
    ClientFactory,
    RunningGateway,
    gateway_nodes,
    token,
)

GUILD_A = "600000000000000001"
GUILD_B = "600000000000000002"


@pytest.fixture
async def nodes(redis_url: str) -> AsyncIterator[list[RunningGateway]]:
    async with gateway_nodes(redis_url) as running:
        yield running


async def subscribers(client: redis.Redis, guild_id: str) -> int:
    counts = await client.pubsub_numsub(keys.channel(guild_id, Stream.POOL))
    return int(counts[0][1])


async def test_clients_on_both_nodes_receive_the_same_events_in_order(
    nodes: list[RunningGateway], connect: ClientFactory, redis_url: str
) -> None:
    perms = {GUILD_A: ALL}
    clients = [
        await connect(node.url, auth={"token": token(guilds=perms)})
        for node in nodes
        for _ in range(3)
    ]
    for client in clients:
        assert (await client.call("spectate", {"guild_id": GUILD_A, "include_logs": True}))["ok"]
    bus = Bus(redis_url)
    await bus.connect()
    try:
        guild = SimulatedGuild(GUILD_A)
        guild.seed(20)
        await run_simulation(guild, Publisher(bus), events=200, rate=0)
    finally:
        await bus.disconnect()
    for client in clients:
        await client.wait_for(lambda c: len(c.pushes) == 200)
    reference = [(name, data["seq"], data["guild_id"]) for name, data in clients[0].pushes]
    for client in clients[1:]:
        assert [(name, data["seq"], data["guild_id"]) for name, data in client.pushes] == reference
    assert [seq for name, seq, _ in reference if name == "log_pool"] == list(range(1, 101))
    assert [seq for name, seq, _ in reference if name == "log_other"] == list(range(1, 101))


async def test_a_node_subscribes_only_to_guilds_it_has_spectators_for(
    nodes: list[RunningGateway], connect: ClientFactory, redis_client: redis.Redis
) -> None:
    perms = {GUILD_A: ALL, GUILD_B: ALL}
    on_first = await connect(nodes[0].url, auth={"token": token(guilds=perms)})
    on_second = await connect(nodes[1].url, auth={"token": token(guilds=perms)})
    await on_first.call("spectate", {"guild_id": GUILD_A})
    assert await subscribers(redis_client, GUILD_A) == 1
    assert await subscribers(redis_client, GUILD_B) == 0
    await on_second.call("spectate", {"guild_id": GUILD_A})
    assert await subscribers(redis_client, GUILD_A) == 2
    await on_second.call("spectate", {"guild_id": GUILD_B})
    assert (await subscribers(redis_client, GUILD_A), await subscribers(redis_client, GUILD_B)) == (
        1,
        1,
    )
    assert nodes[1].gateway.bus.subscribed_guilds() == {GUILD_B}
    await on_first.sio.disconnect()
    async with asyncio.timeout(2):
        while await subscribers(redis_client, GUILD_A):
            await asyncio.sleep(0.02)
    assert nodes[0].gateway.bus.subscribed_guilds() == set()
