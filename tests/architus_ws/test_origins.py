"""Cross-site websocket hijacking: a browser page of another origin cannot open a socket
(Engine.IO checks `Origin` on polling and websocket alike) unless the origin is allowed."""

from __future__ import annotations

import contextlib

import pytest
import socketio

from tests.conftest import settings, start_gateway


async def opens(url: str, origin: str | None, transport: str) -> bool:
    sio = socketio.AsyncClient(reconnection=False)
    headers = {"Origin": origin} if origin else {}
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await sio.connect(url, headers=headers, transports=[transport], wait_timeout=5)
    connected = sio.connected
    if connected:
        await sio.disconnect()
    return connected


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_only_the_same_origin_by_default(transport: str) -> None:
    running = await start_gateway(settings())
    try:
        assert await opens(running.url, None, transport)  # not a browser: no Origin
        assert await opens(running.url, running.url, transport)
        assert not await opens(running.url, "https://evil.example", transport)
    finally:
        await running.stop()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_configured_origins(transport: str) -> None:
    running = await start_gateway(settings(cors_origins=("https://architus.app",)))
    try:
        assert await opens(running.url, "https://architus.app", transport)
        assert not await opens(running.url, "https://evil.example", transport)
    finally:
        await running.stop()
