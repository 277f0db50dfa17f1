"""History and resume: every missed event exactly once, in order, before any live one."""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis
from prometheus_client.parser import text_string_to_metric_families

from architus_sdk.wire import EntityType, LogOtherBody
from architus_ws.fanout.replay import CATCH_UP_TIMEOUT
from bot_bridge.bus import Bus
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.publisher import Publisher
from tests.conftest import (
    Client,
    ClientFactory,
    RedisServer,
    RunningGateway,
    memory_url,
    settings,
    start_gateway,
    token,
)

GUILD = "680000000000000001"
ALL = 0x1
PUBLIC = 0x2


def entry(n: int, private: bool) -> LogOtherBody:
    return LogOtherBody(
        id=str(10**15 + n),
        action=3001,
        private=private,
        agent_id="1",
        subject_id=None,
        content=f"entry {n}",
        data={},
        timestamp="2026-01-01T00:00:00.000Z",
    )


def member(n: int) -> dict[str, Any]:
    return {
        "id": str(10**15 + n),
        "name": f"m{n}",
        "nick": None,
        "avatar": None,
        "roles": [],
        "color": 0,
        "joined_at": None,
    }


async def publish_mix(publisher: Publisher, count: int, pause: float = 0.0) -> None:
    """`count` events alternating streams; every third log entry private."""
    for n in range(count):
        if n % 2:
            await publisher.log(GUILD, entry(n, private=n % 3 == 0))
        else:
            await publisher.upsert(GUILD, EntityType.MEMBER, [member(n)])
        if pause:
            await asyncio.sleep(pause)


def has_pushes(client: Client, count: int) -> bool:
    return len(client.pushes) >= count


def seqs(client: Client, event: str, private: bool | None = None) -> list[int]:
    return [
        p["seq"] for p in client.received(event) if private is None or p.get("private") == private
    ]


@pytest.fixture
async def node(bus_url: str) -> AsyncIterator[tuple[RunningGateway, Publisher]]:
    bus = Bus(bus_url, HistoryLimits(max_events=5000))
    running = await start_gateway(
        settings(bus_url), bus=bus if bus_url.startswith("memory") else None
    )
    publisher_bus = bus if bus_url.startswith("memory") else Bus(bus_url, HistoryLimits(5000))
    if publisher_bus is not bus:
        await publisher_bus.connect()
    yield running, Publisher(publisher_bus)
    await running.stop()
    if publisher_bus is not bus:
        await publisher_bus.disconnect()


async def test_the_seam_has_no_gap_and_no_duplicate(
    node: tuple[RunningGateway, Publisher], connect: ClientFactory
) -> None:
    """Publish continuously while clients resume from random points: each receives exactly
    the published list from its resume point on."""
    running, publisher = node
    watcher = await connect(running.url, auth={"token": token(guilds={GUILD: ALL})})
    first = await watcher.call("spectate", {"guild_id": GUILD, "include_logs": True})
    epoch = first["data"]["epoch"]
    total = 1200
    publishing = asyncio.create_task(publish_mix(publisher, total, pause=0.002))
    rng = random.Random(5)
    resumers: list[tuple[Client, int, int, int]] = []
    while not publishing.done():
        await asyncio.sleep(rng.uniform(0.01, 0.05))
        pool_now = len(seqs(watcher, "log_pool"))
        logs_now = len(seqs(watcher, "log_other"))
        from_pool, from_logs = rng.randint(0, pool_now), rng.randint(0, logs_now)
        perms = rng.choice([ALL, PUBLIC])
        client = await connect(running.url, auth={"token": token(guilds={GUILD: perms})})
        ack = await client.call(
            "spectate",
            {
                "guild_id": GUILD,
                "include_logs": True,
                "resume": {"epoch": epoch, "pool_seq": from_pool, "logs_seq": from_logs},
            },
        )
        assert ack["ok"], ack
        assert ack["data"]["recovered"] is True
        resumers.append((client, from_pool, from_logs, perms))
    await publishing
    pool_total, logs_total = total // 2, total // 2
    await watcher.wait_for(lambda c: len(c.pushes) == total, timeout=10)
    private_seqs = {p["seq"] for p in watcher.received("log_other") if p["private"]}
    assert len(resumers) >= 10
    for client, from_pool, from_logs, perms in resumers:
        wanted_logs = [
            s for s in range(from_logs + 1, logs_total + 1) if perms == ALL or s not in private_seqs
        ]
        expected = len(wanted_logs) + pool_total - from_pool
        await client.wait_for(functools.partial(has_pushes, count=expected), timeout=10)
        await asyncio.sleep(0.05)
        assert seqs(client, "log_pool") == list(range(from_pool + 1, pool_total + 1))
        assert seqs(client, "log_other") == wanted_logs


