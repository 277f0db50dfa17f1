"""The server the official Engine.IO and Socket.IO protocol suites run against.

`/engine.io/` echoes every message; `/socket.io/` is python-socketio on this transport,
configured as the suites' READMEs say: ping interval 300 ms, ping timeout 200 ms, max
payload 1,000,000 bytes, connect timeout 1 s, any origin.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import socketio
import uvicorn

from architus_ws.transport.asgi import EngineApp
from architus_ws.transport.engine import Engine
from architus_ws.transport.options import EngineOptions
from architus_ws.transport.session import Session
from architus_ws.transport.socketio_engine import AsyncServer
from architus_ws.transport.upgrade import Mounts, upgrade_protocol

SUITE_OPTIONS = EngineOptions(
    path="/engine.io/",
    ping_interval=0.3,
    ping_timeout=0.2,
    max_payload=1_000_000,
    allowed_origins="*",
    # pings may be late by one tick; at a 300 ms interval that must stay small
    heartbeat_tick=0.01,
)
NAMESPACES = ("/", "/custom")
AUTH_DELAY = 0.01


def _echo(session: Session, data: str | bytes) -> None:
    session.send(data)


def build(mounts: Mounts) -> EngineApp:
    echo = Engine(SUITE_OPTIONS, on_message=_echo)
    engine = Engine(replace(SUITE_OPTIONS, path="/socket.io/", connect_timeout=1.0))
    sio = AsyncServer(engine=engine, namespaces="*")

    @sio.on("connect", namespace="*")  # type: ignore[untyped-decorator]
    async def connect(namespace: str, sid: str, environ: dict[str, Any], auth: Any) -> None:
        if namespace not in NAMESPACES:
            raise socketio.exceptions.ConnectionRefusedError("Invalid namespace")
        sio.start_background_task(send_auth, sid, namespace, auth or {})

    async def send_auth(sid: str, namespace: str, auth: Any) -> None:
        # After python-socketio's CONNECT packet, which follows the connect handler, and not
        # in the same read as it: the suites' client (ws 8.5) emits every frame of one read
        # at once, and a test awaiting CONNECT has not yet listened for the next message.
        await asyncio.sleep(AUTH_DELAY)
        await sio.emit("auth", auth, to=sid, namespace=namespace)

    @sio.on("message", namespace="*")  # type: ignore[untyped-decorator]
    async def message(namespace: str, sid: str, *args: Any) -> None:
        await sio.emit("message-back", args, to=sid, namespace=namespace)

    @sio.on("message-with-ack", namespace="*")  # type: ignore[untyped-decorator]
    async def message_with_ack(namespace: str, sid: str, *args: Any) -> tuple[Any, ...]:
        return args

    return EngineApp(None, echo, engine, mounts=mounts)


async def serve_conformance(host: str, port: int) -> None:
    mounts = Mounts()
    config = uvicorn.Config(
        build(mounts),
        host=host,
        port=port,
        ws=upgrade_protocol(mounts),
        lifespan="on",
        log_level="warning",
    )
    await uvicorn.Server(config).serve()


if __name__ == "__main__":
    import sys

    asyncio.run(serve_conformance("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
