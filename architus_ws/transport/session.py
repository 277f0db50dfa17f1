"""One Engine.IO session: its queue, heartbeat bookkeeping and upgrade state (sans-IO).

The I/O sits behind a `Sink` (the websocket connection) or a pending long-poll (a future
the ASGI request waits on). Events for the upper layer go out in order (dispatch.py).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

from architus_ws.transport import packets
from architus_ws.transport.dispatch import Ordered
from architus_ws.transport.errors import Reason
from architus_ws.transport.packets import Encoded

if TYPE_CHECKING:
    from architus_ws.transport.engine import Engine

POLLING = "polling"
WEBSOCKET = "websocket"


class Sink(Protocol):
    """What a session writes a websocket through."""

    def write_packet(self, packet: Encoded, frame: bytes | None = None) -> None: ...

    def close(self) -> None: ...

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class Session(Ordered):
    __slots__ = (
        "_bytes",
        "_frames",
        "_outbox",
        "_outbox_bytes",
        "_probe",
        "_waiter",
        "_window",
        "_ws",
        "address",
        "awaiting_pong",
        "closed",
        "connect_due",
        "data",
        "engine",
        "headers",
        "ping_due",
        "query",
        "sid",
        "slot",
    )

    def __init__(
        self,
        engine: Engine,
        sid: str,
        address: str | None,
        headers: dict[str, str] | None,
        query: str,
        now: float,
    ) -> None:
        self.engine = engine
        self.sid = sid
        self.address = address
        self.headers = headers  # only what `EngineOptions.kept_headers` names
        self.query = query
        self.data: dict[str, Any] | None = None  # the upper layer's, made on first use
        self.closed = False
        self.slot = -1
        options = engine.options
        self.ping_due = now + options.ping_interval
        self.awaiting_pong = False
        self.connect_due = (
            now + options.connect_timeout if options.connect_timeout is not None else float("inf")
        )
        self._ws: Sink | None = None
        self._probe: Sink | None = None
        self._outbox: list[Encoded] | None = []
        self._outbox_bytes = 0
        self._waiter: asyncio.Future[str | None] | None = None
        self._inbox = None
        self._window = now
        self._frames = 0
        self._bytes = 0

    # -- what the upper layer calls -----------------------------------------------------

    @property
    def transport(self) -> str:
        return POLLING if self._ws is None else WEBSOCKET

    @property
    def upgrading(self) -> bool:
        return self._probe is not None

    def send(self, data: str | bytes) -> None:
        """Send one message; the order of sends is the order on the wire."""
        self.send_packet(packets.message(data))

    def send_packet(self, packet: Encoded, frame: bytes | None = None) -> None:
        """`frame` is `packet` already framed for a websocket (fan-out frames it once)."""
        if self.closed:
            return
        ws = self._ws
        if ws is not None:
            ws.write_packet(packet, frame)
            return
        outbox = self._outbox
        assert outbox is not None
        outbox.append(packet)
        self._outbox_bytes += packets.weight(packet)
        if self._outbox_bytes > self.engine.options.outbound_limit:
            self.engine.slow_consumer()
            self.close(Reason.TRANSPORT_ERROR)
            return
        self._wake(None)

    def established(self) -> None:
        """The upper layer's handshake is done: the connect timeout no longer applies."""
        self.connect_due = float("inf")

    def close(self, reason: str = Reason.SERVER_DISCONNECT) -> None:
        if self.closed:
            return
        self.closed = True
        self.engine.forget(self)
        # a pending long-poll ends with `noop` when the client closed, else with `close`
        self._wake(packets.NOOP if reason == Reason.CLIENT_DISCONNECT else packets.CLOSE)
        self._outbox = None
        for sink in (self._ws, self._probe):
            if sink is not None:
                sink.close()
        self._ws = self._probe = None
        self.dispatch("close", reason)

    # -- heartbeat ----------------------------------------------------------------------

    def next_deadline(self) -> float:
        due = (
            self.ping_due + self.engine.options.ping_timeout
            if self.awaiting_pong
            else (self.ping_due)
        )
        return min(due, self.connect_due)

    def expired(self, now: float) -> bool:
        """The ping timeout has passed, whether or not the sweep has come by yet."""
        return now >= self.ping_due + self.engine.options.ping_timeout

    def on_due(self, now: float) -> None:
        if self.closed:
            return
        if now >= self.connect_due:
            self.close(Reason.SERVER_DISCONNECT)
            return
        if self.expired(now):
            self.close(Reason.PING_TIMEOUT)
            return
        if not self.awaiting_pong and now >= self.ping_due:
            # the deadline stays measured from when the ping was due, not when the sweep
            # sent it, so a late sweep never gives a dead client more time
            self.awaiting_pong = True
            self.send_packet(packets.PING)
            if self.closed:
                return
        self.engine.heartbeat.schedule(self, self.next_deadline())

    # -- what the transports call -------------------------------------------------------

    def receive(self, kind: str, data: str | bytes, now: float) -> None:
        """One packet from the client, over whichever transport carries the session."""
        if self.closed:
            return
        if not self._within_budget(len(data), now):
            self.engine.flood()
            self.close(Reason.TRANSPORT_ERROR)
        elif kind == packets.MESSAGE:
            self.dispatch("message", data)
        elif kind == packets.PONG:
            if self.awaiting_pong:
                self.awaiting_pong = False
                self.ping_due = now + self.engine.options.ping_interval
                self.engine.heartbeat.schedule(self, self.next_deadline())
        elif kind == packets.CLOSE:
            self.close(Reason.CLIENT_DISCONNECT)
        # open, ping, upgrade and noop from a client carry nothing for this side

    def take(self) -> list[Encoded]:
        """What one long-poll carries: at most `max_packets_per_poll` packets."""
        outbox = self._outbox
        if not outbox:
            return []
        limit = self.engine.options.max_packets_per_poll
        taken, self._outbox = outbox[:limit], outbox[limit:]
        self._outbox_bytes -= sum(packets.weight(packet) for packet in taken)
        return taken

    @property
    def poll_held(self) -> bool:
        """A long-poll GET is waiting for packets."""
        return self._waiter is not None

    def wait_poll(self) -> asyncio.Future[str | None] | None:
        """A future a long-poll waits on: None when packets are queued, or the packet that
        ends the poll (`close`, `noop`). None if a poll is already pending: the client
        broke the protocol, and the session is closed."""
        if self._waiter is not None:
            self.engine.violation("overlapping polls")
            self.close(Reason.TRANSPORT_ERROR)
            return None
        waiter: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        if self._outbox:
            waiter.set_result(None)
        else:
            self._waiter = waiter
        return waiter

    def poll_done(self, waiter: asyncio.Future[str | None]) -> None:
        if self._waiter is waiter:
            self._waiter = None

    def attach_websocket(self, sink: Sink) -> None:
        """A session opened over a websocket."""
        self._ws = sink
        self._outbox = None

    def attach_probe(self, sink: Sink) -> bool:
        """A websocket asking to upgrade this polling session."""
        if self.closed or self._ws is not None or self._probe is not None:
            return False
        self._probe = sink
        return True

    def probed(self, sink: Sink) -> None:
        """`2probe` arrived over the new websocket: answer it, and end the pending poll."""
        if sink is not self._probe:
            return
        sink.write_packet(packets.PONG + "probe")
        self.send_packet(packets.NOOP)

    def upgraded(self, sink: Sink) -> None:
        """`5`: from now on the websocket carries the session; what was queued for the
        next poll goes over it, in order."""
        if sink is not self._probe:
            return
        self._probe = None
        queued = [packet for packet in self._outbox or () if packet != packets.NOOP]
        self._wake(packets.NOOP)
        self._outbox = None
        self._outbox_bytes = 0
        self._ws = sink
        for packet in queued:
            sink.write_packet(packet)

    def transport_lost(self, sink: Sink) -> None:
        if sink is self._probe:
            self._probe = None
        elif sink is self._ws:
            self._ws = None
            self.close(Reason.TRANSPORT_CLOSE)

    # -- inside ---------------------------------------------------------------------------

    def _wake(self, ending: str | None) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(ending)

    def _within_budget(self, size: int, now: float) -> bool:
        options = self.engine.options
        if options.max_frames_per_second is None and options.max_bytes_per_second is None:
            return True
        if now - self._window >= 1.0:
            self._window, self._frames, self._bytes = now, 0, 0
        self._frames += 1
        self._bytes += size
        return (
            options.max_frames_per_second is None or self._frames <= options.max_frames_per_second
        ) and (options.max_bytes_per_second is None or self._bytes <= options.max_bytes_per_second)