async def test_replayed_counts_and_comes_before_live(
    node: tuple[RunningGateway, Publisher], connect: ClientFactory
) -> None:
    running, publisher = node
    first = await connect(running.url, auth={"token": token(guilds={GUILD: ALL})})
    ack = await first.call("spectate", {"guild_id": GUILD, "include_logs": True})
    epoch = ack["data"]["epoch"]
    await publish_mix(publisher, 40)
    await first.wait_for(lambda c: len(c.pushes) == 40)
    public = await connect(running.url, auth={"token": token(guilds={GUILD: PUBLIC})})
    ack = await public.call(
        "spectate",
        {
            "guild_id": GUILD,
            "include_logs": True,
            "resume": {"epoch": epoch, "pool_seq": 10, "logs_seq": 0},
        },
    )
    private_count = sum(1 for p in first.received("log_other") if p["private"])
    assert ack["data"] == {
        "guild_id": GUILD,
        "epoch": epoch,
        "pool_seq": 20,
        "logs_seq": 20,
        "recovered": True,
        "replayed": 10 + 20 - private_count,
    }
    await publish_mix(publisher, 2)
    await public.wait_for(lambda c: len(c.pushes) == 10 + 20 - private_count + 2)
    # the live events come after the replay
    assert [(name, data["seq"]) for name, data in public.pushes[-2:]] == [
        ("log_pool", 21),
        ("log_other", 21),
    ]


async def test_resume_without_include_logs_replays_only_the_pool(
    node: tuple[RunningGateway, Publisher], connect: ClientFactory
) -> None:
    running, publisher = node
    first = await connect(running.url, auth={"token": token(guilds={GUILD: ALL})})
    epoch = (await first.call("spectate", {"guild_id": GUILD}))["data"]["epoch"]
    await publish_mix(publisher, 10)
    second = await connect(running.url, auth={"token": token(guilds={GUILD: ALL})})
    ack = await second.call(
        "spectate", {"guild_id": GUILD, "resume": {"epoch": epoch, "pool_seq": 0, "logs_seq": 0}}
    )
    assert ack["data"]["replayed"] == 5
    await asyncio.sleep(0.1)
    assert [name for name, _ in second.pushes] == ["log_pool"] * 5


async def test_resume_is_refused_when_history_no_longer_reaches(connect: ClientFactory) -> None:
    bus = Bus(memory_url(), HistoryLimits(max_events=20))
    running = await start_gateway(settings(), bus=bus)
    try:
        client = await connect(running.url, auth={"token": token(guilds={GUILD: ALL})})
        epoch = (await client.call("spectate", {"guild_id": GUILD}))["data"]["epoch"]
        await publish_mix(Publisher(bus), 100)
        await client.wait_for(lambda c: len(c.pushes) == 50)  # the node's feed is there
        late = await connect(running.url, auth={"token": token(guilds={GUILD: ALL})})
        for resume in (
            {"epoch": epoch, "pool_seq": 3, "logs_seq": 0},
            {"epoch": "another-epoch", "pool_seq": 50, "logs_seq": 50},
            {"epoch": epoch, "pool_seq": 999, "logs_seq": 0},
        ):
            # a resume ahead of the feed waits CATCH_UP_TIMEOUT for it before it is refused
            ack = await late.call(
                "spectate",
                {"guild_id": GUILD, "include_logs": True, "resume": resume},
                timeout=CATCH_UP_TIMEOUT + 5,
            )
            assert ack["data"]["recovered"] is False, resume
            assert (ack["data"]["pool_seq"], ack["data"]["logs_seq"]) == (50, 50)
        recent = await late.call(
            "spectate",
            {"guild_id": GUILD, "resume": {"epoch": epoch, "pool_seq": 45, "logs_seq": 50}},
        )
        assert recent["data"]["recovered"] is True
        assert recent["data"]["replayed"] == 5
        # why each was not recovered is counted, for the operator
        assert await resumes(running.url) == {
            "history_trimmed": 1,
            "new_epoch": 1,
            "feed_stalled": 1,
            "recovered": 1,
        }
    finally:
        await running.stop()


