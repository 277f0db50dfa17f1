"""The Socket.IO side of the gateway: connection lifecycle and request dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any

import socketio
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from architus_sdk.wire import NAMESPACE, ClientEvent, ErrorReason, Reconnect, ServerEvent
from architus_sdk.wire.codec import OrjsonCodec
from architus_ws.auth.elevation import Elevation
from architus_ws.auth.tokens import Claims, TokenVerifier
from architus_ws.budgets import budgets_for
from architus_ws.config import Settings
from architus_ws.connections.admission import Admission
from architus_ws.connections.idle import IdleSockets
from architus_ws.connections.session import Session
from architus_ws.fanout.feeds import Feeds
from architus_ws.fanout.guild_status import GuildStatuses
from architus_ws.fanout.replay import ResumeOutcome
from architus_ws.fanout.sender import DirectSender, Message
from architus_ws.fanout.spectators import Spectators
from architus_ws.observability import access_log
from architus_ws.observability.metrics import Metrics
from architus_ws.requests import payloads
from architus_ws.requests.errors import RequestError, ok
from architus_ws.requests.handlers import RequestHandlers
from architus_ws.requests.pools import Pools
from architus_ws.transport import Engine, EngineOptions
from architus_ws.transport.socketio_engine import AsyncServer
from architus_ws.transport.socketio_manager import IndexedManager
from bot_bridge.bus import Bus, mirror_for, presence_for
from bot_bridge.responder import ResponseMaker

logger = logging.getLogger(__name__)


class ConnectAuth(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    token: str | None = Field(default=None, min_length=1, max_length=8192)


class Refused(socketio.exceptions.ConnectionRefusedError):  # type: ignore[misc]
    """A refused connect; python-socketio sends `error_args` as the client's connect_error.

    The fields are given at the top level (python-socketio's client passes the dict on) and
    under `data` (socket.io-client exposes that as `err.data`).
    """

    def __init__(self, error: RequestError) -> None:
        super().__init__(error.message)
        body = error.body()
        self.error_args = body | {"data": body}


class Gateway:
    def __init__(
        self,
        settings: Settings,
        bus: Bus | None = None,
        random_source: Callable[[], random.Random] = random.Random,
    ) -> None:
        """`random_source` makes each interpret sandbox's generator (tests seed it)."""
        self.settings = settings
        self.bus = bus or Bus(settings.bus_url, settings.history)
        # per-address budgets, shared by the nodes on one Redis (budgets/)
        self.budgets = budgets_for(
            self.bus.url, settings, lambda: self.metrics.budget_fail_open.inc()
        )
        self.admission = Admission(self.budgets, settings.sockets_per_address)
        self.engine = Engine(
            EngineOptions(
                path="/socket.io/",
                ping_interval=settings.ping_interval,
                ping_timeout=settings.ping_timeout,
                max_payload=settings.transport_limit,
                # None: the page's own origin only (cross-site websocket hijacking)
                allowed_origins=settings.cors_origins,
                connect_timeout=settings.connect_timeout,
                outbound_limit=settings.outbound_limit,
                # a POST body announced and not sent is not waited for longer than this
                body_timeout=min(settings.ping_timeout, 10.0),
                allow_polling="polling" in settings.transports,
                allow_websocket="websocket" in settings.transports,
                # this protocol is JSON only: a binary message is a violation
                binary=False,
                admission=self.admission.sessions,
                on_violation=self._protocol_violation,
                on_slow_consumer=lambda: self.metrics.slow_consumers.inc(),
                max_frames_per_second=settings.read_frames_per_second,
                max_bytes_per_second=settings.read_bytes_per_second,
                on_flood=lambda: self.metrics.floods.inc(),
                on_websocket_done=access_log.engine_websocket("/socket.io/")
                if settings.access_log
                else None,
            )
        )
        # python-socketio on the engine. Each request awaits its own handler (its own task):
        # one slow request must not hold the others.
        self.server = AsyncServer(
            engine=self.engine,
            json=OrjsonCodec,
            async_handlers=True,
            screen=screen,
            # a socket's rooms indexed: leaving costs its own rooms, not a scan of all of them
            client_manager=IndexedManager(),
        )
        self.sessions: dict[str, Session] = {}
        # shutting down: not ready, connects refused, sockets being handed to other nodes
        self.draining = False
        self.sender = DirectSender(self.server, self.engine)
        self.feeds = Feeds(self.bus, self.sender, self._delivered)
        self.metrics = Metrics(self.feeds.spectator_counts, lambda: self.engine.paused_writes)
        # bot status and viewers of the spectated guilds (guild_status)
        self.statuses = GuildStatuses(presence_for(self.bus.url), self.sender, self._delivered)
        spectators = Spectators(self.server, self.feeds, self.statuses)
        self.elevation = Elevation(
            self.server,
            self.sender,
            spectators,
            self.metrics,
            settings.jwt_leeway,
            settings.renew_notice_seconds,
        )
        self.mirror = mirror_for(self.bus.url)
        self.responder = ResponseMaker()
        self.handlers = RequestHandlers(
            TokenVerifier(settings),
            self.elevation,
            spectators,
            self.feeds,
            self.bus,
            Pools(self.mirror),
            self.responder,
            random_source,
            self._emit,
            self._resumed,
        )
        self.table = self.handlers.table()
        self.idle = IdleSockets(
            self.sessions,
            self._close_connection,
            settings.idle_anonymous_seconds,
            self.metrics.idle_closed.inc,
        )
        self.server.on("connect", self._on_connect)
        self.server.on("disconnect", self._on_disconnect)
        self.server.on("*", self._dispatch)

    async def start(self) -> None:
        await self.bus.connect()
        await self.budgets.start()
        await self.statuses.start()
        self.idle.start()

    async def stop(self) -> None:
        await self.idle.sweeper.stop()
        for sid in list(self.sessions):
            # at the Engine.IO level: the official clients reconnect (to another node) by
            # themselves after a transport close, not after a namespace disconnect
            await self._close_connection(sid)
        await self.feeds.close()
        await self.statuses.stop()
        await self.budgets.stop()
        await self.bus.disconnect()
        await self.mirror.disconnect()
        self.responder.close()

    async def drain(self, window: float, hurry: asyncio.Event) -> None:
        """Tell every socket to reconnect elsewhere, then close them at the Engine.IO layer
        spread over 90 % of `window` (all at once when `hurry` is set), so the clients'
        reconnects reach the other nodes as a stream rather than a wall (drain.py)."""
        self.draining = True
        # refused at the Engine.IO handshake, so socket.io-client keeps retrying (with its
        # backoff) until a live node, or this one restarted, takes it
        self.engine.accepting = False
        notice = Reconnect(reason="shutdown", within_ms=round(window * 1000)).model_dump()
        sids = list(self.sessions)
        for sid in sids:
            self.sender.to_socket(sid, ServerEvent.RECONNECT.value, notice)
        loop = asyncio.get_running_loop()
        start, span = loop.time(), window * 0.9
        for index, sid in enumerate(sids):
            if not hurry.is_set():
                due = start + span * (index + 1) / len(sids)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, due - loop.time())):
                        await hurry.wait()
            if sid in self.sessions:
                await self._close_connection(sid)
        # Engine.IO sessions that never connected to Socket.IO go too
        for session in list(self.engine.sessions.values()):
            session.close()

    async def ready(self) -> bool:
        if self.draining:
            return False
        try:
            await self.bus.ping()
        except Exception:
            self.metrics.bus_up.set(0)
            return False
        self.metrics.bus_up.set(1)
        return True

    def _delivered(self, event: str, sockets: int) -> None:
        self.metrics.delivered(event, sockets)

    def _resumed(self, outcome: ResumeOutcome) -> None:
        self.metrics.resumes.labels(outcome.value).inc()
        if outcome is not ResumeOutcome.RECOVERED:
            # warning: each one makes a dashboard reload its pools
            logger.warning("a resume was not recovered: %s", outcome.value)

    async def _emit(self, event: str, message: Message, sid: str) -> None:
        if self.sender.to_socket(sid, event, message):
            self.metrics.delivered(event, 1)

    async def _close_connection(self, sid: str) -> None:
        """Close a socket's whole connection, not only its namespace (which would leave the
        Engine.IO session, and the websocket, open)."""
        eio_sid = self.server.manager.eio_sid_from_sid(sid, NAMESPACE)
        if eio_sid is not None:
            self.engine.disconnect(eio_sid)

    def _protocol_violation(self, why: str) -> None:
        logger.info("closing a connection for what its client sent: %s", why)
        self.metrics.protocol_violations.inc()

    async def _on_connect(self, sid: str, *args: Any) -> dict[str, Any] | None:
        """python-socketio calls this with `(sid, environ, auth)` for a Socket.IO CONNECT,
        while the socket is still pending (not yet connected), and also for a client's event
        named `connect` (a lifecycle name python-socketio routes to this handler, with the
        client's arguments): that one, from a connected socket, is answered as an unknown
        event."""
        if self.server.manager.is_connected(sid, NAMESPACE):
            return await self._refuse("connect", sid)
        environ: dict[str, Any] = args[0]
        auth = args[1] if len(args) > 1 else None
        await self._connect(sid, environ, auth)
        return None

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        session = Session.open(sid, client_address(environ), self.settings)
        try:
            if self.draining:
                raise RequestError(
                    ErrorReason.UNAVAILABLE, "this node is shutting down: connect to another"
                )
            claims = self._connect_claims(auth) or self._cookie_claims(environ)
            await self.admission.admit(session.address)
        except RequestError as error:
            self.metrics.refused.labels(error.reason.value).inc()
            raise Refused(error) from None
        if claims is not None:
            await self.elevation.elevate(session, claims)
        self.sessions[sid] = session
        self.metrics.connections.inc()

    def _connect_claims(self, auth: Any) -> Claims | None:
        """The claims of a token given in the connect `auth`, if any (RequestError if bad)."""
        if auth is None:
            return None
        try:
            token = ConnectAuth.model_validate(auth).token
        except ValidationError as error:
            raise RequestError(ErrorReason.BAD_REQUEST, payloads.describe(error)) from None
        return self.handlers.verify(token) if token is not None else None

    def _cookie_claims(self, environ: dict[str, Any]) -> Claims | None:
        """The claims of the token cookie, on a connect from an allowed origin only.

        A browser attaches cookies to cross-site websocket handshakes too; the Origin header
        is what it cannot forge. Engine.IO already refuses other origins, but a request with
        no Origin (not a browser) gets past that check, so here the Origin must be present
        and listed.
        """
        name = self.settings.token_cookie
        origins = self.settings.cors_origins or ()
        if name is None or environ.get("HTTP_ORIGIN") not in origins:
            return None
        cookies = SimpleCookie()
        try:
            cookies.load(environ.get("HTTP_COOKIE", ""))
        except CookieError:
            return None
        morsel = cookies.get(name)
        return self.handlers.verify(morsel.value) if morsel is not None else None

    async def _on_disconnect(self, sid: str, *args: Any) -> dict[str, Any] | None:
        """Takes effect at once, without the session's lock: a socket's queued requests must
        not keep it in its rooms. A request still running sees `closed` after each await and
        changes nothing more (`Elevation`, `Spectators`).

        python-socketio marks the socket as disconnecting before it calls this; a socket
        still connected is a client sending an event named `disconnect`, answered as an
        unknown event."""
        if self.server.manager.is_connected(sid, NAMESPACE):
            return await self._refuse("disconnect", sid)
        self._disconnected(sid)
        return None

    def _disconnected(self, sid: str) -> None:
        session = self.sessions.pop(sid, None)
        if session is None:
            return
        session.closed = True
        self.elevation.demote(session)
        self.admission.release(session.address)
        self.metrics.connections.dec()

    async def _refuse(self, name: Any, sid: str) -> dict[str, Any]:
        shown = name[:64] if isinstance(name, str) else type(name).__name__
        try:
            session = self.sessions.get(sid)
            if session is not None:
                self._charge(session, "unknown")
            raise RequestError(ErrorReason.UNKNOWN_EVENT, f"no event named {shown!r}")
        except RequestError as error:
            self.metrics.answered("unknown", error.reason.code)
            return error.ack()

    def _charge(self, session: Session, event: str) -> bool:
        """Take one request from the socket's budget, before anything else is looked at.
        True when the address's shared budget has still to be asked (`Budgets.interpret`):
        the check stays synchronous unless it needs Redis."""
        if event == ClientEvent.INTERPRET:
            # the one event anonymous sockets may call: per connection and per address
            wait = session.interpret_budget.take()
            if not wait:
                address_wait = self.budgets.interpret_now(session.address or "unknown")
                if address_wait is None:
                    return True
                wait = address_wait
        else:
            wait = session.request_budget.take()
        rate_limited(wait)
        return False

    async def _dispatch(self, event: Any, sid: str, *args: Any) -> dict[str, Any]:
        if not isinstance(event, str):
            return await self._refuse(event, sid)
        session = self.sessions.get(sid)
        try:
            if session is None:
                raise RequestError(ErrorReason.UNAVAILABLE, "the connection is closing")
            session.last_active = time.monotonic()
            if self._charge(session, event):
                rate_limited(await self.budgets.interpret(session.address or "unknown"))
            handler = self.table.get(event)
            if handler is None:
                raise RequestError(ErrorReason.UNKNOWN_EVENT, f"no event named {event[:64]!r}")
            payload = payloads.decode(args, self.settings.payload_limit)
            request = payloads.validate(handler.model, payload)
            async with session.lock:
                if session.closed:
                    raise RequestError(ErrorReason.UNAVAILABLE, "the connection is closing")
                answer = ok(await handler.call(session, request))
            self.metrics.answered(event, 200)
            return answer
        except RequestError as error:
            self.metrics.answered(event, error.reason.code)
            return error.ack()
        except Exception:
            correlation_id = uuid.uuid4().hex[:16]
            logger.exception("event %r failed [correlation id %s]", event[:64], correlation_id)
            self.metrics.answered(event, ErrorReason.INTERNAL.code)
            return RequestError(
                ErrorReason.INTERNAL,
                "internal error; quote the correlation id when reporting it",
                correlation_id=correlation_id,
            ).ack()


