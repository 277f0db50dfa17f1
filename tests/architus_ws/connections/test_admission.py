"""Connects per address: a budget, a cap on open sockets, and idle anonymous sockets closed."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
import pytest
import socketio

from architus_ws.config import RateLimit
from tests.conftest import RunningGateway, settings, start_gateway, token
from tests.raw_socket import RawSocket, recv_text

PATH = "/socket.io/?EIO=4&transport=polling"


async def attempt(url: str, auth: Any = None) -> tuple[socketio.AsyncClient, list[Any]]:
    errors: list[Any] = []
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("connect_error", errors.append)
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    return sio, errors


async def close_all(clients: list[socketio.AsyncClient]) -> None:
    for client in clients:
        if client.connected:
            await client.disconnect()


async def test_a_connect_flood_from_one_address_is_refused_with_a_code() -> None:
    running = await start_gateway(settings(connect_rate=RateLimit(5, 10)))
    clients: list[socketio.AsyncClient] = []
    try:
        outcomes = []
        for _ in range(8):
            sio, errors = await attempt(running.url)
            clients.append(sio)
            outcomes.append(errors)
        assert [not errors for errors in outcomes] == [True] * 5 + [False] * 3
        refusal = outcomes[-1][0]
        assert (refusal["code"], refusal["reason"]) == (429, "rate_limited")
        assert refusal["retry_after"] > 0
        assert len(running.gateway.sessions) == 5
    finally:
        await close_all(clients)
        await running.stop()


async def test_open_sockets_per_address_are_capped() -> None:
    running = await start_gateway(settings(sockets_per_address=3))
    clients: list[socketio.AsyncClient] = []
    try:
        for _ in range(3):
            sio, errors = await attempt(running.url)
            assert errors == []
            clients.append(sio)
        sio, errors = await attempt(running.url)
        assert errors[0]["code"] == 429
        assert "open connections" in errors[0]["message"]
        await clients.pop().disconnect()
        await asyncio.sleep(0.2)
        again, errors = await attempt(running.url)  # a closed socket frees its place
        clients.append(again)
        assert errors == []
    finally:
        await close_all(clients)
        await running.stop()


async def test_idle_anonymous_sockets_are_closed_elevated_ones_kept() -> None:
    running: RunningGateway = await start_gateway(settings(idle_anonymous_seconds=0.4))
    clients: list[socketio.AsyncClient] = []
    try:
        anonymous, _ = await attempt(running.url)
        chatty, _ = await attempt(running.url)
        elevated, _ = await attempt(running.url, auth={"token": token()})
        clients += [anonymous, chatty, elevated]
        for _ in range(8):
            await asyncio.sleep(0.1)
            assert (await chatty.call("demote", timeout=5))["ok"]
        async with asyncio.timeout(3):
            while anonymous.connected:
                await asyncio.sleep(0.05)
        assert chatty.connected
        assert elevated.connected
        metrics = running.gateway.metrics.render().decode()
        assert "architus_idle_anonymous_closed_total 1.0" in metrics
    finally:
        await close_all(clients)
        await running.stop()


async def test_an_idle_anonymous_websocket_is_closed_not_only_its_namespace() -> None:
    """Leaving the namespace alone would keep the websocket (and its Engine.IO session, which
    admission counts) open for as long as the client answers pings."""
    running: RunningGateway = await start_gateway(settings(idle_anonymous_seconds=0.4))
    try:
        idler = await RawSocket.open(running.url)
        frames = []
        async with asyncio.timeout(5):
            while (frame := await idler.next_packet()) is not None:
                frames.append(frame)  # pings are answered: only the idle rule can close it
        assert idler.closed
        assert frames[-1:] == ["1"]  # Engine.IO close, not a namespace disconnect (41)
        assert running.gateway.engine.sessions == {}
    finally:
        await running.stop()


async def test_behind_a_trusted_proxy_the_forwarded_address_counts() -> None:
    """uvicorn trusts X-Forwarded-For from FORWARDED_ALLOW_IPS (127.0.0.1 by default): the
    transport's websockets see the address its ASGI requests see, so admission counts each
    client behind the proxy on its own, and a polling session upgrades to a websocket."""
    running = await start_gateway(settings(sockets_per_address=1))
    clients: list[socketio.AsyncClient] = []
    try:
        for address in ("203.0.113.7", "203.0.113.8"):
            for transports in (["websocket"], ["polling", "websocket"]):
                sio = socketio.AsyncClient(reconnection=False)
                clients.append(sio)
                await sio.connect(
                    running.url,
                    headers={"X-Forwarded-For": address},
                    transports=transports,
                    wait_timeout=5,
                )
                async with asyncio.timeout(5):
                    while sio.transport() != "websocket":
                        await asyncio.sleep(0.01)
                addresses = [s.address for s in running.gateway.engine.sessions.values()]
                assert addresses.count(address) == 1, addresses
                await sio.disconnect()
                async with asyncio.timeout(5):
                    while running.gateway.engine.sessions:
                        await asyncio.sleep(0.01)
        # one socket per address: a second from the same forwarded address is refused
        first = socketio.AsyncClient(reconnection=False)
        clients.append(first)
        await first.connect(
            running.url, headers={"X-Forwarded-For": "203.0.113.9"}, transports=["websocket"]
        )
        errors: list[Any] = []
        second = socketio.AsyncClient(reconnection=False)
        clients.append(second)
        second.on("connect_error", errors.append)
        with contextlib.suppress(socketio.exceptions.ConnectionError):
            await second.connect(
                running.url,
                headers={"X-Forwarded-For": "203.0.113.9"},
                transports=["websocket"],
                wait_timeout=5,
            )
        assert errors, "refused without a connect_error"
        assert errors[0]["code"] == 429, errors
    finally:
        await close_all(clients)
        await running.stop()


async def test_engine_io_sessions_without_a_connect_are_capped_and_closed() -> None:
    """Sessions that never send a Socket.IO CONNECT count too: past the socket cap (plus a
    few connects in flight) the handshake itself is refused, and each such session is closed
    at the connect timeout."""
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    from architus_ws.connections.admission import CONNECTS_IN_FLIGHT

    running = await start_gateway(settings(sockets_per_address=2, connect_timeout=0.5))
    url = running.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    held = []
    try:
        for _ in range(2 + CONNECTS_IN_FLIGHT):
            ws = await ws_connect(url, compression=None)
            assert (await recv_text(ws)).startswith("0{")  # Engine.IO open, and no "40" after it
            held.append(ws)
        with pytest.raises(InvalidStatus) as refused:
            await ws_connect(url, compression=None)
        assert refused.value.response.status_code == 503
        async with aiohttp.ClientSession() as http, http.get(running.url + PATH) as response:
            assert response.status == 503  # long-polling handshakes are counted alike
        for ws in held:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 3)
        assert running.gateway.engine.sessions == {}
        again, errors = await attempt(running.url)  # their places are free again
        assert errors == []
        await again.disconnect()
    finally:
        for ws in held:
            await ws.close()
        await running.stop()
