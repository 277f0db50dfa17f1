"""A client that never reads while 50 MB of pushes flow: the gateway process's memory stays
bounded, that client is cut off, and the other spectators get everything."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import websockets

from architus_sdk.wire import LogOtherBody
from architus_ws.config import RateLimit
from bot_bridge.bus import Bus
from bot_bridge.publisher import Publisher
from tests.architus_ws.requests.test_spectate import entry
from tests.conftest import (
    ClientFactory,
    GatewayProcess,
    mirrored_guild,
    settings,
    start_gateway,
    token,
)
from tests.raw_socket import RawSocket, recv_text

GUILD = "690000000000000001"
EVENTS = 5000
CONTENT = "x" * 10_000  # 5,000 pushes of ~10 KB: 50 MB
BIG = "y" * 8000  # a paused reader's kernel buffers fill in a few hundred of these


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


@pytest.fixture
async def gateway(redis_url: str) -> AsyncIterator[GatewayProcess]:
    process = GatewayProcess(redis_url, ARCHITUS_OUTBOUND_LIMIT_BYTES=str(4 * 1024 * 1024))
    await process.start()
    yield process
    await process.kill()


async def non_reading_websocket(url: str) -> websockets.ClientConnection:
    """Engine.IO over a websocket whose client reads as little as it can: a 4 KiB receive
    buffer and one message queued, so whatever it does not read backs up at the server."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = url.removeprefix("http://").split(":")
    raw.connect((host, int(port)))
    ws = await websockets.connect(
        f"ws://{host}:{port}/socket.io/?EIO=4&transport=websocket",
        sock=raw,
        max_queue=1,
        max_size=None,
        compression=None,
    )
    assert (await recv_text(ws)).startswith("0")  # Engine.IO open
    return ws


async def non_reading_spectator(url: str) -> websockets.ClientConnection:
    """Raw Engine.IO over a websocket with a tiny receive buffer: it spectates, then never
    reads again, so the server's writes back up."""
    ws = await non_reading_websocket(url)
    await ws.send("40" + json.dumps({"token": token(guilds={GUILD: 0x2})}))
    assert (await recv_text(ws)).startswith("40")  # Socket.IO connected
    await ws.send("420" + json.dumps(["spectate", {"guild_id": GUILD, "include_logs": True}]))
    assert '"ok":true' in await ws.recv()
    return ws


async def test_a_client_that_never_reads_is_cut_off(
    gateway: GatewayProcess,
    redis_url: str,
    connect: ClientFactory,
) -> None:
    url = gateway.url
    assert gateway.process is not None
    process = gateway.process
    healthy = await connect(url, auth={"token": token(guilds={GUILD: 0x2})})
    await healthy.call("spectate", {"guild_id": GUILD, "include_logs": True})
    stuck = await non_reading_spectator(url)
    baseline = rss_kib(process.pid)
    bus = Bus(redis_url)
    await bus.connect()
    publisher = Publisher(bus)
    try:
        for n in range(EVENTS):
            await publisher.log(
                GUILD,
                LogOtherBody(
                    id=str(10**15 + n),
                    action=3001,
                    private=False,
                    agent_id="1",
                    subject_id=None,
                    content=CONTENT,
                    data={},
                    timestamp="2026-01-01T00:00:00Z",
                ),
            )
            if n % 50 == 49:
                await asyncio.sleep(0.05)  # ~5 MB/s: the healthy client keeps up
    finally:
        await bus.disconnect()
    await healthy.wait_for(lambda c: len(c.pushes) == EVENTS, timeout=60)
    peak = rss_kib(process.pid, "VmHWM")
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as response:
        metrics = await response.text()
    await stuck.close()
    assert "architus_slow_consumers_cut_total 1.0" in metrics
    assert "architus_connections 1.0" in metrics  # only the healthy one is left
    assert [p["seq"] for p in healthy.received("log_other")] == list(range(1, EVENTS + 1))
    # Held for the stuck client, the 50 MB would all be resident; cut off at 4 MB, they are not.
    assert (peak - baseline) / 1024 < 30, (baseline, peak)


async def test_a_reader_that_pauses_gets_everything_in_order_once_it_reads_again() -> None:
    """Pushes are written straight to an idle websocket; when its transport pauses (the
    client stopped reading), the write in progress and every later one wait in order, and
    all of them arrive when the client reads again."""
    running = await start_gateway(
        settings(outbound_limit=256 * 1024 * 1024, request_rate=RateLimit(10**6, 1))
    )
    try:
        paused = await RawSocket.open(running.url, {"token": token(guilds={GUILD: 0x2})})
        assert (await paused.request(1, "spectate", {"guild_id": GUILD, "include_logs": True}))[
            "ok"
        ]
        publisher = Publisher(running.gateway.bus)
        paused_before = running.gateway.engine.paused_writes
        sent = 0
        # The client reads nothing now: kernel buffers fill, then uvicorn pauses the transport.
        # One event at a time: each is written to the socket as it arrives.
        while running.gateway.engine.paused_writes == paused_before:
            sent += 1
            await publisher.log(GUILD, entry(content=BIG))
            await asyncio.sleep(0.003)  # one at a time, as a quiet guild publishes
            assert sent < 5_000, "the transport never paused"
        for _ in range(300):  # and more, queued behind the paused write
            sent += 1
            await publisher.log(GUILD, entry(content=BIG))
        seqs: list[int] = []
        while len(seqs) < sent:
            frame = await paused.next_packet(timeout=10)
            assert frame is not None
            if frame.startswith('42["log_other"'):
                seqs.append(json.loads(frame[2:])[1]["seq"])
        assert seqs == list(range(1, sent + 1))
        await paused.close()
        async with (
            aiohttp.ClientSession() as http,
            http.get(running.url + "/metrics") as response,
        ):
            metrics = await response.text()
        line = next(ln for ln in metrics.splitlines() if ln.startswith("architus_paused_writes"))
        assert float(line.split()[-1]) >= 1, line
    finally:
        await running.stop()


async def test_large_answers_left_unread_are_weighed_and_cut(redis_url: str) -> None:
    """Not only pushes: a few dozen 1 MB pool pages asked for and never read are weighed by
    bytes as they queue (however few they are), and the socket is cut at the limit."""
    gateway = GatewayProcess(redis_url, ARCHITUS_OUTBOUND_LIMIT_BYTES=str(1024 * 1024))
    await gateway.start()
    try:
        await cut_for_unread_answers(gateway, redis_url)
    finally:
        await gateway.kill()


async def cut_for_unread_answers(gateway: GatewayProcess, redis_url: str) -> None:
    await mirrored_guild(redis_url, GUILD, 5000)
    ws = await non_reading_websocket(gateway.url)
    await ws.send("40" + json.dumps({"token": token(guilds={GUILD: 0x2})}))
    assert (await recv_text(ws)).startswith("40")
    page = {"type": "member", "guild_id": GUILD, "all": True, "limit": 5000}
    for n in range(60):  # ~60 MB of answers; stock weighed no queue shorter than 64
        await ws.send(f"42{n}" + json.dumps(["pool", page]))
    async with asyncio.timeout(60):
        while True:
            async with aiohttp.ClientSession() as http, http.get(gateway.url + "/metrics") as got:
                metrics = await got.text()
            if "architus_slow_consumers_cut_total 1.0" in metrics:
                break
            await asyncio.sleep(0.1)
    await ws.close()
    answered = next(
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith('architus_requests_total{code="200",event="pool"}')
    )
    # Cut once 1 MiB (one page) waited, plus what the kernel's buffers took (~5 MB here), not
    # after most had been built and queued.
    assert answered <= 10, answered