def rate_limited(wait: float) -> None:
    """Refuse a request whose budget has no token for `wait` seconds (0: go ahead)."""
    if wait:
        raise RequestError(
            ErrorReason.RATE_LIMITED,
            f"too many requests; retry in {wait:.2f} s",
            retry_after=round(wait, 3),
        )


def client_address(environ: dict[str, Any]) -> str | None:
    """The client's address as the transport saw it (`REMOTE_ADDR` of the environ it makes
    for python-socketio; an ASGI scope's `client` if there is one)."""
    scope = environ.get("asgi.scope") or {}
    client = scope.get("client")
    return str(client[0]) if client else environ.get("REMOTE_ADDR")


# the name this module had before the transport of its own
_client_address = client_address


def screen(data: str | bytes) -> str | None:
    """What python-socketio cannot take without failing, refused before it sees it: an EVENT
    whose name is a JSON object or array (python-socketio looks the name up in a dict, and an
    unhashable one raises inside its handler task, leaving the request unanswered). Event
    names of other types reach the catch-all handler and are answered as unknown events."""
    if not isinstance(data, str) or data[:1] != "2":
        return None
    at = 1
    if data[1:2] == "/":
        comma = data.find(",")
        if comma < 0:
            return None
        at = comma + 1
    end = len(data)
    while at < end and data[at].isdigit():
        at += 1
    if data[at : at + 1] != "[":
        return None
    at += 1
    while at < end and data[at] in " \t\n\r":
        at += 1
    return "an event name that is not a string" if data[at : at + 1] in ("{", "[") else None
