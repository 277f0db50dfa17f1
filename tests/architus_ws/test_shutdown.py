"""SIGTERM stops `architus-ws serve` within its drain window and seconds, with status 0,
whatever its clients do: long-polling requests held open, websockets, and a websocket that
stopped reading (so the server's close can never be flushed to it). The drain itself is
tests/architus_ws/connections/test_drain.py."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import websockets

from bot_bridge.bus import Bus
from bot_bridge.publisher import Publisher
from tests.architus_ws.fanout import test_slow_consumer as slow
from tests.architus_ws.requests.test_spectate import ALL, GUILD, entry
from tests.conftest import Client, ClientFactory, token
from tests.processes import serving

# The drain window, then uvicorn's grace (2 s) plus the gateway's own shutdown (at most 3 s),
# with room for two suites on two busy cores; far below the 45 s a held long-poll lasts
# (Engine.IO ping interval and timeout), and below forever (a stuck reader).
DRAIN = {"ARCHITUS_DRAIN_SECONDS": "2"}
EXIT_WITHIN = 2 + 8.0
PUSHES = 1000  # of 8 KB to the stuck reader: more than the loopback's socket buffers hold


async def spectators(url: str, connect: ClientFactory, transport: str, count: int) -> list[Client]:
    clients = []
    for _ in range(count):
        client = await connect(
            url, auth={"token": token(guilds={GUILD: ALL, slow.GUILD: ALL})}, transport=transport
        )
        for guild in (GUILD, slow.GUILD):
            ack = await client.call("spectate", {"guild_id": guild, "include_logs": True})
            assert ack["ok"], ack
        clients.append(client)
    return clients


@contextlib.asynccontextmanager
async def a_stuck_reader(url: str, redis_url: str, watchers: list[Client]) -> AsyncIterator[None]:
    """A spectator that stopped reading, with megabytes of pushes behind it: the server's
    writes to it are paused, so a graceful close of that connection never completes."""
    stuck: websockets.ClientConnection = await slow.non_reading_spectator(url)
    bus = Bus(redis_url)
    await bus.connect()
    try:
        publisher = Publisher(bus)
        for _ in range(PUSHES):
            await publisher.log(slow.GUILD, entry(content=slow.BIG))
    finally:
        await bus.disconnect()
    # once the readers that do read have it all, the gateway has written what it could
    for watcher in watchers:
        await watcher.wait_for(lambda c: len(c.received("log_other")) == PUSHES, timeout=60)
    try:
        yield
    finally:
        stuck.transport.abort()


async def test_sigterm_with_open_clients_exits_after_its_drain(
    redis_url: str, connect: ClientFactory
) -> None:
    async with serving("--redis", redis_url, env=DRAIN) as server:
        watchers = await spectators(server.url, connect, "polling", 3)
        watchers += await spectators(server.url, connect, "websocket", 3)
        async with a_stuck_reader(server.url, redis_url, watchers):
            code, seconds = await server.terminate(timeout=EXIT_WITHIN)
        assert code == 0, server.output[-4000:]
        print(f"exit after SIGTERM: {seconds:.2f} s")


async def test_sigterm_with_workers_exits_after_its_drain(
    redis_url: str, connect: ClientFactory
) -> None:
    async with serving("--workers", "2", "--redis", redis_url, env=DRAIN) as server:
        watchers = await spectators(server.url, connect, "websocket", 4)
        async with a_stuck_reader(server.url, redis_url, watchers):
            code, seconds = await server.terminate(timeout=EXIT_WITHIN)
        assert code == 0, server.output[-4000:]
        print(f"exit after SIGTERM (--workers 2): {seconds:.2f} s")
