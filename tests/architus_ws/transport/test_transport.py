"""The transport's rules over real sockets: one uvicorn port shared with an ASGI app,
origins, admission, caps, max payload, half-sent bodies, undecodable frames, floods, slow
consumers, connect and ping timeouts, fan-out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from architus_ws.transport.asgi import EngineApp
from architus_ws.transport.engine import Engine
from architus_ws.transport.options import EngineOptions
from architus_ws.transport.session import Session
from architus_ws.transport.upgrade import Mounts, upgrade_protocol
from tests.ports import free_port

FAST = EngineOptions(path="/engine.io/", ping_interval=5, ping_timeout=5, heartbeat_tick=0.02)


@dataclass
class Served:
    url: str
    engine: Engine
    sessions: list[Session] = field(default_factory=list)
    closed: list[tuple[str, str]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    slow: list[int] = field(default_factory=list)

    @property
    def ws(self) -> str:
        return self.url.replace("http", "ws") + "/engine.io/?EIO=4&transport=websocket"

    @property
    def polling(self) -> str:
        return self.url + "/engine.io/?EIO=4&transport=polling"


async def _inner(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"inner " + scope["path"].encode()})


@contextlib.asynccontextmanager
async def serve(
    options: EngineOptions = FAST,
    on_connect: Callable[[Served, Session], None] | None = None,
) -> AsyncIterator[Served]:
    served: Served

    def connected(session: Session) -> None:
        served.sessions.append(session)
        if on_connect is not None:
            on_connect(served, session)

    options = replace(
        options,
        on_violation=lambda why: served.violations.append(why),
        on_slow_consumer=lambda: served.slow.append(1),
        on_flood=lambda: served.violations.append("flood"),
    )
    engine = Engine(
        options,
        on_connect=connected,
        on_message=lambda session, data: session.send(data),
        on_close=lambda session, why: served.closed.append((session.sid, why)),
    )
    port = free_port()
    served = Served(f"http://127.0.0.1:{port}", engine)
    mounts = Mounts()
    config = uvicorn.Config(
        EngineApp(_inner, engine, mounts=mounts),
        host="127.0.0.1",
        port=port,
        ws=upgrade_protocol(mounts),
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield served
    finally:
        server.should_exit = True
        await task


async def _open(served: Served, **kwargs: Any) -> ClientConnection:
    ws = await connect(served.ws, **kwargs)
    handshake = await ws.recv()
    assert isinstance(handshake, str)
    assert handshake.startswith("0")
    return ws


async def _until(condition: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_the_port_is_shared_with_the_inner_app() -> None:
    async with serve() as served, aiohttp.ClientSession() as http:
        async with http.get(served.url + "/healthz") as response:
            assert await response.text() == "inner /healthz"
        async with http.get(served.polling) as response:
            assert (await response.text()).startswith('0{"sid":')
        ws = await _open(served)
        await ws.send("4hello")
        assert await ws.recv() == "4hello"
        await ws.close()
        with pytest.raises(InvalidStatus) as refused:
            await connect(served.url.replace("http", "ws") + "/elsewhere/")
        assert refused.value.response.status_code == 404


async def test_origins_are_the_page_own_unless_configured() -> None:
    async with serve() as served, aiohttp.ClientSession() as http:
        with pytest.raises(InvalidStatus) as refused:
            await connect(served.ws, origin="http://evil.example")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
        host = served.url.removeprefix("http://")
        ws = await _open(served, origin=f"http://{host}")
        await ws.close()
        async with http.get(served.polling, headers={"Origin": "http://evil.example"}) as r:
            assert r.status == 403
    async with serve(replace(FAST, allowed_origins=["http://good.example"])) as served:
        ws = await _open(served, origin="http://good.example")
        await ws.close()


class OnePerAddress:
    def __init__(self) -> None:
        self.held: dict[str | None, int] = {}

    def admit(self, address: str | None) -> bool:
        if self.held.get(address, 0) >= 1:
            return False
        self.held[address] = self.held.get(address, 0) + 1
        return True

    def release(self, address: str | None) -> None:
        self.held[address] -= 1


async def test_admission_counts_engine_sessions_and_releases_them() -> None:
    admission = OnePerAddress()
    async with serve(replace(FAST, admission=admission)) as served:
        first = await _open(served)  # never sends anything: still counted
        with pytest.raises(InvalidStatus) as refused:
            await connect(served.ws)
        assert refused.value.response.status_code == 503
        await first.close()
        await _until(lambda: admission.held.get("127.0.0.1") == 0)
        second = await _open(served)
        await second.close()


async def test_open_connections_are_capped() -> None:
    async with serve(replace(FAST, max_connections=2)) as served:
        held = [await _open(served), await _open(served)]
        with pytest.raises(InvalidStatus) as refused:
            await connect(served.ws)
        assert refused.value.response.status_code == 503
        for ws in held:
            await ws.close()


async def test_payloads_past_the_maximum_close_the_connection() -> None:
    async with serve(replace(FAST, max_payload=1000)) as served:
        ws = await _open(served)
        await ws.send("4" + "x" * 2000)
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        async with aiohttp.ClientSession() as http:
            async with http.get(served.polling) as response:
                sid = json.loads((await response.text())[1:])["sid"]
            async with http.post(served.polling + f"&sid={sid}", data="4" + "x" * 2000) as r:
                assert r.status == 413
        await _until(lambda: len(served.violations) == 2)


async def test_a_half_sent_body_times_out() -> None:
    async with serve(replace(FAST, body_timeout=0.3)) as served:
        async with aiohttp.ClientSession() as http, http.get(served.polling) as response:
            sid = json.loads((await response.text())[1:])["sid"]
        port = int(served.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
            "Host: x\r\nContent-Length: 999999\r\n\r\n4h".encode()
        )
        started = time.monotonic()
        status = await asyncio.wait_for(reader.readline(), 5)
        assert b" 408 " in status
        assert time.monotonic() - started < 2
        writer.close()
        assert "half-sent request" in served.violations


async def test_a_frame_that_does_not_decode_closes_the_connection() -> None:
    async with serve() as served:
        ws = await _open(served)
        await ws.send("abc")
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert served.violations == ["not an Engine.IO packet"]
        await _until(lambda: served.closed == [(served.sessions[0].sid, "transport error")])


async def test_a_flood_past_the_budget_is_closed() -> None:
    async with serve(replace(FAST, max_frames_per_second=20)) as served:
        ws = await _open(served)
        with contextlib.suppress(ConnectionClosed):
            for _ in range(100):
                await ws.send("4x")
        await _until(lambda: "flood" in served.violations)


def _send_forever(served: Served, session: Session) -> None:
    async def push() -> None:
        while not session.closed:
            session.send("x" * 65536)
            await asyncio.sleep(0)

    served.engine.spawn(push())


async def test_a_slow_consumer_is_cut_by_bytes() -> None:
    options = replace(FAST, outbound_limit=1_000_000)
    async with serve(options, on_connect=_send_forever) as served:
        port = int(served.url.rsplit(":", 1)[1])
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(("127.0.0.1", port))
        client.sendall(
            b"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        # and never reads
        await _until(lambda: served.slow == [1], timeout=20)
        await _until(lambda: len(served.closed) == 1)
        client.close()


async def test_a_session_never_established_is_closed_after_the_connect_timeout() -> None:
    async with serve(replace(FAST, connect_timeout=0.2)) as served:
        ws = await _open(served)
        started = time.monotonic()
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert 0.15 < time.monotonic() - started < 1.5
        served.sessions.clear()

        def establish(served: Served, session: Session) -> None:
            session.established()

    async with serve(replace(FAST, connect_timeout=0.2), on_connect=establish) as served:
        ws = await _open(served)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)
        await ws.close()


async def test_pings_and_their_timeout() -> None:
    async with serve(replace(FAST, ping_interval=0.1, ping_timeout=0.1)) as served:
        ws = await _open(served)
        assert await ws.recv() == "2"
        await ws.send("3")
        assert await ws.recv() == "2"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 2)
        await _until(lambda: served.closed[-1][1] == "ping timeout")


async def test_fan_out_frames_once_and_keeps_each_socket_order() -> None:
    async with serve() as served:
        clients = [await _open(served) for _ in range(5)]
        await _until(lambda: len(served.sessions) == 5)
        for index in range(20):
            assert served.engine.broadcast(served.sessions, f"push {index}") == 5
        served.engine.broadcast(served.sessions, b"\x01\x02")
        for ws in clients:
            assert [await ws.recv() for _ in range(20)] == [f"4push {i}" for i in range(20)]
            assert await ws.recv() == b"\x01\x02"
            await ws.close()


async def test_a_held_poll_whose_client_goes_is_released_and_ends_the_session() -> None:
    """A long-poll GET waits for packets; when its client closes the connection meanwhile,
    the session ends at once (as Engine.IO's reference server does), not at its ping timeout
    (here 60 s), and nothing of it is left."""
    async with serve(replace(FAST, ping_interval=30, ping_timeout=30)) as served:
        async with aiohttp.ClientSession() as http, http.get(served.polling) as opened:
            sid = json.loads((await opened.text())[1:])["sid"]
        port = int(served.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n\r\n".encode()
        )
        await writer.drain()
        session = served.engine.sessions[sid]
        await _until(lambda: session.poll_held)
        writer.close()
        await _until(lambda: (sid, "transport close") in served.closed)
        assert sid not in served.engine.sessions
        assert reader.at_eof() or not await reader.read()
