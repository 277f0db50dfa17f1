"""Two gateway nodes on a real 3-master Redis Cluster: guilds on every shard, each guild's
events in order to the spectators of both nodes, sharded pub/sub only, and pools read from
the shard that holds the guild."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from redis.crc import key_slot

from architus_sdk.wire import EntityType
from bot_bridge.bus import Bus, BusUnavailable, Stream, mirror_for
from bot_bridge.bus import redis_keys as keys
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild, run_simulation
from tests.architus_ws.requests.test_spectate import ALL, entry
from tests.conftest import (
    Client,
    ClientFactory,
    RunningGateway,
    gateway_nodes,
    settings,
    start_gateway,
    token,
)
from tests.redis_cluster import RedisCluster, redis_cluster

EVENTS_PER_GUILD = 60


async def slot_owners(cluster: RedisCluster) -> dict[int, int]:
    """slot -> port of the master that owns it."""
    client = redis.Redis(port=cluster.ports[0], decode_responses=True)
    try:
        ranges = await client.cluster("SLOTS")
    finally:
        await client.aclose()
    return {
        slot: int(owner[1])
        for start, end, owner, *_ in ranges
        for slot in range(int(start), int(end) + 1)
    }


def guilds_on_every_shard(owners: dict[int, int], per_shard: int) -> dict[int, list[str]]:
    """Guild ids whose hash tag lands on each master: port -> guild ids."""
    found: dict[int, list[str]] = {port: [] for port in set(owners.values())}
    candidate = 700000000000000000
    while any(len(ids) < per_shard for ids in found.values()):
        candidate += 1
        guild_id = str(candidate)
        port = owners[key_slot(keys.channel(guild_id, Stream.POOL).encode())]
        if len(found[port]) < per_shard:
            found[port].append(guild_id)
    return found


@pytest.fixture
async def nodes(cluster_url: str) -> AsyncIterator[list[RunningGateway]]:
    async with gateway_nodes(cluster_url) as running:
        yield running


async def command_calls(port: int, command: str) -> int:
    client = redis.Redis(port=port, decode_responses=True)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))


async def test_guilds_on_every_shard_reach_spectators_on_both_nodes_in_order(
    nodes: list[RunningGateway],
    connect: ClientFactory,
    cluster_url: str,
    redis_cluster_proc: RedisCluster,
) -> None:
    by_shard = guilds_on_every_shard(await slot_owners(redis_cluster_proc), per_shard=2)
    guild_ids = [guild_id for ids in by_shard.values() for guild_id in ids]
    assert len(by_shard) == 3
    token_for_all = token(guilds=dict.fromkeys(guild_ids, ALL))
    spectators: dict[str, list[Client]] = {}
    for guild_id in guild_ids:
        spectators[guild_id] = []
        for node in nodes:
            client = await connect(node.url, auth={"token": token_for_all})
            ack = await client.call("spectate", {"guild_id": guild_id, "include_logs": True})
            assert ack["ok"], ack
            spectators[guild_id].append(client)

    for port, ids in by_shard.items():
        for guild_id in ids:
            # each node holds one sharded subscription per stream, on the guild's own master
            shard = redis.Redis(port=port, decode_responses=True)
            counts = dict(
                await shard.pubsub_shardnumsub(*(keys.channel(guild_id, s) for s in Stream))
            )
            await shard.aclose()
            assert set(counts.values()) == {2}, counts

    published_before = [await command_calls(port, "publish") for port in by_shard]
    bus = Bus(cluster_url)
    mirror = mirror_for(cluster_url)
    await bus.connect()
    try:
        publisher = Publisher(bus, mirror)
        simulations = []
        for guild_id in guild_ids:
            guild = SimulatedGuild(guild_id, rng=random.Random(guild_id))
            guild.seed(10)
            await guild.publish_seed(publisher)
            simulations.append(run_simulation(guild, publisher, events=EVENTS_PER_GUILD, rate=0))
        await asyncio.gather(*simulations)
    finally:
        await bus.disconnect()
        await mirror.disconnect()

    for guild_id, clients in spectators.items():
        for client in clients:
            # the seed is one log_pool per entity type, then the simulated events
            await client.wait_for(lambda c: len(c.pushes) >= EVENTS_PER_GUILD, timeout=10)
        reference = [(name, data["seq"]) for name, data in clients[0].pushes]
        assert {data["guild_id"] for _, data in clients[0].pushes} == {guild_id}
        for stream_event in ("log_pool", "log_other"):
            seqs = [seq for name, seq in reference if name == stream_event]
            assert seqs == list(range(1, len(seqs) + 1)), (guild_id, stream_event)
        assert [(name, data["seq"]) for name, data in clients[1].pushes] == reference

    # nothing went through plain PUBLISH, which a cluster copies to every shard
    assert [await command_calls(port, "publish") for port in by_shard] == published_before
    assert all([await command_calls(port, "spublish") > 0 for port in by_shard])


async def test_pools_are_read_from_the_guilds_shard(
    nodes: list[RunningGateway],
    connect: ClientFactory,
    cluster_url: str,
    redis_cluster_proc: RedisCluster,
) -> None:
    by_shard = guilds_on_every_shard(await slot_owners(redis_cluster_proc), per_shard=1)
    guild_ids = [ids[0] for ids in by_shard.values()]
    bus = Bus(cluster_url)
    mirror = mirror_for(cluster_url)
    await bus.connect()
    seeded = {}
    try:
        publisher = Publisher(bus, mirror)
        for guild_id in guild_ids:
            guild = SimulatedGuild(guild_id, rng=random.Random(guild_id))
            guild.seed(120)
            await guild.publish_seed(publisher)
            seeded[guild_id] = guild
    finally:
        await bus.disconnect()
        await mirror.disconnect()
    client = await connect(
        nodes[1].url, auth={"token": token(guilds=dict.fromkeys(guild_ids, ALL))}
    )
    for guild_id, guild in seeded.items():
        ack = await client.call(
            "pool", {"type": EntityType.MEMBER, "guild_id": guild_id, "all": True}
        )
        assert ack["ok"], ack
        assert {member["id"] for member in ack["data"]["data"]} == set(guild.members)
        name = next(iter(guild.members.values()))["name"]
        found = await client.call(
            "pool", {"type": EntityType.MEMBER, "guild_id": guild_id, "search": name[:3]}
        )
        assert found["ok"], found
        assert found["data"]["data"], found


async def test_a_restarted_master_is_subscribed_again(connect: ClientFactory) -> None:
    """The master holding a spectated guild dies and comes back empty (same slots, from its
    nodes file): the node reports not ready meanwhile, then subscribes on it again, and the
    spectator receives the guild's events from there on (a new epoch: the history is gone)."""
    with redis_cluster() as cluster:
        by_shard = guilds_on_every_shard(await slot_owners(cluster), per_shard=1)
        port, (guild_id,) = next(iter(by_shard.items()))
        node = await start_gateway(settings(cluster.url))
        bus = Bus(cluster.url)
        await bus.connect()
        try:
            client = await connect(node.url, auth={"token": token(guilds={guild_id: ALL})})
            ack = await client.call("spectate", {"guild_id": guild_id, "include_logs": True})
            assert ack["ok"], ack
            publisher = Publisher(bus)
            await publisher.log(guild_id, entry(content="before"))
            await client.wait_for(lambda c: len(c.received("log_other")) == 1)

            cluster.kill(port)
            async with asyncio.timeout(10):
                while await node.gateway.ready():
                    await asyncio.sleep(0.05)
            await asyncio.to_thread(cluster.start, port)
            await asyncio.to_thread(cluster.wait_until_ok)
            async with asyncio.timeout(20):
                while not await node.gateway.ready():
                    await asyncio.sleep(0.05)

            async with asyncio.timeout(20):
                while len(client.received("log_other")) < 2:
                    with contextlib.suppress(BusUnavailable):
                        await publisher.log(guild_id, entry(content="after"))
                    await asyncio.sleep(0.2)
            after = client.received("log_other")[1]
            assert after["content"] == "after"
            assert after["epoch"] != client.received("log_other")[0]["epoch"]
        finally:
            await bus.disconnect()
            await node.stop()
