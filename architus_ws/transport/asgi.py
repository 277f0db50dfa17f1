"""The ASGI side: Engine.IO's paths to the long-polling transport, the rest to the inner app.

Websocket upgrades under an Engine.IO path never reach ASGI when uvicorn runs with
`ws=EngineUpgrade` (upgrade.py); one that does (another server) is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from architus_ws.transport import errors, polling
from architus_ws.transport.engine import Engine
from architus_ws.transport.upgrade import MOUNTS, Mounts

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class EngineApp:
    def __init__(self, inner: ASGIApp | None, *engines: Engine, mounts: Mounts = MOUNTS) -> None:
        self.inner = inner
        self.engines = engines
        self.mounts = mounts
        for engine in engines:
            mounts.add(engine)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            engine = self.mounts.find(scope["path"])
            if engine is not None:
                await polling.handle(engine, scope, receive, send)
                return
        elif kind == "websocket":
            if self.mounts.find(scope["path"]) is not None:
                await send({"type": "websocket.close", "code": 1008})
                return
        elif kind == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if self.inner is None:
            await polling.refuse(send, errors.Refusal(404, 0, "Not found"), [])
            return
        await self.inner(scope, receive, send)

    async def _lifespan(self, scope: Scope, receive: Any, send: Any) -> None:
        async def receive_closing_engines() -> Any:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                for engine in self.engines:
                    await engine.shutdown()
            return message

        if self.inner is not None:
            await self.inner(scope, receive_closing_engines, send)
            return
        while True:
            message = await receive_closing_engines()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
