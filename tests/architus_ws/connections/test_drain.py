"""Drain (connections/drain.py) on a real `architus-ws serve` process: SIGTERM makes the node
unready, refuses new connects, tells every socket to reconnect and closes them at the
Engine.IO layer spread over the window, then exits 0; a second signal ends it at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import aiohttp
import pytest
import socketio
import websockets

from tests.architus_ws.requests.test_spectate import ALL, GUILD
from tests.conftest import token
from tests.processes import ServeProcess, serving
from tests.raw_socket import recv_text

WINDOW = 3.0
SOCKETS = 8


class Watcher:
    """A python-socketio dashboard that notes the `reconnect` push and how it was closed."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.notices: list[dict[str, Any]] = []
        self.closed: tuple[float, str] | None = None
        self.sio.on("reconnect", self.notices.append)
        self.sio.on("disconnect", self._gone)

    def _gone(self, reason: str = "") -> None:
        self.closed = (time.monotonic(), str(reason))

    async def open(self, url: str, transport: str) -> Watcher:
        await self.sio.connect(
            url, auth={"token": token(guilds={GUILD: ALL})}, transports=[transport]
        )
        ack = await self.sio.call("spectate", {"guild_id": GUILD, "include_logs": True})
        assert ack["ok"], ack
        return self


async def readyz(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url + "/readyz") as answer:
        return answer.status, await answer.text()


async def test_sigterm_drains_the_node_over_its_window(redis_url: str) -> None:
    env = {"ARCHITUS_DRAIN_SECONDS": str(WINDOW)}
    async with serving("--redis", redis_url, env=env) as server:
        watchers = [
            await Watcher().open(server.url, "websocket" if n % 2 else "polling")
            for n in range(SOCKETS)
        ]
        raw = await websockets.connect(
            server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
            compression=None,
        )
        await raw.recv()
        await raw.send("40" + json.dumps({"token": token(guilds={GUILD: ALL})}))
        frames = [await recv_text(raw)]
        # an Engine.IO session opened before the signal, whose Socket.IO connect comes after
        opened_before = await websockets.connect(
            server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
            compression=None,
        )
        await opened_before.recv()
        assert (await readyz(server.url))[0] == 200
        assert server.process is not None
        signalled = time.monotonic()
        server.process.terminate()
        async with asyncio.timeout(WINDOW):
            while (await readyz(server.url))[0] != 503:
                await asyncio.sleep(0.02)
        assert (await readyz(server.url))[1] == "draining\n"
        # a new connect is refused at the Engine.IO handshake, where socket.io-client goes on
        # retrying with its backoff (a refused Socket.IO CONNECT would make it give up)
        handshake = server.url + "/socket.io/?EIO=4&transport=polling"
        async with aiohttp.ClientSession() as http, http.get(handshake) as answer:
            assert answer.status == 503
            assert (await answer.json())["code"] == 8
        late = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await late.connect(server.url, transports=["websocket"])
        # a CONNECT on a session opened before the drain: the contract's 503 `unavailable`
        await opened_before.send("40")
        refusal = await recv_text(opened_before)
        assert refusal.startswith("44"), refusal
        assert json.loads(refusal[2:])["code"] == 503, refusal
        await opened_before.close()
        with contextlib.suppress(websockets.ConnectionClosed):
            async with asyncio.timeout(WINDOW + 10):
                while True:
                    frames.append(await recv_text(raw))
        code = await asyncio.wait_for(server.process.wait(), WINDOW + 10)
        exited = time.monotonic() - signalled
    assert code == 0, server.output[-3000:]
    for watcher in watchers:
        assert watcher.notices == [{"reason": "shutdown", "within_ms": int(WINDOW * 1000)}]
        assert watcher.closed is not None
        # python-socketio names an Engine.IO close this way (socket.io-client: "transport close")
        assert watcher.closed[1] == "server disconnect", watcher.closed
    # closed at the Engine.IO layer, never by a Socket.IO DISCONNECT ("41"), after which the
    # official clients would not reconnect by themselves
    assert frames[0].startswith("40{"), frames
    assert '42["reconnect",{"reason":"shutdown","within_ms":3000}]' in frames, frames
    assert not any(frame.startswith("41") for frame in frames), frames
    closes = sorted(at for at, _ in (w.closed for w in watchers if w.closed))
    # spread over the window, not all at once, and all before the exit
    assert closes[-1] - closes[0] >= WINDOW * 0.9 * (SOCKETS - 1) / SOCKETS * 0.5
    assert closes[-1] - signalled <= exited
    print(f"drain of {SOCKETS} sockets: exit {exited:.2f} s after SIGTERM")


async def test_a_second_signal_ends_the_drain_at_once(redis_url: str) -> None:
    server = ServeProcess("--redis", redis_url, env={"ARCHITUS_DRAIN_SECONDS": "60"})
    try:
        await server.start()
        watchers = [await Watcher().open(server.url, "websocket") for _ in range(3)]
        assert server.process is not None
        server.process.terminate()
        async with asyncio.timeout(10):
            while not all(w.notices for w in watchers):
                await asyncio.sleep(0.02)
        signalled = time.monotonic()
        server.process.terminate()
        code = await asyncio.wait_for(server.process.wait(), 20)
        assert code == 0, server.output[-3000:]
        # far inside the 60 s window
        assert time.monotonic() - signalled < 15
        assert all(w.closed is not None for w in watchers)
    finally:
        await server.stop()
