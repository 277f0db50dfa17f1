"""What an Engine.IO server is configured with."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal, Protocol


class Admission(Protocol):
    """Per-address admission, supplied by the application: it counts Engine.IO sessions
    (not only the upper layer's connects), so sessions that never finish the upper
    handshake are held to the same budget."""

    def admit(self, address: str | None) -> bool: ...

    def release(self, address: str | None) -> None: ...


@dataclass(frozen=True, slots=True)
class EngineOptions:
    # the mount point; requests under it are Engine.IO's, everything else the inner app's
    path: str = "/engine.io/"
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    # bytes of one packet (websocket) or one POST body (polling)
    max_payload: int = 1_000_000
    # None: the page's own origin only (CSWSH); a collection: those exactly; "*": any
    allowed_origins: Collection[str] | Literal["*"] | None = None
    # a session the upper layer has not called `established()` on within this is closed
    connect_timeout: float | None = None
    # bytes queued for one session (transport buffer or poll queue) before it is cut
    outbound_limit: int = 4 * 1024 * 1024
    # a POST body, or a websocket upgrade request, must arrive whole within this
    body_timeout: float = 10.0
    # open Engine.IO connections (websockets and polling sessions) this server takes
    max_connections: int | None = None
    # python-engineio's own client refuses a polling payload of more than 16 packets
    max_packets_per_poll: int = 16
    # inbound budget per session per second, past which it is closed (a flood)
    max_frames_per_second: int | None = None
    max_bytes_per_second: int | None = None
    # how often the heartbeat sweep runs; pings are late by at most this
    heartbeat_tick: float = 0.1
    # messages received but not yet handled past which a websocket stops being read
    inbox_limit: int = 64
    allow_polling: bool = True
    allow_websocket: bool = True
    # False: binary messages (a binary websocket frame, a `b…` polling packet) are protocol
    # violations that close the session, for an upper layer that speaks text only
    binary: bool = True
    # headers a session keeps for the upper layer (lower-case); the rest is dropped
    kept_headers: tuple[str, ...] = ("origin", "cookie")
    admission: Admission | None = None
    # called with a short reason for each connection closed for what its client sent
    on_violation: Callable[[str], None] | None = None
    # called for each session closed for reading past max_frames/bytes_per_second
    on_flood: Callable[[], None] | None = None
    # called once for each session cut as a slow consumer
    on_slow_consumer: Callable[[], None] | None = None
    # called when a websocket connection ends (an access log): the client address, the
    # status the handshake was answered with (None if it never completed), its seconds
    on_websocket_done: Callable[[str | None, int | None, float], None] | None = None
