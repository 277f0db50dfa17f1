"""The door before HTTP: open connections are a budget of file descriptors.

uvicorn accepts every TCP connection and holds one that never sends a byte for as long as
its client likes: 20,100 idle connections from one address took all of a process's 20,000
descriptors, and `/healthz` went dark with everything else. `GatedHttp`, passed as
`uvicorn.Config(http=...)`, wraps uvicorn's own HTTP protocol and, before it sees a byte:

- refuses (a reset, nothing written) a connection past `max_connections` open in the
  server (HTTP and websockets alike: uvicorn's `server_state.connections` holds both, and so
  do the transport's websockets), so the process keeps descriptors for Redis, its logs and
  the next health check once the flood ebbs;
- refuses one past `per_address` not-yet-upgraded HTTP connections from one peer, so one
  address cannot take the whole budget; a websocket, once upgraded, is counted by the
  Engine.IO admission per client address instead. Peers that uvicorn trusts for
  `X-Forwarded-For` (`forwarded_allow_ips`: a load balancer) are not held to it: every client
  shares their address, and they limit their own;
- closes a connection that sends nothing within `first_byte_timeout`.

The seam: uvicorn builds the class as `http(config=, server_state=, app_state=, _loop=)` (the
protocol factory's own `_loop`, handed on), as it builds `ws=`, and its HTTP protocols add
themselves to `server_state.connections` in `connection_made`
(tests/architus_ws/transport/test_seams.py holds uvicorn to both). Nothing else of uvicorn is
touched.
"""

from __future__ import annotations

import asyncio
import functools
import resource
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string


def descriptor_budget() -> int:
    """Connections a process may hold by default: its descriptor limit less what it needs
    besides (Redis pools, logs, the accept that refuses one, a health check)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(soft - min(1024, soft // 8), 16)


@dataclass(frozen=True, slots=True)
class GateLimits:
    max_connections: int | None = None  # None: descriptor_budget()
    per_address: int | None = 64
    first_byte_timeout: float | None = 10.0


class ConnectionGate:
    """The limits and counts of one process (each `--workers` worker has its own)."""

    def __init__(self, limits: GateLimits | None = None) -> None:
        self.configure(limits or GateLimits())
        self.by_address: Counter[str] = Counter()
        self.refused = 0
        self.timed_out = 0

    def configure(self, limits: GateLimits) -> None:
        self.limits = limits
        self.max_connections = (
            limits.max_connections if limits.max_connections is not None else descriptor_budget()
        )


GATE = ConnectionGate()


def _trusted_peers(config: Any) -> frozenset[str] | None:
    """None: every peer is trusted ("*")."""
    if not getattr(config, "proxy_headers", False):
        return frozenset()
    allowed = config.forwarded_allow_ips
    hosts = [allowed] if isinstance(allowed, str) else list(allowed)
    hosts = [part.strip() for host in hosts for part in host.split(",")]
    return None if "*" in hosts else frozenset(hosts)


@functools.cache
def _uvicorn_http() -> Any:
    """uvicorn's own HTTP protocol class ("auto": httptools if installed, else h11), looked up
    once rather than for every connection."""
    return import_from_string(HTTP_PROTOCOLS["auto"])


class GatedHttp(asyncio.Protocol):
    gate: ClassVar[ConnectionGate] = GATE

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._inner: asyncio.Protocol | None = _uvicorn_http()(
            config=config, server_state=server_state, app_state=app_state, _loop=_loop
        )
        self._connections: set[Any] = server_state.connections
        self._trusted = _trusted_peers(config)
        self._transport: asyncio.Transport | None = None
        self._address: str | None = None  # counted against per_address while set
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        gate = self.gate
        peer = transport.get_extra_info("peername")
        address = self._counted_address(peer)
        if len(self._connections) >= gate.max_connections or (
            address is not None and gate.by_address[address] >= (gate.limits.per_address or 0)
        ):
            gate.refused += 1
            self._inner = None
            cast(asyncio.Transport, transport).abort()  # a reset: nothing is written
            return
        if address is not None:
            self._address = address
            gate.by_address[address] += 1
        # uvloop's transports are not asyncio.Transport subclasses, only alike
        self._transport = cast(asyncio.Transport, transport)
        if gate.limits.first_byte_timeout is not None:
            self._deadline = asyncio.get_running_loop().call_later(
                gate.limits.first_byte_timeout, self._silent
            )
        assert self._inner is not None
        self._inner.connection_made(transport)

    def _counted_address(self, peer: Any) -> str | None:
        """The peer's address if per-address counting applies to it."""
        if self.gate.limits.per_address is None or self._trusted is None:
            return None
        if not isinstance(peer, tuple) or not peer:
            return None  # a Unix socket
        address = str(peer[0])
        return None if address in self._trusted else address

    def data_received(self, data: bytes) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._inner is None:
            return
        self._inner.data_received(data)
        transport = self._transport
        if transport is not None and transport.get_protocol() is not self:
            # upgraded to a websocket: its protocol has the transport now, and this object
            # hears nothing more of it
            self._release()
            self._inner = None

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        inner, self._inner = self._inner, None
        if inner is not None:
            inner.connection_lost(exc)

    def _release(self) -> None:
        address, self._address = self._address, None
        if address is not None:
            counts = self.gate.by_address
            counts[address] -= 1
            if counts[address] <= 0:
                del counts[address]

    def _silent(self) -> None:
        self._deadline = None
        transport = self._transport
        if transport is not None and not transport.is_closing():
            self.gate.timed_out += 1
            transport.close()


def gated_http(gate: ConnectionGate) -> type[GatedHttp]:
    """A protocol class for `uvicorn.Config(http=...)` bound to `gate` (tests)."""
    return type("BoundGatedHttp", (GatedHttp,), {"gate": gate})
