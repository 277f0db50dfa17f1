"""Who may open a socket: per client address, a connect budget and a cap on open sockets.

Two levels. Socket.IO connects are refused with codes like request errors (429), which reach
the client as its `connect_error`. Below them the transport counts Engine.IO sessions
(`Admission.sessions`, the engine's admission hook), so that sessions that never send a
Socket.IO CONNECT are held to a budget too: at most `sockets_per_address` +
`CONNECTS_IN_FLIGHT` per address (the few more let a connect over the socket cap still get
its coded refusal), past which the handshake itself is refused (HTTP 503). A session that
never connects is closed at the connect timeout.

The connect budget and the socket cap are the deployment's (`architus_ws.budgets`: shared
through Redis when the bus is on Redis, so N nodes do not give N times each); the Engine.IO
session cap guards this node's own resources and stays per node.
"""

from __future__ import annotations

from collections import Counter

from architus_sdk.wire import ErrorReason
from architus_ws.budgets import Budgets
from architus_ws.requests.errors import RequestError

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
    def __init__(self, budgets: Budgets, sockets_per_address: int) -> None:
        self._budgets = budgets
        self._limit = sockets_per_address
        self.sessions = EngineSessions(sockets_per_address + CONNECTS_IN_FLIGHT)

    async def admit(self, address: str | None) -> None:
        """Count a new socket of `address`, or raise the RequestError that refuses it. At
        most one round trip to Redis (budgets/redis.py)."""
        refusal = await self._budgets.admit(address or "unknown")
        if refusal is None:
            return
        if refusal.why == "sockets":
            raise RequestError(
                ErrorReason.RATE_LIMITED,
                f"too many open connections from your address (at most {self._limit})",
                retry_after=refusal.wait,
            )
        raise RequestError(
            ErrorReason.RATE_LIMITED,
            f"too many connections from your address; retry in {refusal.wait:.2f} s",
            retry_after=round(refusal.wait, 3),
        )

    def release(self, address: str | None) -> None:
        self._budgets.release(address or "unknown")
