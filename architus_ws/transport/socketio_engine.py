"""python-socketio on this transport: the part of python-engineio's `AsyncServer` it uses.

python-socketio builds its Engine.IO server with `self._engineio_server_class()(**options)`
(socketio/base_server.py); overriding that one method, as `AsyncServer` below does, is the
whole seam. `EngineIOAdapter` offers exactly what python-socketio's server side calls on
`self.eio` (`SOCKETIO_USES`; tests/architus_ws/transport/test_seams.py reads
python-socketio's source and fails when it starts using anything else).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from architus_ws.transport import polling
from architus_ws.transport.engine import Engine
from architus_ws.transport.frames import text_or_binary_frame
from architus_ws.transport.options import EngineOptions
from architus_ws.transport.packets import Encoded
from architus_ws.transport.session import Session

Handler = Callable[..., Awaitable[Any] | Any]

# Socket.IO's BINARY_EVENT and BINARY_ACK packet types
_BINARY_SOCKETIO = ("5", "6")


class EngineIOAdapter:
    SOCKETIO_USES = frozenset(
        {
            "async_mode",
            "attach",
            "create_event",
            "generate_id",
            "get_session",
            "handle_request",
            "on",
            "send",
            "send_packet",
            "shutdown",
            "sleep",
            "start_background_task",
            "transport",
        }
    )

    async_mode = "asgi"

    def __init__(
        self,
        *,
        engine: Engine | None = None,
        logger: Any = None,
        json: Any = None,
        async_handlers: bool = False,
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
        max_http_buffer_size: int = 1_000_000,
        cors_allowed_origins: str | list[str] | None = None,
        screen: Callable[[str | bytes], str | None] | None = None,
    ) -> None:
        # `logger`, `json` and `async_handlers` are python-socketio's to pass: each
        # session's messages are handled in order here, whatever `async_handlers` says.
        # `screen` (the application's, passed through python-socketio's keywords) sees each
        # message before python-socketio: a reason it returns closes the session as a
        # protocol violation.
        self._screen = screen
        if engine is None:
            origins = (
                [cors_allowed_origins]
                if isinstance(cors_allowed_origins, str)
                else (cors_allowed_origins)
            )
            engine = Engine(
                EngineOptions(
                    path="/socket.io/",
                    ping_interval=ping_interval,
                    ping_timeout=ping_timeout,
                    max_payload=max_http_buffer_size,
                    allowed_origins="*" if origins == ["*"] else origins,
                )
            )
        self.engine = engine
        self._handlers: dict[str, Handler] = {}
        # python-socketio sends one Engine.IO packet object to every member of a room:
        # it is encoded and framed once for all of them
        self._last: tuple[Any, Encoded, bytes | None] | None = None
        engine.on("connect", self._on_connect)
        engine.on("message", self._on_message)
        engine.on("close", self._on_close)

    def on(self, event: str, handler: Handler | None = None) -> Any:
        if handler is None:

            def register(handler: Handler) -> Handler:
                self._handlers[event] = handler
                return handler

            return register
        self._handlers[event] = handler
        return None

    def attach(self, app: Any, socketio_path: str = "socket.io") -> None:
        raise NotImplementedError("mount the engine with architus_ws.transport.asgi.EngineApp")

    async def send(self, sid: str, data: str | bytes) -> None:
        session = self.engine.sessions.get(sid)
        if session is None:
            return
        if isinstance(data, str) and data[:1] == "0":
            # a Socket.IO CONNECT going out: the upper handshake is done
            session.established()
        session.send(data)

    async def send_packet(self, sid: str, packet: Any) -> None:
        session = self.engine.sessions.get(sid)
        if session is None:
            return
        last = self._last
        if last is None or last[0] is not packet:
            last = self._last = (packet, packet.encode(), None)
        if session.transport == "websocket" and last[2] is None:
            last = self._last = (packet, last[1], text_or_binary_frame(last[1]))
        session.send_packet(last[1], last[2])

    def transport(self, sid: str) -> str:
        session = self.engine.sessions.get(sid)
        if session is None:
            raise KeyError(sid)
        return session.transport

    def generate_id(self) -> str:
        return secrets.token_urlsafe(15)

    async def get_session(self, sid: str) -> dict[str, Any]:
        session = self.engine.sessions.get(sid)
        if session is None:
            raise KeyError("Session not found")
        if session.data is None:
            session.data = {}
        return session.data

    async def shutdown(self) -> None:
        await self.engine.shutdown()

    async def handle_request(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await polling.handle(self.engine, scope, receive, send)

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.engine.spawn(target(*args, **kwargs))

    async def sleep(self, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)

    def create_event(self) -> asyncio.Event:
        return asyncio.Event()

    # -- from the engine ------------------------------------------------------------------

    def _on_connect(self, session: Session) -> Awaitable[Any] | None:
        handler = self._handlers.get("connect")
        if handler is None:
            return None
        return _awaitable(handler(session.sid, environ(session)))

    def _on_message(self, session: Session, data: str | bytes) -> Awaitable[Any] | None:
        if not self.engine.options.binary and data[:1] in _BINARY_SOCKETIO:
            # an engine that takes no binary message could never complete a binary Socket.IO
            # packet: python-socketio would hold it, and take the next messages for its
            # attachments. Raising here closes the session as a protocol violation.
            raise ValueError("binary Socket.IO packets are not accepted")
        if self._screen is not None and (why := self._screen(data)) is not None:
            raise ValueError(why)
        handler = self._handlers.get("message")
        return None if handler is None else _awaitable(handler(session.sid, data))

    def _on_close(self, session: Session, reason: str) -> Awaitable[Any] | None:
        handler = self._handlers.get("disconnect")
        return None if handler is None else _awaitable(handler(session.sid, reason))


def _awaitable(result: Any) -> Awaitable[Any] | None:
    return result if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future) else None


def environ(session: Session) -> dict[str, Any]:
    """A WSGI-style environ with what a session kept, for python-socketio's connect
    handlers (it keeps this dict for the connection's life: it holds only that)."""
    made: dict[str, Any] = {"REMOTE_ADDR": session.address, "QUERY_STRING": session.query}
    for name, value in (session.headers or {}).items():
        made["HTTP_" + name.upper().replace("-", "_")] = value
    return made


class AsyncServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on this transport. Pass `engine=Engine(...)`."""

    def _engineio_server_class(self) -> type[EngineIOAdapter]:
        return EngineIOAdapter
