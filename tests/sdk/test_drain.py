"""The SDK through a drain: told `reconnect`, it leaves the draining node for another at once
and resumes there from the store's seqs, with every event once and in order, while the old
node is still inside its window."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator

import pytest

from architus_sdk import ArchitusClient
from bot_bridge.bus import Bus, mirror_for
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild, run_simulation
from tests.conftest import GatewayProcess, token

GUILD = "721000000000000001"
WINDOW = 4.0


@pytest.fixture
async def nodes(redis_url: str) -> AsyncIterator[list[GatewayProcess]]:
    started = [GatewayProcess(redis_url, ARCHITUS_DRAIN_SECONDS=str(WINDOW)) for _ in range(2)]
    await asyncio.gather(*(node.start() for node in started))
    yield started
    for node in started:
        await node.kill()


@pytest.mark.behaviour("drain-move", "resume")
async def test_told_to_reconnect_it_resumes_on_another_node(
    redis_url: str, nodes: list[GatewayProcess]
) -> None:
    bus = Bus(redis_url)
    await bus.connect()
    mirror = mirror_for(redis_url)
    simulated = SimulatedGuild(GUILD, rng=random.Random(5))
    simulated.seed(50)
    publisher = Publisher(bus, mirror)
    await simulated.publish_seed(publisher)
    first, second = nodes
    client = ArchitusClient(
        first.url,
        other_urls=[second.url],
        token=token("9", {GUILD: 0x7}),
        reconnect_delay=(0.1, 0.5),
    )
    publishing: asyncio.Task[int] | None = None
    try:
        await client.connect()
        await client.spectate(GUILD, include_logs=True)
        publishing = asyncio.create_task(run_simulation(simulated, publisher, events=600, rate=100))
        async with asyncio.timeout(20):
            while (client.state.spectate.logs_seq or 0) < 20:
                await asyncio.sleep(0.02)
        assert first.process is not None
        signalled = time.monotonic()
        first.process.terminate()
        async with asyncio.timeout(WINDOW):
            while client.node_url != second.url or client.state.connection.status != "connected":
                await asyncio.sleep(0.01)
        moved = time.monotonic() - signalled
        # it left on the notice, not when the node closed it (spread over the window)
        assert first.running
        assert await asyncio.wait_for(first.process.wait(), WINDOW + 10) == 0
        await publishing
        position = await bus.position(GUILD)
        async with asyncio.timeout(20):
            while (client.state.spectate.pool_seq, client.state.spectate.logs_seq) != (
                position.pool_seq,
                position.logs_seq,
            ):
                await asyncio.sleep(0.02)
        seqs = [entry.seq for entry in client.state.logs.entries]
        assert seqs == list(range(seqs[0], seqs[-1] + 1))  # no gap, no duplicate
        assert client.state.connection.status == "connected"
        print(f"SDK moved to another node {moved * 1000:.0f} ms after SIGTERM")
    finally:
        if publishing is not None:
            publishing.cancel()
        await client.close()
        await bus.disconnect()
        await mirror.disconnect()
