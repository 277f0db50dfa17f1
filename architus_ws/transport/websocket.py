"""A websocket connection as an `asyncio.Protocol`: no task, no timer, no queue of its own.

websockets' sans-I/O `ServerProtocol` does the handshake and parses frames; answers to
control frames (pong, the close handshake) are written as it produces them. Packets go
straight to the transport; while the transport is paused (`pause_writing`) they wait in its
buffer, whose size is the slow-consumer measure: past the limit the connection is cut.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from websockets.datastructures import Headers
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from architus_ws.transport import errors, packets
from architus_ws.transport.engine import Engine
from architus_ws.transport.errors import Reason, Refusal
from architus_ws.transport.frames import text_or_binary_frame
from architus_ws.transport.packets import Encoded, PacketError
from architus_ws.transport.session import Session

# websockets logs every open and close at INFO; this logger is left quiet by default
_protocol_logger = logging.getLogger("architus_ws.transport.websocket.frames")
_protocol_logger.setLevel(logging.WARNING)

_HANDSHAKE, _PROBING, _OPEN, _CLOSED = range(4)

AddressOf = Callable[[str | None, Headers], str | None]


class WebSocketConnection(asyncio.Protocol):
    __slots__ = (
        "_address_of",
        "_conn",
        "_connections",
        "_engine",
        "_fragments",
        "_paused",
        "_session",
        "_started",
        "_state",
        "_status",
        "_transport",
    )

    def __init__(
        self,
        engine: Engine,
        transport: asyncio.Transport,
        connections: set[Any] | None = None,
        address_of: AddressOf | None = None,
    ) -> None:
        self._engine = engine
        # the client's address from the peer's and the request's headers (a trusted proxy's
        # X-Forwarded-For); None: the peer's
        self._address_of = address_of
        self._transport = transport
        self._conn = ServerProtocol(max_size=engine.options.max_payload, logger=_protocol_logger)
        self._session: Session | None = None
        self._state = _HANDSHAKE
        self._paused = False  # the transport asked us to stop writing
        self._fragments: list[bytes] | None = None
        # for `EngineOptions.on_websocket_done`: the handshake's answer, and when it began
        self._status = 0
        self._started = (
            asyncio.get_running_loop().time() if engine.options.on_websocket_done else 0.0
        )
        # uvicorn's set of live connections: it shuts them down on exit and waits for them
        self._connections = connections
        if connections is not None:
            connections.add(self)
        engine.websockets += 1

    # -- asyncio.Protocol -----------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        conn = self._conn
        conn.receive_data(data)
        for event in conn.events_received():
            if self._state == _CLOSED:
                break
            if isinstance(event, Frame):
                self._frame(event)
            elif isinstance(event, Request):
                self._handshake(event)
        if conn.parser_exc is not None and self._state != _CLOSED:
            # a frame websockets refuses (bad opcode, too large, bad UTF-8 in a close...)
            self._engine.violation("bad websocket frame")
        self._flush()

    def eof_received(self) -> bool | None:
        self._conn.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._state = _CLOSED
        self._engine.websockets -= 1
        if self._connections is not None:
            self._connections.discard(self)
        session, self._session = self._session, None
        if session is not None:
            session.transport_lost(self)
        done = self._engine.options.on_websocket_done
        if done is not None:
            seconds = asyncio.get_running_loop().time() - self._started
            address = session.address if session is not None else _peer_address(self._transport)
            done(address, self._status or None, seconds)

    def pause_writing(self) -> None:
        self._paused = True
        self._engine.paused_writes += 1

    def resume_writing(self) -> None:
        self._paused = False

    # -- Sink (what the session writes through) -------------------------------------------

    def write_packet(self, packet: Encoded, frame: bytes | None = None) -> None:
        if self._state == _CLOSED:
            return
        transport = self._transport
        transport.write(frame if frame is not None else text_or_binary_frame(packet))
        if self._paused and transport.get_write_buffer_size() > self._engine.options.outbound_limit:
            self._engine.slow_consumer()
            self._state = _CLOSED
            transport.abort()  # what it has not read by now it will not get

    def close(self) -> None:
        """Close from this side: a close frame, then the TCP connection once it is out."""
        if self._state == _CLOSED:
            return
        self._state = _CLOSED
        if self._conn.state is State.OPEN:
            self._conn.send_close(1000)
        for chunk in self._conn.data_to_send():
            if chunk:
                self._transport.write(chunk)
        self._transport.close()

    def pause_reading(self) -> None:
        if not self._transport.is_closing():
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if not self._transport.is_closing():
            self._transport.resume_reading()

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: 1012, service restart."""
        session = self._session
        if session is not None:
            session.close(Reason.SERVER_DISCONNECT)
        if self._state != _CLOSED:
            self._state = _CLOSED
            if self._conn.state is State.OPEN:
                self._conn.send_close(1012)
            self._flush()
            self._transport.close()

    # -- inside ---------------------------------------------------------------------------

    def _flush(self) -> None:
        for chunk in self._conn.data_to_send():
            if chunk:
                self._transport.write(chunk)
            else:
                # websockets ends the TCP connection after the close handshake or an error
                self._state = _CLOSED
                self._transport.close()

    def _handshake(self, request: Request) -> None:
        engine = self._engine
        _, _, query_string = request.path.partition("?")
        query = dict(parse_qsl(query_string))
        headers = request.headers
        refusal = engine.check_request(
            "GET",
            query,
            websocket=True,
            origin=headers.get("Origin"),
            host=headers.get("Host"),
            secure=self._transport.get_extra_info("sslcontext") is not None,
        )
        if refusal is None and engine.at_capacity(websocket=True):
            refusal = errors.TOO_MANY
        if refusal is not None:
            self._refuse(refusal)
            return
        sid = query.get("sid")
        session: Session | Refusal
        if sid is None:
            kept = engine.options.kept_headers
            kept_headers = {name: headers[name] for name in kept if name in headers} or None
            session = engine.open(self._client_address(request), kept_headers, query_string)
            if isinstance(session, Refusal):
                self._refuse(session)
                return
        else:
            session = engine.sessions[sid]  # check_request made sure it is there
            if self._client_address(request) != session.address:
                # a leaked sid is not a session: it is given up rather than shared
                engine.violation("a session's request from another client address")
                session.close(Reason.TRANSPORT_ERROR)
                self._refuse(errors.BAD_REQUEST)
                return
        response = self._conn.accept(request)
        self._status = response.status_code
        self._conn.send_response(response)
        self._flush()  # the 101 goes before any packet
        if self._conn.state is not State.OPEN:
            if sid is None:
                session.close(Reason.TRANSPORT_ERROR)
            self._state = _CLOSED
            return  # not a websocket handshake websockets accepts; its 4xx goes out
        if sid is None:
            self._state = _OPEN
            self._session = session
            session.attach_websocket(self)
            self.write_packet(engine.handshake(session, []))
            engine.started(session)
        elif session.attach_probe(self):
            self._state = _PROBING
            self._session = session
        else:
            # the session was already upgraded: this connection is not for it
            self.close()

    def _client_address(self, request: Request) -> str | None:
        peer = _peer_address(self._transport)
        if self._address_of is None:
            return peer
        return self._address_of(peer, request.headers)

    def _refuse(self, refusal: Refusal) -> None:
        self._status = refusal.status
        response = self._conn.reject(refusal.status, refusal.body().decode())
        self._conn.send_response(response)
        self._state = _CLOSED

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        data = frame.data if isinstance(frame.data, bytes) else bytes(frame.data)
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if not frame.fin:
                self._fragments = [bytes([opcode.value]), data]
                return
            self._message(opcode is Opcode.TEXT, data)
        elif opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(data)
            if frame.fin:
                fragments, self._fragments = self._fragments, None
                self._message(fragments[0][0] == Opcode.TEXT.value, b"".join(fragments[1:]))
        # ping, pong and close are websockets' to answer

    def _message(self, text: bool, data: bytes) -> None:
        session = self._session
        if session is None:
            return
        now = asyncio.get_running_loop().time()
        if not text:
            if self._state == _OPEN and self._engine.options.binary:
                session.receive(packets.MESSAGE, data, now)
            else:
                self._violation(session, "binary message")
            return
        try:
            kind, payload = packets.decode_text(data.decode())
        except (UnicodeDecodeError, PacketError):
            self._violation(session, "not an Engine.IO packet")
            return
        if self._state == _OPEN:
            session.receive(kind, payload, now)
        elif kind == packets.PING and payload == "probe":
            session.probed(self)
        elif kind == packets.UPGRADE:
            self._state = _OPEN
            session.upgraded(self)
        else:
            self._violation(session, "unexpected packet during the upgrade")

    def _violation(self, session: Session, why: str) -> None:
        self._engine.violation(why)
        if self._state == _OPEN:
            session.close(Reason.TRANSPORT_ERROR)  # closes this connection too
        else:
            self._session = None
            session.transport_lost(self)
            self.close()


def _peer_address(transport: asyncio.Transport) -> str | None:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if peer else None
