"""What a per-address budget check costs once it is shared through Redis, beside the per-node
limiter, in the same run, on a private redis-server.

Three loads on interpret's per-address budget, each paced over `--seconds`:

- `idle-ish`: 500 addresses, each one request a second (the default budget, 60 / 10 s): every
  address stays far from its limit, the pre-filter's unreported share;
- `busy`: one address, 1,000 requests a second under a budget of 20,000 / 10 s (share 2,000);
- `hot`: one address, 1,000 requests a second against the default 60 / 10 s: at its limit,
  every request near it asks Redis, refused ones are answered from the remembered wait.

Per check: mean and p99 µs (wall time, round trip included, from the caller's view: the
synchronous `interpret_now` and, when it cannot tell, the awaited `interpret`); Redis round
trips per 1,000 requests, from Redis's own INFO commandstats (so the node's keepalive
ticks, which carry the unreported requests, are counted too); and the share refused.

usage: python -m bench.budgets [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis

from architus_ws.budgets.memory import MemoryBudgets
from architus_ws.budgets.redis import RedisBudgets
from architus_ws.config import RateLimit
from bench.support import percentile, redis_server, save_results

CONNECTS = RateLimit(30, 10)
DEFAULT = RateLimit(60, 10)

# name: (budget, addresses, requests a second per address)
LOADS: dict[str, tuple[RateLimit, int, int]] = {
    "idle-ish": (DEFAULT, 500, 1),
    "busy": (RateLimit(20_000, 10), 1, 1000),
    "hot": (DEFAULT, 1, 1000),
}


async def script_calls(client: redis.Redis) -> int:
    stats: dict[str, Any] = await client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


async def check(budgets: MemoryBudgets | RedisBudgets, address: str) -> tuple[float, float]:
    """(µs, wait) of one check, as the gateway makes it."""
    started = time.perf_counter()
    wait = budgets.interpret_now(address)
    if wait is None:
        wait = await budgets.interpret(address)
    return (time.perf_counter() - started) * 1e6, wait


async def run_load(
    budgets: MemoryBudgets | RedisBudgets, addresses: int, per_second: int, seconds: float
) -> tuple[list[float], int]:
    """Request k at k / (addresses * per_second) s, from the addresses in turn."""
    costs: list[float] = []
    refused = 0
    names = [f"198.51.{n // 250}.{n % 250}" for n in range(addresses)]
    rate = addresses * per_second
    loop = asyncio.get_running_loop()
    start = loop.time()
    for k in range(round(seconds * rate)):
        ahead = start + k / rate - loop.time()
        if ahead > 0.001:
            await asyncio.sleep(ahead)
        cost, wait = await check(budgets, names[k % addresses])
        costs.append(cost)
        refused += wait > 0
    return costs, refused


async def measure(
    name: str,
    make: Callable[[RateLimit], MemoryBudgets | RedisBudgets],
    client: redis.Redis,
    seconds: float,
) -> dict[str, float]:
    rate, addresses, per_second = LOADS[name]
    budgets = make(rate)
    await budgets.start()
    await client.flushall()
    before = await script_calls(client)
    try:
        costs, refused = await run_load(budgets, addresses, per_second, seconds)
    finally:
        await budgets.stop()  # the last tick, as a running node would make it
    trips = await script_calls(client) - before
    return {
        "requests": len(costs),
        "mean_us": sum(costs) / len(costs),
        "p99_us": percentile(costs, 0.99),
        "round_trips_per_1000": trips * 1000 / len(costs),
        "refused_share": refused / len(costs),
    }


async def run(seconds: float) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {}
    async with redis_server() as url:
        client = redis.Redis.from_url(url, decode_responses=True)
        limiters: dict[str, Callable[[RateLimit], MemoryBudgets | RedisBudgets]] = {
            "per node": lambda rate: MemoryBudgets(CONNECTS, 50, rate),
            "shared": lambda rate: RedisBudgets(url, CONNECTS, 50, rate, lambda: None),
        }
        try:
            for load in LOADS:
                results[load] = {
                    kind: await measure(load, make, client, seconds)
                    for kind, make in limiters.items()
                }
        finally:
            await client.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    results = asyncio.run(run(args.seconds))
    print(f"interpret per-address budget checks, {args.seconds:g} s a load, one node")
    print(
        f"{'load':<10}{'limiter':<10}{'requests':>9}{'mean µs':>9}{'p99 µs':>9}"
        f"{'RT/1000':>9}{'refused':>9}"
    )
    for load, kinds in results.items():
        for kind, r in kinds.items():
            print(
                f"{load:<10}{kind:<10}{r['requests']:>9.0f}{r['mean_us']:>9.1f}"
                f"{r['p99_us']:>9.1f}{r['round_trips_per_1000']:>9.1f}{r['refused_share']:>9.1%}"
            )
    save_results("budgets", args, results)


if __name__ == "__main__":
    main()
