"""The seam with uvicorn: a protocol class passed as `uvicorn.Config(ws=...)`.

uvicorn's HTTP protocols (h11, httptools) hand a websocket upgrade to
`ws(config=..., server_state=..., app_state=...)`, then call `connection_made(transport)`,
`transport.set_protocol(it)` and `data_received(<the request, re-serialised>)`
(tests/architus_ws/transport/test_uvicorn_seam.py holds uvicorn to exactly that). This class
reads the request line only: an upgrade under a mounted Engine.IO path becomes a
`WebSocketConnection` on the same transport, and this object is dropped; any other upgrade
goes to `fallback` (uvicorn's own websocket protocol, for ASGI websocket routes) or is
refused with 404.

uvicorn imports `ws` by name in each worker (`--workers N`), so the class must be
importable: `EngineUpgrade` finds engines in `MOUNTS`, which `EngineApp` fills when the
application is built. `upgrade_protocol(mounts)` makes a class bound to other mounts.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, ClassVar, cast
from urllib.parse import unquote

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from websockets.datastructures import Headers

from architus_ws.transport import errors
from architus_ws.transport.engine import Engine
from architus_ws.transport.websocket import AddressOf, WebSocketConnection


class Mounts:
    """Engines by path prefix (`/socket.io/`)."""

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}

    def add(self, engine: Engine) -> None:
        self._engines[_prefix(engine.options.path)] = engine

    def remove(self, engine: Engine) -> None:
        prefix = _prefix(engine.options.path)
        if self._engines.get(prefix) is engine:
            del self._engines[prefix]

    def find(self, path: str) -> Engine | None:
        for prefix, engine in self._engines.items():
            if path.startswith(prefix) or path == prefix[:-1]:
                return engine
        return None


def _prefix(path: str) -> str:
    return "/" + path.strip("/") + "/"


MOUNTS = Mounts()


class EngineUpgrade(asyncio.Protocol):
    mounts: ClassVar[Mounts] = MOUNTS
    # e.g. uvicorn.protocols.websockets.websockets_sansio_impl.WebSocketsSansIOProtocol
    fallback: ClassVar[type[asyncio.Protocol] | None] = None

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any]) -> None:
        self._config = config
        self._server_state = server_state
        self._app_state = app_state
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        transport = self._transport
        assert transport is not None
        target = data.split(b" ", 2)[1] if data.count(b" ", 0, 8192) >= 2 else b""
        path = unquote(target.partition(b"?")[0].decode("latin-1"))
        engine = self.mounts.find(path)
        connections = getattr(self._server_state, "connections", None)
        if engine is not None:
            protocol: asyncio.Protocol = WebSocketConnection(
                engine, transport, connections, forwarded_address(self._config)
            )
        elif self.fallback is not None:
            protocol = self.fallback(  # type: ignore[call-arg]
                config=self._config, server_state=self._server_state, app_state=self._app_state
            )
            protocol.connection_made(transport)
        else:
            refusal = errors.Refusal(404, 0, "Not found")
            body = refusal.body()
            transport.write(
                b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
            )
            transport.close()
            return
        transport.set_protocol(protocol)
        protocol.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        pass  # only if the connection ends before the request is handed over


def forwarded_address(config: Any) -> AddressOf | None:
    """With uvicorn's `proxy_headers` on (its default), the client address its
    `ProxyHeadersMiddleware` gives ASGI requests (`X-Forwarded-For` from the
    `forwarded_allow_ips` hosts), so that a websocket, its long-polling requests and the
    per-address admission all see the same address behind a reverse proxy."""
    if not getattr(config, "proxy_headers", False):
        return None
    return _forwarded_address(_trusted(config.forwarded_allow_ips))


def _trusted(allowed: list[str] | str) -> tuple[str, ...] | str:
    return allowed if isinstance(allowed, str) else tuple(allowed)


@functools.lru_cache(maxsize=8)
def _forwarded_address(trusted: tuple[str, ...] | str) -> AddressOf:
    found: list[Any] = []

    async def capture(scope: Any, receive: Any, send: Any) -> None:
        found.append(scope.get("client"))

    middleware = ProxyHeadersMiddleware(
        capture, trusted_hosts=trusted if isinstance(trusted, str) else list(trusted)
    )

    def address_of(peer: str | None, headers: Headers) -> str | None:
        forwarded = headers.get_all("X-Forwarded-For")
        if peer is None or not forwarded:
            return peer
        scope = {
            "type": "websocket",
            "client": (peer, 0),
            "headers": [(b"x-forwarded-for", value.encode("latin-1")) for value in forwarded],
        }
        # The middleware's __call__ is a coroutine that awaits nothing but `capture`, which
        # awaits nothing: it runs to its end on the first step.
        step = middleware(scope, _nothing, _nothing)  # type: ignore[arg-type]
        try:
            step.send(None)
        except StopIteration:
            pass
        else:
            step.close()
            return peer
        client = found.pop() if found else None
        found.clear()
        return str(client[0]) if client else peer

    return address_of


async def _nothing(*args: Any) -> Any:
    raise RuntimeError("not used")


def upgrade_protocol(
    mounts: Mounts, fallback: type[asyncio.Protocol] | None = None
) -> type[EngineUpgrade]:
    """A protocol class for `uvicorn.Config(ws=...)` bound to `mounts` (one process)."""
    return type("BoundEngineUpgrade", (EngineUpgrade,), {"mounts": mounts, "fallback": fallback})
