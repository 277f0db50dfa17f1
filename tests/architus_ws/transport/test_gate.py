"""The door before HTTP (transport/gate.py), on a real gateway over real sockets: idle TCP
connections cannot take the process's descriptors, and health stays answerable."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
import websockets

from architus_ws.transport.gate import ConnectionGate
from tests.conftest import RunningGateway, settings, start_gateway
from tests.raw_socket import recv_text

# Linux routes all of 127.0.0.0/8 to loopback: 127.0.0.2 is another client address, one
# that uvicorn does not trust for X-Forwarded-For (127.0.0.1 is its default).
ATTACKER = "127.0.0.2"
WEBSOCKET_PATH = "/socket.io/?EIO=4&transport=websocket"


async def idle_connection(
    port: int, local: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """True once the server has closed or reset the connection (waits up to 30 s)."""
    try:
        async with asyncio.timeout(30):
            return await reader.read(1) == b""
    except ConnectionResetError:
        return True


def port_of(gateway: RunningGateway) -> int:
    return int(gateway.url.rsplit(":", 1)[1])


async def metric(gateway: RunningGateway, name: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/metrics") as answer:
        text = await answer.text()
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


async def healthy(gateway: RunningGateway) -> bool:
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/healthz") as answer:
        return answer.status == 200


@contextlib.asynccontextmanager
async def running(gate: ConnectionGate, **overrides: Any) -> AsyncIterator[RunningGateway]:
    gateway = await start_gateway(settings(**overrides), gate=gate)
    try:
        yield gateway
    finally:
        await gateway.stop()


async def test_idle_connections_from_one_address_take_only_its_share() -> None:
    gate = ConnectionGate()
    async with running(gate, connections_per_address=20) as gateway:
        held = [await idle_connection(port_of(gateway), ATTACKER) for _ in range(60)]
        refused = [reader for reader, _ in held[20:]]
        assert all(await asyncio.gather(*(closed_by_server(reader) for reader in refused)))
        assert gate.by_address[ATTACKER] == 20
        # everyone else is still served, health included
        assert await healthy(gateway)
        assert await metric(gateway, "architus_tcp_refused_total") == 40
        for _, writer in held:
            writer.close()


async def test_past_max_connections_arrivals_are_refused_until_some_close() -> None:
    gate = ConnectionGate()
    async with running(gate, max_connections=30) as gateway:
        held = [await idle_connection(port_of(gateway), "127.0.0.1") for _ in range(30)]
        reader, writer = await idle_connection(port_of(gateway), "127.0.0.1")
        assert await closed_by_server(reader)
        writer.close()
        with pytest.raises(aiohttp.ClientError):
            await healthy(gateway)
        for _, idle in held[:5]:
            idle.close()
        # the slots come back as the held connections close
        async with asyncio.timeout(30):
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    if await healthy(gateway):
                        break
                await asyncio.sleep(0.05)
        assert gate.refused >= 2
        for _, idle in held[5:]:
            idle.close()


async def test_a_connection_that_sends_nothing_is_closed() -> None:
    gate = ConnectionGate()
    async with running(gate) as gateway:
        gate.configure(replace(gate.limits, first_byte_timeout=0.3))
        silent, silent_writer = await idle_connection(port_of(gateway), ATTACKER)
        assert await closed_by_server(silent)
        assert gate.timed_out == 1
        assert gate.by_address.get(ATTACKER, 0) == 0
        silent_writer.close()
        # one that speaks is served as before
        assert await healthy(gateway)


async def test_websockets_leave_the_per_address_count_once_upgraded() -> None:
    """An upgraded websocket is counted by the Engine.IO admission per client address, not
    by the door: 30 dashboards from one address, with a door of 10."""
    gate = ConnectionGate()
    async with running(gate, connections_per_address=10) as gateway:
        url = gateway.url.replace("http", "ws") + WEBSOCKET_PATH
        sockets = []
        for _ in range(30):
            socket = await websockets.connect(url, local_addr=(ATTACKER, 0), compression=None)
            assert (await recv_text(socket)).startswith("0{")
            sockets.append(socket)
        assert gate.by_address.get(ATTACKER, 0) == 0
        assert gateway.gateway.engine.websockets == 30
        for socket in sockets:
            await socket.close()


async def send_until_closed(socket: websockets.ClientConnection, frame: str) -> None:
    async with asyncio.timeout(30):
        for _ in range(500):
            await socket.send(frame)
        while True:
            await socket.recv()


async def test_a_flooding_socket_is_closed_and_counted() -> None:
    async with running(ConnectionGate(), read_frames_per_second=50) as gateway:
        url = gateway.url.replace("http", "ws") + WEBSOCKET_PATH
        async with websockets.connect(url, compression=None) as flood:
            assert (await recv_text(flood)).startswith("0{")
            await flood.send("40")
            assert (await recv_text(flood)).startswith("40{")
            event = "42" + json.dumps(["ping_me", {}])
            with pytest.raises(websockets.ConnectionClosed):
                await send_until_closed(flood, event)
        assert await metric(gateway, "architus_floods_total") == 1
