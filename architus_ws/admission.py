"""Who may open a socket: per client address, a connect budget and a cap on open sockets.

Refusals are coded like request errors (429) and reach the client as its `connect_error`.
Counts are of this node only; behind a load balancer each node applies them to what it sees.
"""

from __future__ import annotations

from collections import Counter

from architus_sdk.wire import ErrorReason
from architus_ws.config import RateLimit
from architus_ws.errors import RequestError
from architus_ws.ratelimit import AddressBudgets


class Admission:
    def __init__(self, connect_rate: RateLimit, sockets_per_address: int) -> None:
        self._connects = AddressBudgets(connect_rate)
        self._limit = sockets_per_address
        self._open: Counter[str] = Counter()

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
