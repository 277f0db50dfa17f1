"""python-socketio's AsyncServer with what stock gets wrong for a public gateway.

(No log line here names a session id: a long-polling sid is a bearer credential.)

- A client's event named `connect` or `disconnect` would run the application's lifecycle
  handlers; here such events, and event names that are not strings, are answered like any
  unknown event.
- A long-polling client's pending GET would be held until the ping timeout after it closed.
- Engine.IO polls are batched within what python-engineio's client accepts.
- Pings: python-engineio sleeps in a task per socket until the next ping is due, and that
  task (holding the socket) outlives a closed socket by up to the ping interval; here each
  socket keeps a due time, and one sweep per server sends the pings that are due and closes
  the sockets whose ping went unanswered. Stock checks the ping timeout on every send and
  closes the socket there, inside whatever was sending: a fan-out would then wait for one
  socket's teardown. Here sending never waits (see `GatewaySocket.enqueue`).
- A long-polling session is bound to the client address of its handshake: a request with its
  sid from another address closes it (a leaked sid is not a session).
- A long-polling POST carries as many packets as fit in the transport limit (stock refuses
  more than 16 with a logged traceback and a `200 OK`, dropping them all).

These override private methods: python-socketio is pinned to 5.x and the tests cover each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import socketio
from engineio import exceptions as engineio_exceptions
from engineio import packet as engineio_packet
from engineio.async_socket import AsyncSocket
from socketio import packet

logger = logging.getLogger(__name__)

_BINARY_PACKET_TYPES = (str(packet.BINARY_EVENT), str(packet.BINARY_ACK))


class GatewayServer(socketio.AsyncServer):  # type: ignore[misc]
    def __init__(
        self,
        refuse: Callable[[Any, str], Awaitable[dict[str, Any]]],
        on_protocol_violation: Callable[[], None],
        outbound_limit: int,
        on_over_limit: Callable[[GatewaySocket], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._refuse = refuse
        self._on_protocol_violation = on_protocol_violation
        self._outbound_limit = outbound_limit
        self._on_over_limit = on_over_limit

    async def _handle_event_internal(
        self, server: Any, sid: str, eio_sid: str, data: list[Any], namespace: str, id: Any
    ) -> None:
        name = data[0] if data else None
        if isinstance(name, str) and name not in self.reserved_events:
            await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)
            return
        answer = await self._refuse(name, sid)
        if id is not None:
            await server._send_packet(
                eio_sid, self.packet_class(packet.ACK, namespace=namespace, id=id, data=[answer])
            )

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        # This protocol is JSON only. Stock would hold a binary packet's declared attachments
        # (as many as the client declares) until they all arrive; here binary is refused.
        if not isinstance(data, str) or data[:1] in _BINARY_PACKET_TYPES:
            await self._protocol_violation(eio_sid, "binary packets are not accepted")
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
            # a Socket.IO packet that does not decode (orjson's errors are ValueErrors);
            # stock logs a traceback per such frame and keeps reading
            await self._protocol_violation(eio_sid, str(error))

    async def _protocol_violation(self, eio_sid: str, why: str) -> None:
        logger.info("not a Socket.IO packet of this protocol, closing: %.200s", why)
        self._on_protocol_violation()
        await self.eio.disconnect(eio_sid)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        # python-engineio leaves a long-polling client's pending GET waiting for the ping
        # timeout (45 s) after the client closed; release it now so neither side holds it.
        eio_socket = self.eio.sockets.get(eio_sid)
        if eio_socket is not None and not eio_socket.upgraded:
            eio_socket.queue.put_nowait(None)

    async def heartbeat(self) -> int:
        """The sweep every second: ping every socket whose ping is due, and close every
        socket whose last ping went unanswered for the ping timeout. Return how many sockets
        were pinged or closed."""
        now = time.monotonic()
        wall = time.time()
        touched = 0
        for engine_socket in list(self.eio.sockets.values()):
            if engine_socket.closing or engine_socket.closed:
                continue
            last_ping = engine_socket.last_ping
            if last_ping and wall - last_ping > self.eio.ping_timeout:
                logger.info("ping timeout, closing a socket")
                await engine_socket.close(reason=self.eio.reason.PING_TIMEOUT)
                touched += 1
                continue
            due = getattr(engine_socket, "ping_due", math.inf)
            if due <= now:
                engine_socket.ping_due = math.inf
                # what python-engineio's own `_send_ping` does once its sleep ends
                engine_socket.last_ping = wall
                engine_socket.enqueue(engineio_packet.Packet(engineio_packet.PING))
                touched += 1
        return touched

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        # python-engineio builds its sockets itself; give each one our poll (see below).
        engine_socket = self.eio.sockets.get(eio_sid)
        if engine_socket is not None and type(engine_socket) is AsyncSocket:
            engine_socket.__class__ = GatewaySocket
            engine_socket.address = client_address(environ)
            engine_socket.outbound_limit = self._outbound_limit
            engine_socket.on_protocol_violation = self._on_protocol_violation
            engine_socket.on_over_limit = self._on_over_limit
        return await super()._handle_eio_connect(eio_sid, environ)


def client_address(environ: dict[str, Any]) -> str | None:
    """The client's address as the ASGI server reports it (behind a trusted proxy, uvicorn's
    `FORWARDED_ALLOW_IPS` makes it the forwarded one)."""
    scope = environ.get("asgi.scope") or {}
    client = scope.get("client")
    return str(client[0]) if client else environ.get("REMOTE_ADDR")


# The heartbeat sweep's period, at most: a ping goes out at most this long after it is due.
HEARTBEAT_INTERVAL = 1.0

# python-engineio's clients refuse a polling payload of more than 16 packets.
MAX_PACKETS_PER_POLL = 16


class GatewaySocket(AsyncSocket):  # type: ignore[misc]
    """python-engineio's socket, changed where a public gateway needs it:

    - `poll` (the long-polling GET and the websocket writer alike): a batch holds at most 16
      packets, because a push burst queued at once would otherwise make a payload
      python-engineio's own client rejects; and it waits under a timer, not in the task
      `asyncio.wait_for` makes per call.
    - `schedule_ping` sets a due time for the server's ping sweep instead of a task per socket.
    - `_websocket_handler`: a frame that is not an Engine.IO packet closes the connection
      (stock raises out of the handler and leaves the socket, its session and its writer
      behind until the ping timeout), and each read waits under a timer instead of a task.
    - `send_now` on a websocket whose writer is idle writes the frame at once, in the
      caller's task (the fan-out loop): no queue, no writer task wake. Only if the transport
      makes the write wait (a slow reader) does the writer task finish it, and every later
      packet queues behind it, so the order per socket is the order of sends. `send` (acks,
      replays, bursts) queues for the writer, whose back-to-back writes to one socket the
      kernel coalesces (TCP autocorking): under a burst that beats a write per packet
      interleaved across sockets by 2x (bench/fanout.py).
    - Sending never suspends the sender (`enqueue` and `send_now` are plain functions): a
      fan-out loop goes through every recipient in one step of the event loop, so the rooms
      it read are the rooms at the moment of each write, and no socket's state (a ping
      timeout, a teardown) can hold it. Ping timeouts are the heartbeat sweep's to act on.
    - The bytes queued are counted on every enqueue: past `outbound_limit` the socket is
      marked `over_limit`, nothing more is queued for it (so nothing after a dropped packet
      can reach the client), and `on_over_limit` has it cut.
    - `handle_get_request` / `handle_post_request` (long-polling and the upgrade) refuse a
      request from another client address than the handshake's, and a POST carries any
      number of packets within the transport limit.
    """

    _websocket: Any = None  # the ASGI websocket while the writer runs
    _writer_busy = False  # the writer holds packets it has not written yet
    # writes that found the transport paused, in this process (tests and curiosity)
    paused_writes: ClassVar[int] = 0

    ping_due = math.inf
    last_ping: float | None
    connected: bool
    # set by GatewayServer when the socket is made
    address: str | None = None
    outbound_limit = 4 * 1024 * 1024
    on_protocol_violation: Callable[[], None] = staticmethod(lambda: None)
    on_over_limit: Callable[[GatewaySocket], None] = staticmethod(lambda socket: None)
    queued_bytes = 0
    over_limit = False

    def schedule_ping(self) -> None:
        # only once the previous ping was answered, as python-engineio does
        if self.last_ping:
            self.last_ping = None
            self.ping_due = time.monotonic() + self.server.ping_interval

    async def send(self, pkt: Any) -> None:
        # Stock checks the ping timeout here and closes the socket inside the caller.
        if self.closed:
            raise engineio_exceptions.SocketIsClosedError()
        self.enqueue(pkt)

    def enqueue(self, pkt: Any) -> None:
        """Queue `pkt` for the writer (or the next poll); never suspends."""
        if self.over_limit:
            return
        size = _weight(pkt)
        if self.queued_bytes and self.queued_bytes + size > self.outbound_limit:
            self.over_limit = True
            self.on_over_limit(self)
            return
        self.queued_bytes += size
        self.queue.put_nowait(pkt)

    def send_now(self, pkt: Any, encoded: str) -> None:
        """`encoded` is `pkt.encode()`, made once by the caller for every recipient."""
        if self.closed:
            return
        websocket = self._websocket
        if websocket is None or self._writer_busy or not self.queue.empty():
            self.enqueue(pkt)
            return
        writing = websocket.send(encoded)
        try:
            waiting = writing.send(None)
        except StopIteration:
            return  # written
        except Exception:
            writing.close()
            return  # the connection is gone; the reader ends the socket
        # The transport is paused: the writer finishes this write before anything else.
        GatewaySocket.paused_writes += 1
        self._writer_busy = True
        self.queue.put_nowait(_Unfinished(writing, waiting))

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        """Close at the Engine.IO level (the client sees `transport close`, not a namespace
        disconnect): the disconnect handlers run now, the close packet is queued unless
        `abort`, and the writer ends after it, closing the websocket, whether or not the
        client reads. Never waits for the queue to drain (stock's `wait`): a client that
        reads nothing would hold whoever closes it forever."""
        await super().close(wait=False, abort=abort, reason=reason)
        self.queue.put_nowait(None)

    def _taken(self, pkt: Any) -> None:
        """`pkt` left the queue's weight: written, or handed to a polling response."""
        if pkt is not None:
            self.queued_bytes = max(0, self.queued_bytes - _weight(pkt))

    def _check_client(self, environ: dict[str, Any]) -> None:
        if client_address(environ) != self.address:
            logger.info("a polling request from another client address; closing its session")
            self.on_protocol_violation()
            # python-engineio answers 400 and closes the session
            raise engineio_exceptions.EngineIOError()

    async def handle_get_request(self, environ: dict[str, Any]) -> Any:
        self._check_client(environ)
        answer = await super().handle_get_request(environ)
        if isinstance(answer, list):
            for sent in answer:  # handed to the response
                self._taken(sent)
        return answer

    async def handle_post_request(self, environ: dict[str, Any]) -> None:
        self._check_client(environ)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= self.server.max_http_buffer_size:
            self.on_protocol_violation()
            raise engineio_exceptions.ContentTooLongError()
        try:
            # a body announced and not sent must not hold the request
            async with asyncio.timeout(self.server.ping_timeout):
                body = await environ["wsgi.input"].read(length)
            text = body.decode()
            packets = (
                [engineio_packet.Packet(encoded_packet=part) for part in text.split("\x1e")]
                if text
                else []
            )
        except (TimeoutError, ValueError, TypeError, KeyError, IndexError) as error:
            logger.info("not an Engine.IO payload, closing: %.200s", error)
            self.on_protocol_violation()
            raise engineio_exceptions.EngineIOError() from None
        for received in packets:
            # a type the server does not take from clients is ignored, as over websocket
            with contextlib.suppress(engineio_exceptions.UnknownPacketError):
                await self.receive(received)

    async def poll(self) -> list[Any]:
        try:
            first = self.queue.get_nowait()
        except asyncio.QueueEmpty:
            try:
                # a timer, not the task `asyncio.wait_for` makes per call on Python 3.11
                async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                    first = await self.queue.get()
            except (TimeoutError, asyncio.CancelledError):
                raise engineio_exceptions.QueueEmpty() from None
        self.queue.task_done()
        if first is None:
            return []
        packets = [first]
        while len(packets) < MAX_PACKETS_PER_POLL:
            try:
                queued = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self.queue.task_done()
            if queued is None:
                self.queue.put_nowait(None)  # the close marker stays for the next poll
                break
            packets.append(queued)
        return packets

    async def _websocket_handler(self, ws: Any) -> None:
        if self.connected:
            # the socket was already connected over polling, so this is an upgrade
            if not await self._upgrade(ws):
                return
        else:
            self.connected = True
            self.upgraded = True
        writer = asyncio.create_task(self._write(ws), name=f"engineio-writer-{self.sid}")
        # a backstop: the heartbeat closes a socket that stops answering pings, but its pings
        # go out up to a sweep later than due, so a healthy client may be that much later
        read_timeout = self.server.ping_interval + self.server.ping_timeout + HEARTBEAT_INTERVAL
        while not self.closed:
            try:
                async with asyncio.timeout(read_timeout):
                    frame = await ws.wait()
            except (Exception, asyncio.CancelledError):
                break  # timed out, or the connection is gone
            if frame is None or len(frame) > self.server.max_http_buffer_size:
                break
            try:
                received = engineio_packet.Packet(encoded_packet=frame)
            except (ValueError, TypeError, KeyError, IndexError) as error:
                logger.info("not an Engine.IO packet, closing: %.200s", error)
                break
            try:
                await self.receive(received)
            except engineio_exceptions.SocketIsClosedError:
                break
            except engineio_exceptions.UnknownPacketError:
                pass  # a type the server does not take from clients (noop, ping): ignored
            except Exception:
                logger.exception("error handling a packet")
        await self.queue.put(None)  # lets the writer finish and close the websocket
        await writer
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _upgrade(self, ws: Any) -> bool:
        """The polling-to-websocket upgrade: `2probe`, `3probe`, then `5`."""
        self.upgrading = True  # holds packet sends during the upgrade
        try:
            async with asyncio.timeout(self.server.ping_timeout):
                probe = await ws.wait()
                if probe != "2probe":
                    self.upgrading = False
                    return False
                await ws.send(engineio_packet.Packet(engineio_packet.PONG, data="probe").encode())
                self.enqueue(engineio_packet.Packet(engineio_packet.NOOP))  # ends a poll
                upgrade = await ws.wait()
        except (Exception, asyncio.CancelledError):
            self.upgrading = False
            return False
        self.upgrading = False
        if upgrade != "5":
            self.upgraded = False
            return False
        self.upgraded = True
        return True

    async def _write(self, ws: Any) -> None:
        self._websocket = ws
        try:
            while True:
                try:
                    packets = await self.poll()
                except engineio_exceptions.QueueEmpty:
                    break
                if not packets:
                    break  # the close marker
                self._writer_busy = True
                try:
                    for queued in packets:
                        if isinstance(queued, _Unfinished):
                            await queued
                        else:
                            await ws.send(queued.encode())
                        self._taken(queued)  # weighed until written, not until dequeued
                except Exception:
                    break
                self._writer_busy = False
        finally:
            self._websocket = None
            self._writer_busy = False
        with contextlib.suppress(Exception):
            await ws.close()


def _weight(pkt: Any) -> int:
    """What a queued packet holds, in bytes (a close marker or an unfinished write: nothing
    more than its object)."""
    data = getattr(pkt, "data", None)
    return len(data) if isinstance(data, str | bytes) else 64


class _Unfinished:
    """A write started in the sender's task that had to wait (the transport was paused):
    awaiting this resumes it where it stopped, in the writer's task."""

    # counted like a queued packet by the slow-consumer sweep
    data = ""

    def __init__(self, writing: Any, waiting: Any) -> None:
        self._writing = writing
        self._waiting = waiting

    def __await__(self) -> Any:
        waiting = self._waiting
        while True:
            try:
                yield waiting
            except BaseException as error:
                try:
                    waiting = self._writing.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    waiting = self._writing.send(None)
                except StopIteration:
                    return