async def resumes(url: str) -> dict[str, int]:
    """`architus_resumes_total` of the node at `url`, by outcome (those counted at all)."""
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as response:
        text = await response.text()
    return {
        sample.labels["outcome"]: int(sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "architus_resumes_total"
    }


async def test_failover_resumes_on_another_node(redis_url: str, connect: ClientFactory) -> None:
    nodes = [await start_gateway(settings(redis_url)) for _ in range(2)]
    bus = Bus(redis_url)
    await bus.connect()
    publisher = Publisher(bus)
    try:
        client = await connect(nodes[0].url, auth={"token": token(guilds={GUILD: ALL})})
        ack = await client.call("spectate", {"guild_id": GUILD, "include_logs": True})
        await publish_mix(publisher, 30)
        await client.wait_for(lambda c: len(c.pushes) == 30)
        await client.sio.disconnect()
        await publish_mix(publisher, 30)  # missed while away
        again = await connect(nodes[1].url, auth={"token": token(guilds={GUILD: ALL})})
        last_pool = max(seqs(client, "log_pool"))
        last_logs = max(seqs(client, "log_other"))
        resumed = await again.call(
            "spectate",
            {
                "guild_id": GUILD,
                "include_logs": True,
                "resume": {
                    "epoch": ack["data"]["epoch"],
                    "pool_seq": last_pool,
                    "logs_seq": last_logs,
                },
            },
        )
        assert resumed["data"]["recovered"] is True
        assert resumed["data"]["replayed"] == 30
        await publish_mix(publisher, 2)
        await again.wait_for(lambda c: len(c.pushes) == 32)
        assert seqs(client, "log_pool") + seqs(again, "log_pool") == list(range(1, 32))
        assert seqs(client, "log_other") + seqs(again, "log_other") == list(range(1, 32))
    finally:
        await bus.disconnect()
        for running in nodes:
            await running.stop()


async def test_redis_restarted_empty_means_a_new_epoch(
    own_redis: RedisServer, connect: ClientFactory
) -> None:
    running = await start_gateway(settings(own_redis.url))
    bus = Bus(own_redis.url)
    await bus.connect()
    try:
        client = await connect(running.url, auth={"token": token(guilds={GUILD: ALL})})
        old = (await client.call("spectate", {"guild_id": GUILD}))["data"]
        await publish_mix(Publisher(bus), 10)
        await client.wait_for(lambda c: len(c.pushes) == 5)
        await own_redis.kill()
        await own_redis.start()
        async with asyncio.timeout(10):
            while True:
                try:
                    await publish_mix(Publisher(bus), 2)
                    break
                except Exception:
                    await asyncio.sleep(0.1)
        # The live spectator follows the new history, from its seq 1, without another publish
        # (whether the node's pub/sub was back before those two or only after: RESYNC).
        await client.wait_for(
            lambda c: any(p["epoch"] != old["epoch"] for p in c.received("log_pool")), timeout=10
        )
        newest = client.received("log_pool")[-1]
        assert newest["seq"] == 1
        # From then on, a resume from the old epoch is refused, and the ack names the new one.
        late = await connect(running.url, auth={"token": token(guilds={GUILD: ALL})})
        ack = await late.call(
            "spectate",
            {"guild_id": GUILD, "resume": {"epoch": old["epoch"], "pool_seq": 5, "logs_seq": 0}},
        )
        assert ack["data"]["recovered"] is False
        assert ack["data"]["epoch"] == newest["epoch"]
    finally:
        await bus.disconnect()
        await running.stop()


async def test_what_a_bus_outage_hid_arrives_without_a_next_event(
    redis_url: str, connect: ClientFactory
) -> None:
    """A quiet guild: the events published while the node's pub/sub connection was down reach
    its spectators when the connection is back (RESYNC), not only with some later event."""
    running = await start_gateway(settings(redis_url))
    bus = Bus(redis_url)
    await bus.connect()
    admin = redis.Redis.from_url(redis_url)
    try:
        client = await connect(running.url, auth={"token": token(guilds={GUILD: ALL})})
        await client.call("spectate", {"guild_id": GUILD, "include_logs": True})
        await publish_mix(Publisher(bus), 2)
        await client.wait_for(lambda c: len(c.pushes) == 2)
        # only pub/sub connections: the gateway's commands and the publisher are untouched
        assert await admin.client_kill_filter(_type="pubsub") >= 1
        await publish_mix(Publisher(bus), 6)  # during the gateway's reconnect (50 ms at least)
        await client.wait_for(lambda c: len(c.pushes) == 8, timeout=10)
        assert seqs(client, "log_pool") == [1, 2, 3, 4]
        assert seqs(client, "log_other") == [1, 2, 3, 4]
    finally:
        await admin.aclose()
        await bus.disconnect()
        await running.stop()
