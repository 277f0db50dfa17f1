"""Budgets every node on one Redis (or Redis Cluster) shares, per client address.

Connects: one script per connect (ADMIT: the sockets cap and the connect bucket together),
exact across nodes. A refusal for the connect budget is remembered until its wait has passed
(tokens only come back by refill, so no other node can have one sooner): a connect flood from
one address costs no round trip per refused connect. Released sockets are told to Redis in a
task of their own, never on a path a client waits for.

Sockets of a node that dies stop counting when its keepalive ends: every `TICK` a node puts
the end of its keepalive `NODE_TTL` ahead in the node table, and ADMIT counts only the fields
of nodes whose keepalive has not ended. A SIGKILLed node's sockets are forgotten within
`NODE_TTL` (15 s).

Interpret (a request, so the fast path stays synchronous): each node may spend, per address,
`free` = capacity // FREE_SHARE requests without asking (its unreported share), then the next
request asks Redis, charging the unreported ones with it (a debt charged whatever the level:
spent is spent). The share is renewed only when Redis answers that the bucket is at least half
full; near the limit every request asks (or is refused from the remembered wait). Debts left
are charged at the next tick. So an address far from its limit costs one round trip per
`free` + 1 requests, and one that is idle for a tick none at all.

Worst case with N nodes (N <= FREE_SHARE, so that the shares together stay within the
budget): every request is charged to the one shared bucket, at most `TICK` (+ one call) late,
and a node's unreported requests never exceed `free`. An address thus gets at most capacity +
N * free + rate * TICK requests in a burst (the defaults, 60/10 s and free = 6: 66 + 6 N), and
in any t seconds at most that plus rate * t: the sustained rate is the budget's own (a share
is renewed on a bucket in debt only once the bucket, as last seen, would be full again).

While Redis does not answer (or takes longer than CALL_TIMEOUT), each node applies its own
per-address budgets (memory.py): N times each budget, every such check counted
(`on_fail_open`: `architus_budget_fail_open_total`), one warning logged per outage. What a
node allows alone then is not charged to the shared budgets afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from architus_ws.budgets import redis_scripts as scripts
from architus_ws.budgets.base import Budgets, Refusal
from architus_ws.budgets.memory import MemoryBudgets
from architus_ws.config import RateLimit
from bot_bridge.bus.redis_connection import TRANSIENT, RedisClient, redis_client

logger = logging.getLogger(__name__)

TICK = 1.0
NODE_TTL = 15.0
SOCKETS_TTL = 60.0
# a check waits at most this for Redis (a round trip is well under a millisecond), then
# fails open; after a failure Redis is not asked again for RETRY seconds
CALL_TIMEOUT = 0.5
RETRY = 1.0
FREE_SHARE = 10
# sockets hashes kept alive per tick script
KEEPALIVE_BATCH = 500


class Unanswered(Exception):
    """Redis did not answer (down, slow, or recently so): the caller fails open."""


class RedisBudgets(Budgets):
    def __init__(
        self,
        url: str,
        connect_rate: RateLimit,
        sockets_per_address: int,
        interpret_rate: RateLimit,
        on_fail_open: Callable[[], None],
    ) -> None:
        self.node = uuid.uuid4().hex
        self._client: RedisClient = redis_client(url)
        self._admit = self._client.register_script(scripts.ADMIT)
        self._release = self._client.register_script(scripts.RELEASE)
        self._interpret = self._client.register_script(scripts.INTERPRET)
        self._tick = self._client.register_script(scripts.TICK)
        self._leave = self._client.register_script(scripts.LEAVE)
        self._connect = [round(connect_rate.per_seconds * 1000), connect_rate.requests]
        self._limit = sockets_per_address
        self._rate = [round(interpret_rate.per_seconds * 1000), interpret_rate.requests]
        self.free = interpret_rate.requests // FREE_SHARE
        self._fallback = MemoryBudgets(connect_rate, sockets_per_address, interpret_rate)
        self._on_fail_open = on_fail_open
        # sockets this node counts in Redis; releases Redis has not taken yet
        self._held: Counter[str] = Counter()
        self._unreleased: Counter[str] = Counter()
        # interpret: requests spent and not yet charged, and what each address may still
        # spend unreported (absent: `free`)
        self._debts: Counter[str] = Counter()
        self._allowance: dict[str, int] = {}
        self._full_at: dict[str, float] = {}
        self._connects_refused: dict[str, float] = {}
        self._interpret_refused: dict[str, float] = {}
        self._retry_at = 0.0
        self._outage = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self) -> None:
        with contextlib.suppress(Unanswered):
            await self._keepalive()
        self._ticker = asyncio.create_task(self._ticks())

    async def stop(self) -> None:
        self._stopped = True
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Unanswered):
            await self._keepalive()  # the last debts
            await self._call(self._leave, [scripts.NODES], [self.node])
        await self._client.aclose()

    async def admit(self, address: str) -> Refusal | None:
        wait = _remaining(self._connects_refused, address)
        if wait:
            return Refusal("connects", wait)
        keys = [scripts.NODES, scripts.sockets_key(address), scripts.connects_key(address)]
        try:
            code, wait_ms = await self._call(
                self._admit,
                keys,
                [self.node, self._limit, *self._connect, round(SOCKETS_TTL * 1000)],
            )
        except Unanswered:
            self._on_fail_open()
            return self._fallback.admit_now(address)
        if code == 1:
            return Refusal("sockets", 1.0)
        if code == 2:
            self._connects_refused[address] = time.monotonic() + wait_ms / 1000
            return Refusal("connects", wait_ms / 1000)
        self._held[address] += 1
        return None

    def release(self, address: str) -> None:
        if self._held[address] <= 0:
            # counted by the fallback while Redis was away
            self._fallback.release(address)
            return
        self._held[address] -= 1
        if self._held[address] == 0:
            del self._held[address]
        if self._stopped:
            return  # the node has left: its fields no longer count
        self._unreleased[address] += 1
        self._spawn(self._flush_releases([address]))

    def interpret_now(self, address: str) -> float | None:
        wait = _remaining(self._interpret_refused, address)
        if wait:
            return wait
        if time.monotonic() < self._retry_at:
            self._on_fail_open()
            return self._fallback.interpret_now(address)
        allowance = self._allowance.get(address, self.free)
        if allowance <= 0:
            return None
        self._allowance[address] = allowance - 1
        self._debts[address] += 1
        return 0.0

    async def interpret(self, address: str) -> float:
        debt = self._debts.pop(address, 0)
        try:
            wait_ms, left = await self._call(
                self._interpret, [scripts.interpret_key(address)], [*self._rate, debt]
            )
        except Unanswered:
            self._debts[address] += debt  # charged at a later tick
            self._on_fail_open()
            return self._fallback.interpret_now(address)
        self._settle(address, left)
        if wait_ms:
            self._interpret_refused[address] = time.monotonic() + wait_ms / 1000
        return float(wait_ms) / 1000

    def _settle(self, address: str, left: int) -> None:
        """Renew the address's unreported share if Redis saw its bucket at least half full,
        less what it spent meanwhile (so its unreported requests never exceed `free`).

        The entry is kept until the bucket, as Redis last showed it, is full again: forgotten
        sooner, a node could renew its share on a bucket in debt once per tick."""
        period_ms, capacity = self._rate
        if left * 2 >= capacity:
            self._allowance[address] = max(0, self.free - self._debts[address])
        else:
            self._allowance[address] = 0
        refill = (capacity - left) * period_ms / capacity / 1000
        self._full_at[address] = time.monotonic() + refill

    async def _call(self, script: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        if time.monotonic() < self._retry_at:
            raise Unanswered
        try:
            async with asyncio.timeout(CALL_TIMEOUT):
                result = await script(keys=keys, args=args)
        except (TimeoutError, *TRANSIENT) as error:
            self._retry_at = time.monotonic() + RETRY
            if not self._outage:
                self._outage = True
                logger.warning(
                    "Redis does not answer (%s): each node applies its own per-address "
                    "budgets until it does",
                    type(error).__name__,
                )
            raise Unanswered from error
        if self._outage:
            self._outage = False
            logger.warning("Redis answers again: per-address budgets are shared again")
        return result

    async def _ticks(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            with contextlib.suppress(Unanswered):
                await self._keepalive()
                await self._flush_releases(list(self._unreleased))
            self._forget()

    async def _keepalive(self) -> None:
        """Keep this node counted, charge the interpret debts, keep its sockets hashes."""
        debts, self._debts = self._debts, Counter()
        held = [scripts.sockets_key(address) for address in self._held]
        owed = list(debts)
        for start in range(0, max(len(held), 1), KEEPALIVE_BATCH):
            first = start == 0
            keys = [scripts.interpret_key(a) for a in owed] if first else []
            args = [
                self.node,
                round(NODE_TTL * 1000),
                round(SOCKETS_TTL * 1000),
                *self._rate,
                len(keys),
            ]
            try:
                left = await self._call(
                    self._tick,
                    [scripts.NODES, *keys, *held[start : start + KEEPALIVE_BATCH]],
                    [*args, *(debts[a] for a in owed)] if first else args,
                )
            except Unanswered:
                if first:
                    self._debts.update(debts)
                raise
            if first:
                for address, tokens in zip(owed, left, strict=True):
                    self._settle(address, tokens)

    async def _flush_releases(self, addresses: list[str]) -> None:
        for address in addresses:
            count = self._unreleased.pop(address, 0)
            if not count:
                continue
            try:
                await self._call(self._release, [scripts.sockets_key(address)], [self.node, count])
            except Unanswered:
                self._unreleased[address] += count  # the next tick tries again
                return

    def _forget(self) -> None:
        """Drop what is back to its default, so memory follows the active addresses."""
        now = time.monotonic()
        for refused in (self._connects_refused, self._interpret_refused):
            for address in [a for a, until in refused.items() if until <= now]:
                del refused[address]
        for address in [a for a, at in self._full_at.items() if at <= now]:
            if not self._debts[address]:
                del self._full_at[address]
                self._allowance.pop(address, None)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _remaining(until: dict[str, float], address: str) -> float:
    end = until.get(address)
    if end is None:
        return 0.0
    left = end - time.monotonic()
    if left > 0:
        return left
    del until[address]
    return 0.0
