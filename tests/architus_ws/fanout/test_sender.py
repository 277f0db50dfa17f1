"""Fan-out never waits for one socket: a zombie spectator (it stopped answering pings, and its
queued slow requests hold its session) neither stalls its guild's feed for everyone else nor
lets a renewal that dropped the guild go unnoticed by a send already under way."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from websockets.exceptions import ConnectionClosed

from bot_bridge.bus import Bus
from bot_bridge.publisher import Publisher
from tests.architus_ws.fanout.test_resume import entry
from tests.conftest import Client, ClientFactory, token
from tests.processes import ServeProcess, serving
from tests.raw_socket import RawSocket

GUILD = "691000000000000001"
OTHER = "691000000000000002"
SLOW_TRIGGER = "^(a|aa)+$"  # backtracks until interpret's regex time limit (100 ms) stops it
SLOW_MESSAGE = "a" * 1998 + "b"
QUEUED = 120  # slow requests: the zombie's session is busy for about 12 s


@pytest.fixture
async def gateway(redis_url: str) -> AsyncIterator[ServeProcess]:
    env = {
        "ARCHITUS_PING_INTERVAL": "2",
        "ARCHITUS_PING_TIMEOUT": "2",
        "ARCHITUS_INTERPRET_RATE": "1000/10",
        "ARCHITUS_INTERPRET_ADDRESS_RATE": "1000/10",
    }
    async with serving("--redis", redis_url, env=env) as process:
        yield process


async def connections(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as response:
        text = await response.text()
    line = next(ln for ln in text.splitlines() if ln.startswith("architus_connections "))
    return int(float(line.split()[1]))


async def publish_forever(publisher: Publisher, sent: list[float]) -> None:
    n = 0
    while True:
        n += 1
        await publisher.log(GUILD, entry(n, private=False))
        sent.append(time.monotonic())
        await asyncio.sleep(0.05)


async def drain(zombie: RawSocket) -> None:
    with contextlib.suppress(ConnectionClosed):
        while True:
            await zombie.connection.recv()


async def become_zombie(zombie: RawSocket) -> None:
    """Stop answering pings and queue slow requests that want no answer (no ack id: nothing
    is sent back to the zombie for them, so the first send to it after its ping timeout is
    a push). `keep_sending` then sends frames so that the server's read timeout does not end
    the connection: only the ping timeout can."""
    for n in range(QUEUED):
        frame = "42" + json.dumps(
            [
                "interpret",
                {
                    "action": "send",
                    "guild_id": "1",
                    "message_id": str(2 * n + 10),
                    "content": SLOW_MESSAGE,
                },
            ]
        )
        await zombie.send(frame)


async def keep_sending(zombie: RawSocket) -> None:
    while await zombie.send('42["keepalive"]'):
        await asyncio.sleep(0.2)


async def first_unanswered_ping(zombie: RawSocket) -> float:
    """Read on (so that the server's writes never wait) without answering pings; return when
    the first ping arrived."""
    while (frame := await zombie.connection.recv()) != "2":
        assert isinstance(frame, str), frame
    return time.monotonic()


async def test_a_zombie_spectator_neither_stalls_the_feed_nor_outlives_a_renewal(
    gateway: ServeProcess, redis_url: str, connect: ClientFactory
) -> None:
    url = gateway.url
    zombie = await RawSocket.open(url, auth={"token": token("7", {GUILD: 0x2})})
    answer = await zombie.request(
        1,
        "interpret",
        {
            "action": "send",
            "guild_id": "1",
            "message_id": "2",
            "content": f"!set {SLOW_TRIGGER}::x",
        },
    )
    assert answer["ok"], answer
    assert "✅" in answer["data"]["actions"][0]["content"], answer
    answer = await zombie.request(2, "spectate", {"guild_id": GUILD, "include_logs": True})
    assert answer["ok"], answer
    # Joined after the zombie: later in the room's order, so a stalled send reaches them after
    # it would have reached the zombie.
    victim: Client = await connect(url, auth={"token": token("8", {GUILD: 0x2, OTHER: 0x2})})
    await victim.call("spectate", {"guild_id": GUILD, "include_logs": True})
    bystander: Client = await connect(url, auth={"token": token("9", {GUILD: 0x2})})
    await bystander.call("spectate", {"guild_id": GUILD, "include_logs": True})
    received: list[float] = []
    bystander.sio.on("log_other", lambda data: received.append(time.monotonic()))

    bus = Bus(redis_url)
    await bus.connect()
    sent: list[float] = []
    publishing = asyncio.create_task(publish_forever(Publisher(bus), sent))
    keepalive: asyncio.Task[None] | None = None
    draining: asyncio.Task[None] | None = None
    try:
        # From here the zombie reads nothing, so it answers no ping.
        zombie_since = time.monotonic()
        await become_zombie(zombie)
        keepalive = asyncio.create_task(keep_sending(zombie))
        # Its ping goes unanswered past the 2 s timeout while its requests still hold its
        # session for seconds: the next send to it is where stock closed it.
        pinged = await first_unanswered_ping(zombie)
        draining = asyncio.create_task(drain(zombie))
        await asyncio.sleep(pinged + 2.5 - time.monotonic())
        renewed = await victim.call("request_elevation", {"token": token("8", {OTHER: 0x2})})
        assert renewed["ok"], renewed
        acked = len(victim.pushes)
        await bystander.wait_for(lambda c: len(received) > 0, timeout=5)
        async with asyncio.timeout(20):
            while await connections(url) > 2:
                await asyncio.sleep(0.05)
        closed_after = time.monotonic() - zombie_since
        # Keep publishing a while: anything that reaches the victim now is a leak.
        published = len(sent)
        async with asyncio.timeout(10):
            while len(sent) < published + 20:
                await asyncio.sleep(0.05)
        await bystander.wait_for(lambda c: len(received) >= len(sent) - 2, timeout=10)
    finally:
        publishing.cancel()
        if keepalive is not None:
            keepalive.cancel()
        if draining is not None:
            draining.cancel()
        await bus.disconnect()
        await zombie.close()

    after_ack = victim.pushes[acked:]
    assert victim.received("spectate_reset"), victim.pushes[-3:]
    assert not [p for p in after_ack if p[0] == "log_other"], after_ack[:3]
    # The guild's feed never stopped for the bystander: no gap between two receipts longer
    # than a second while events were published every 50 ms.
    gaps = [later - earlier for earlier, later in itertools.pairwise(received)]
    assert max(gaps) < 1.0, max(gaps)
    # The zombie is gone at its ping timeout (within 2 + 2 s of its last pong, + a 0.5 s
    # sweep), not once its queued requests are done (~12 s).
    assert closed_after < 9.0, closed_after
