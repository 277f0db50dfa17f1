"""Token buckets for per-connection request budgets."""

from __future__ import annotations

import time

from architus_ws.config import RateLimit


class TokenBucket:
    """`rate.requests` tokens, refilled continuously over `rate.per_seconds`."""

    __slots__ = ("_capacity", "_refill_per_second", "_tokens", "_updated")

    def __init__(self, rate: RateLimit) -> None:
        self._capacity = float(rate.requests)
        self._refill_per_second = rate.requests / rate.per_seconds
        self._tokens = self._capacity
        self._updated = time.monotonic()

    def take(self) -> float:
        """Take one token; return 0 on success, else the seconds until one is available."""
        now = time.monotonic()
        self._tokens = min(
            self._capacity, self._tokens + (now - self._updated) * self._refill_per_second
        )
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._refill_per_second
