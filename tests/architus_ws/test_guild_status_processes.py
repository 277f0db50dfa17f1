"""guild_status across real processes on a private Redis: `architus-bridge simulate` started,
SIGTERMed and SIGKILLed under a gateway's spectators; viewers over two `architus-ws serve`
nodes, one of them SIGKILLed. The contract's times (2.3) are the limits asserted."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator

import pytest

from architus_sdk.wire import GuildStatus
from tests.conftest import Client, ClientFactory, GatewayProcess, RunningGateway, entry_point, token

GUILD = "650000000000000001"


def last(client: Client) -> GuildStatus | None:
    pushes = client.received("guild_status")
    return GuildStatus.model_validate(pushes[-1]) if pushes else None


async def seconds_until(client: Client, check: str | int, timeout: float) -> float:
    """How long until the client's latest guild_status shows `check` (a bot status or a
    viewer count)."""
    started = time.monotonic()

    def shows(c: Client) -> bool:
        status = last(c)
        if status is None:
            return False
        return status.bot == check if isinstance(check, str) else status.viewers == check

    await client.wait_for(shows, timeout=timeout)
    return time.monotonic() - started


async def spectate(url: str, connect: ClientFactory, user: str) -> Client:
    client = await connect(url, auth={"token": token(user, {GUILD: 0})})
    assert (await client.call("spectate", {"guild_id": GUILD}))["ok"]
    await client.wait_for(lambda c: last(c) is not None)
    return client


async def simulate(redis_url: str) -> asyncio.subprocess.Process:
    """`architus-bridge simulate` with the defaults an operator gets (no ARCHITUS_ settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHITUS_")}
    return await asyncio.create_subprocess_exec(
        entry_point("architus-bridge"),
        "simulate",
        "--guild",
        GUILD,
        "--members",
        "5",
        "--rate",
        "2",
        "--redis",
        redis_url,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


@pytest.fixture
async def bridges() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    started: list[asyncio.subprocess.Process] = []
    yield started
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_bridge_is_online_at_start_offline_at_stop_and_after_a_crash(
    redis_gateway: RunningGateway,
    connect: ClientFactory,
    redis_url: str,
    bridges: list[asyncio.subprocess.Process],
) -> None:
    client = await spectate(redis_gateway.url, connect, "1")
    assert last(client) == GuildStatus(guild_id=GUILD, bot="offline", since=None, viewers=1)

    spawned = time.monotonic()
    bridges.append(first := await simulate(redis_url))
    await seconds_until(client, "online", timeout=30)
    to_online = time.monotonic() - spawned
    online = last(client)
    assert online is not None
    assert online.since is not None

    first.send_signal(signal.SIGTERM)
    to_offline = await seconds_until(client, "offline", timeout=30)
    assert await asyncio.wait_for(first.wait(), 10) == 0
    stopped = last(client)
    assert stopped is not None
    assert stopped.since is not None
    assert stopped.since > online.since

    bridges.append(second := await simulate(redis_url))
    await seconds_until(client, "online", timeout=30)
    second.kill()
    await second.wait()
    after_crash = await seconds_until(client, "offline", timeout=30)

    print(
        f"\nguild_status: online {to_online:.2f} s after spawn, offline {to_offline:.2f} s "
        f"after SIGTERM, {after_crash:.2f} s after SIGKILL"
    )
    assert to_online <= 2.0
    assert to_offline <= 2.0
    assert after_crash <= 15.0


async def test_viewers_over_two_nodes_and_a_dead_node_stops_counting(
    redis_url: str, connect: ClientFactory
) -> None:
    # a node's statement lives 6 s (default 20 s): the test waits for its end
    nodes = [GatewayProcess(redis_url, ARCHITUS_VIEWERS_TTL_SECONDS="6") for _ in range(2)]
    try:
        for node in nodes:
            await node.start()
        watcher = await spectate(nodes[0].url, connect, "1")
        await spectate(nodes[1].url, connect, "1")  # the same user on the other node
        await spectate(nodes[1].url, connect, "2")
        await spectate(nodes[1].url, connect, "3")
        await seconds_until(watcher, 3, timeout=10)
        await nodes[1].kill()
        gone = await seconds_until(watcher, 1, timeout=40)
        print(f"\nviewers of a SIGKILLed node (lifetime 6 s) stopped counting after {gone:.2f} s")
        assert gone <= 30.0
    finally:
        for node in nodes:
            await node.kill()
