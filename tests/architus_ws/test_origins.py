"""Cross-site websocket hijacking: a browser page of another origin cannot open a socket
(Engine.IO checks `Origin` on polling and websocket alike) unless the origin is allowed."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import socketio

from architus_ws import Settings
from architus_ws.config import ConfigError
from tests.conftest import settings, start_gateway, token


async def opens(url: str, origin: str | None, transport: str) -> bool:
    sio = socketio.AsyncClient(reconnection=False)
    headers = {"Origin": origin} if origin else {}
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await sio.connect(url, headers=headers, transports=[transport], wait_timeout=5)
    connected = bool(sio.connected)
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


async def cookie_client(url: str, origin: str | None, cookie: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    headers = {"Cookie": cookie} | ({"Origin": origin} if origin else {})
    await sio.connect(url, headers=headers, transports=["websocket"], wait_timeout=5)
    return sio


async def test_a_token_cookie_elevates_only_from_an_allowed_origin() -> None:
    """architus's dashboard sent its JWT as an HttpOnly cookie: with ARCHITUS_TOKEN_COOKIE the
    gateway takes it at connect, and only when the Origin is one of ARCHITUS_CORS_ORIGINS
    (a browser adds cookies to a cross-site handshake too, but cannot forge Origin)."""
    running = await start_gateway(
        settings(cors_origins=("https://architus.app",), token_cookie="architus_token")
    )
    jwt = token(guilds={"900000000000000001": 0x2})
    try:
        allowed = await cookie_client(
            running.url, "https://architus.app", f"theme=dark; architus_token={jwt}"
        )
        no_origin = await cookie_client(running.url, None, f"architus_token={jwt}")
        for sio, elevated in ((allowed, True), (no_origin, False)):
            ack = await sio.call("spectate", {"guild_id": "900000000000000001"}, timeout=5)
            assert ack["ok"] is elevated, ack
            await sio.disconnect()
        # a bad cookie token is refused like a bad connect token
        refused = socketio.AsyncClient(reconnection=False)
        errors: list[Any] = []
        refused.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect(
                running.url,
                headers={"Origin": "https://architus.app", "Cookie": "architus_token=forged"},
                transports=["websocket"],
                wait_timeout=5,
            )
        assert errors[0]["code"] == 401, errors
    finally:
        await running.stop()


async def test_a_cookie_without_allowed_origins_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ARCHITUS_CORS_ORIGINS"):
        Settings.from_env({"ARCHITUS_JWT_SECRET": "s" * 32, "ARCHITUS_TOKEN_COOKIE": "t"})
