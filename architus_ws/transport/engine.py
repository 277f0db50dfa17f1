"""The Engine.IO server: its sessions, the upper layer's callbacks, admission and caps."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any

from architus_ws.transport import errors, packets
from architus_ws.transport.errors import Reason, Refusal
from architus_ws.transport.frames import text_or_binary_frame
from architus_ws.transport.heartbeat import Heartbeat
from architus_ws.transport.options import EngineOptions
from architus_ws.transport.origins import origin_allowed
from architus_ws.transport.session import Session

logger = logging.getLogger(__name__)

ConnectHandler = Callable[[Session], Awaitable[None] | None]
MessageHandler = Callable[[Session, str | bytes], Awaitable[None] | None]
CloseHandler = Callable[[Session, str], Awaitable[None] | None]


class Engine:
    """Sessions by sid, and what happens to them. Callbacks may be plain functions or
    coroutine functions; each session's callbacks run one at a time, in order."""

    def __init__(
        self,
        options: EngineOptions | None = None,
        *,
        on_connect: ConnectHandler | None = None,
        on_message: MessageHandler | None = None,
        on_close: CloseHandler | None = None,
    ) -> None:
        self.options = options or EngineOptions()
        self.sessions: dict[str, Session] = {}
        # False once the server drains: new sessions are refused, open ones go on
        self.accepting = True
        self.websockets = 0  # open websocket connections of this server, sessions or not
        self.violations = 0
        self.slow_consumers = 0
        self.floods = 0
        # times a websocket's transport asked us to stop writing (its reader is behind)
        self.paused_writes = 0
        self._handlers: dict[str, Callable[..., Awaitable[None] | None] | None] = {
            "connect": on_connect,
            "message": on_message,
            "close": on_close,
        }
        self._tasks: set[asyncio.Task[None]] = set()
        self._heartbeat: Heartbeat | None = None

    def on(self, event: str, handler: Callable[..., Awaitable[None] | None]) -> None:
        if event not in self._handlers:
            raise ValueError(f"no such event: {event}")
        self._handlers[event] = handler

    @property
    def heartbeat(self) -> Heartbeat:
        if self._heartbeat is None:
            self._heartbeat = Heartbeat.for_loop(
                asyncio.get_running_loop(), self.options.heartbeat_tick
            )
        return self._heartbeat

    def callback(self, event: str, session: Session, argument: Any) -> Awaitable[None] | None:
        handler = self._handlers[event]
        if handler is None:
            return None
        if event == "connect":
            return handler(session)
        return handler(session, argument)

    # -- requests -------------------------------------------------------------------------

    def check_request(
        self,
        method: str,
        query: Mapping[str, str],
        *,
        websocket: bool,
        origin: str | None,
        host: str | None,
        secure: bool,
    ) -> Refusal | None:
        """Engine.IO's checks of a request, in its reference server's order."""
        transport = query.get("transport")
        allowed = self.options.allow_websocket if websocket else self.options.allow_polling
        if transport != ("websocket" if websocket else "polling") or not allowed:
            return errors.UNKNOWN_TRANSPORT
        if query.get("EIO") != "4":
            return errors.UNSUPPORTED_PROTOCOL_VERSION
        if not origin_allowed(origin, host, secure, self.options.allowed_origins):
            return errors.FORBIDDEN
        sid = query.get("sid")
        if sid is not None:
            session = self.sessions.get(sid)
            if session is None:
                return errors.UNKNOWN_SID
            if not websocket and session.transport != "polling":
                return errors.BAD_REQUEST
        elif method != "GET":
            return errors.BAD_HANDSHAKE_METHOD
        return None

    def at_capacity(self, websocket: bool) -> bool:
        cap = self.options.max_connections
        if cap is None:
            return False
        # a websocket asking is already counted in `websockets`; a polling handshake is not
        return self.websockets > cap if websocket else len(self.sessions) >= cap

    def open(
        self, address: str | None, headers: dict[str, str] | None, query: str
    ) -> Session | Refusal:
        """A new session, counted against its address by the application's admission."""
        if not self.accepting:
            return errors.SHUTTING_DOWN
        if self.at_capacity(websocket=False):
            return errors.TOO_MANY
        admission = self.options.admission
        if admission is not None and not admission.admit(address):
            return errors.TOO_MANY
        loop = asyncio.get_running_loop()
        sid = secrets.token_urlsafe(15)
        session = Session(self, sid, address, headers, query, loop.time())
        self.sessions[sid] = session
        self.heartbeat.schedule(session, session.next_deadline())
        return session

    def started(self, session: Session) -> None:
        """The handshake packet is out: tell the upper layer (after it, so that whatever it
        sends at connect follows the handshake)."""
        session.dispatch("connect")

    def handshake(self, session: Session, upgrades: list[str]) -> str:
        options = self.options
        return packets.OPEN + json.dumps(
            {
                "sid": session.sid,
                "upgrades": upgrades,
                "pingInterval": round(options.ping_interval * 1000),
                "pingTimeout": round(options.ping_timeout * 1000),
                "maxPayload": options.max_payload,
            },
            separators=(",", ":"),
        )

    def forget(self, session: Session) -> None:
        if self.sessions.pop(session.sid, None) is None:
            return
        if self._heartbeat is not None:
            self._heartbeat.cancel(session)
        admission = self.options.admission
        if admission is not None:
            admission.release(session.address)

    # -- for the upper layer --------------------------------------------------------------

    def send(self, sid: str, data: str | bytes) -> bool:
        session = self.sessions.get(sid)
        if session is None:
            return False
        session.send(data)
        return True

    def broadcast(self, sessions: Iterable[Session], data: str | bytes) -> int:
        """One message to many sessions, encoded and framed once; returns how many."""
        packet = packets.message(data)
        frame: bytes | None = None
        sent = 0
        for session in sessions:
            if session.closed:
                continue
            if frame is None and session.transport == "websocket":
                frame = text_or_binary_frame(packet)
            session.send_packet(packet, frame)
            sent += 1
        return sent

    def disconnect(self, sid: str) -> None:
        """Close a session from this side: the client is told so at the Engine.IO level (a
        `close` packet; a pending long-poll ends with it) before its websocket closes."""
        session = self.sessions.get(sid)
        if session is not None:
            if session.transport == "websocket":
                session.send_packet(packets.CLOSE)
            session.close(Reason.SERVER_DISCONNECT)

    async def shutdown(self) -> None:
        for session in list(self.sessions.values()):
            session.close(Reason.SERVER_DISCONNECT)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._reap)
        return task

    def _reap(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # an upper layer's background work failed: logged here, not at garbage collection
            logger.error("a background task failed", exc_info=error)

    # -- counted --------------------------------------------------------------------------

    def violation(self, reason: str) -> None:
        self.violations += 1
        if self.options.on_violation is not None:
            self.options.on_violation(reason)

    def flood(self) -> None:
        self.floods += 1
        if self.options.on_flood is not None:
            self.options.on_flood()

    def slow_consumer(self) -> None:
        self.slow_consumers += 1
        if self.options.on_slow_consumer is not None:
            self.options.on_slow_consumer()
