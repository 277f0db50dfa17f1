"""Who may open a socket: per client address, a connect budget and a cap on open sockets.

Two levels. Socket.IO connects are refused with codes like request errors (429), which reach
the client as its `connect_error`. Below them the transport counts Engine.IO sessions
(`Admission.sessions`, the engine's admission hook), so that sessions that never send a
Socket.IO CONNECT are held to a budget too: at most `sockets_per_address` +
`CONNECTS_IN_FLIGHT` per address (the few more let a connect over the socket cap still get
its coded refusal), past which the handshake itself is refused (HTTP 503). A session that
never connects is closed at the connect timeout.

Counts are of this node only; behind a load balancer each node applies them to what it sees.
"""

from __future__ import annotations

from collections import Counter

from architus_sdk.wire import ErrorReason
from architus_ws.config import RateLimit
from architus_ws.requests.errors import RequestError
from architus_ws.requests.ratelimit import AddressBudgets

# Engine.IO sessions an address may hold beyond its socket cap: connects in progress, or
# refused and not yet closed
CONNECTS_IN_FLIGHT = 8


class EngineSessions:
    """The transport's admission hook (`EngineOptions.admission`): open Engine.IO sessions
    per address, capped."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: Counter[str] = Counter()

    def admit(self, address: str | None) -> bool:
        key = address or "unknown"
        if self._open[key] >= self._limit:
            return False
        self._open[key] += 1
        return True

    def release(self, address: str | None) -> None:
        key = address or "unknown"
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]

    def __len__(self) -> int:
        return sum(self._open.values())


class Admission:
    def __init__(self, connect_rate: RateLimit, sockets_per_address: int) -> None:
        self._connects = AddressBudgets(connect_rate)
        self._limit = sockets_per_address
        self._open: Counter[str] = Counter()
        self.sessions = EngineSessions(sockets_per_address + CONNECTS_IN_FLIGHT)

    def admit(self, address: str | None) -> None:
        """Count a new socket of `address`, or raise the RequestError that refuses it."""
        key = address or "unknown"
        if self._open[key] >= self._limit:
            raise RequestError(
                ErrorReason.RATE_LIMITED,
                f"too many open connections from your address (at most {self._limit})",
                retry_after=1.0,
            )
        wait = self._connects.take(key)
        if wait:
            raise RequestError(
                ErrorReason.RATE_LIMITED,
                f"too many connections from your address; retry in {wait:.2f} s",
                retry_after=round(wait, 3),
            )
        self._open[key] += 1

    def release(self, address: str | None) -> None:
        key = address or "unknown"
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]
