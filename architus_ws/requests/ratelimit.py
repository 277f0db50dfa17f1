"""Token buckets of one process: a connection's request budgets, and per-address budgets as
one process sees them (the memory bus's, and a Redis node's while Redis is away: budgets/)."""

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

    @property
    def full(self) -> bool:
        """Untouched for long enough to be back at capacity: forgetting it changes nothing."""
        elapsed = time.monotonic() - self._updated
        return self._tokens + elapsed * self._refill_per_second >= self._capacity

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


class AddressBudgets:
    """One bucket per client address, shared by all its connections. Buckets back at full
    capacity are forgotten in sweeps, so memory follows the addresses active recently."""

    SWEEP_EVERY = 1024

    def __init__(self, rate: RateLimit) -> None:
        self._rate = rate
        self._buckets: dict[str, TokenBucket] = {}
        self._takes = 0

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, address: str | None) -> float:
        self._takes += 1
        if self._takes % self.SWEEP_EVERY == 0:
            self._buckets = {a: b for a, b in self._buckets.items() if not b.full}
        key = address or "unknown"
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self._rate)
        return bucket.take()
