"""An access log that cannot leak credentials (on with ARCHITUS_ACCESS_LOG=1).

uvicorn's access log prints each request line, query string included, and the query string
of every long-polling request holds its Engine.IO session id, which is all it takes to
speak for that session. Here a request is its method, its path without the query, its status,
its duration and the client address; never the query string, never a header.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# a name operators filter on, kept when the module moves
logger = logging.getLogger("architus_ws.access_log")


class AccessLog:
    """ASGI middleware: one line per HTTP request and per websocket, when it ends (a
    websocket's duration is the connection's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status: int | None = None

        async def sending(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start"):
                status = int(message["status"])
            elif kind == "websocket.accept":
                status = 101
            elif kind == "websocket.close" and status is None:
                status = 403  # closed before accepting: uvicorn answers 403
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            client = scope.get("client")
            method = scope.get("method", "GET") if scope["type"] == "http" else "WebSocket"
            line(
                client[0] if client else None,
                method,
                scope.get("path", ""),
                status,
                time.monotonic() - started,
            )


def line(client: str | None, method: str, path: str, status: int | None, seconds: float) -> None:
    logger.info(
        '%s "%s %s" %s %.3fs',
        client or "-",
        method,
        # the path alone, re-escaped: a decoded path may hold a newline
        quote(path, safe="/:@!$&'()*+,;=-._~"),
        status if status is not None else "-",
        seconds,
    )


def engine_websocket(path: str) -> Callable[[str | None, int | None, float], None]:
    """For `EngineOptions.on_websocket_done`: the transport's websockets (under `path`) never
    pass through ASGI, so the engine reports each one when it ends."""

    def done(client: str | None, status: int | None, seconds: float) -> None:
        line(client, "WebSocket", path, status, seconds)

    return done
