"""Pool request latency against a simulated 10,000-member guild on a real Redis.

Each figure is a client's round trip over a websocket to a gateway process; beside it, the
same read straight from the mirror in this process (no socket, no gateway), measured in the
same run, and the ratio between them.

usage: python -m bench.pools [--members 10000] [--samples 300]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from architus_sdk.wire import EntityType
from architus_sdk.wire.codec import OrjsonCodec
from architus_ws.auth.tokens import mint_token
from bench.support import SECRET, gateway_process, percentile, redis_server, save_results
from bot_bridge.bus import Bus, Mirror, mirror_for
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild

GUILD = "910000000000000001"


async def timed(samples: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    for _ in range(min(20, samples)):
        await call()  # warm up connections and caches
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def whole_pool_by_socket(sio: socketio.AsyncClient) -> int:
    count, cursor = 0, None
    while True:
        request: dict[str, Any] = {"type": "member", "guild_id": GUILD, "all": True, "limit": 5000}
        if cursor:
            request["after"] = cursor
        ack = await sio.call("pool", request)
        assert ack["ok"], ack
        count += len(ack["data"]["data"])
        cursor = ack["data"]["next"]
        if cursor is None:
            return count


async def whole_pool_direct(mirror: Mirror) -> int:
    count, cursor = 0, None
    while True:
        entities, cursor = await mirror.page(GUILD, EntityType.MEMBER, cursor, 5000)
        count += entities.joined.count('"joined_at"')  # one per member, without parsing
        if cursor is None:
            return count


async def run(members: int, samples: int) -> dict[str, Any]:
    rng = random.Random(7)
    async with redis_server() as redis_url, gateway_process(redis_url) as url:
        bus = Bus(redis_url)
        mirror = mirror_for(redis_url)
        await bus.connect()
        guild = SimulatedGuild(GUILD, rng=random.Random(1))
        guild.seed(members)
        await guild.publish_seed(Publisher(bus, mirror))
        ids = list(guild.members)
        names: list[str] = [m["name"] for m in guild.members.values()]
        sio = socketio.AsyncClient(json=OrjsonCodec)
        token = mint_token(SECRET, "1", {GUILD: 0x2}, ttl=3600)
        await sio.connect(url, auth={"token": token}, transports=["websocket"])

        def some_ids() -> list[str]:
            return rng.sample(ids, 100)

        def query() -> str:
            return rng.choice(names)[: rng.randint(2, 3)]

        async def ids_socket() -> None:
            assert (
                await sio.call("pool", {"type": "member", "guild_id": GUILD, "ids": some_ids()})
            )["ok"]

        async def search_socket() -> None:
            assert (
                await sio.call("pool", {"type": "member", "guild_id": GUILD, "search": query()})
            )["ok"]

        assert await whole_pool_by_socket(sio) == members
        # whole-pool reads move ~2 MB each: fewer samples keep the run short
        pool_samples = max(20, samples // 10)
        figures = {
            "all members paged": (
                await timed(pool_samples, lambda: whole_pool_by_socket(sio)),
                await timed(pool_samples, lambda: whole_pool_direct(mirror)),
            ),
            "ids of 100 members": (
                await timed(samples, ids_socket),
                await timed(samples, lambda: mirror.entities(GUILD, EntityType.MEMBER, some_ids())),
            ),
            "member search": (
                await timed(samples, search_socket),
                await timed(samples, lambda: mirror.search(GUILD, EntityType.MEMBER, query(), 25)),
            ),
        }
        await sio.disconnect()
        await bus.disconnect()
        await mirror.disconnect()
    return {
        name: {
            "gateway_ms": {"p50": percentile(socket, 0.5), "p99": percentile(socket, 0.99)},
            "direct_mirror_ms": {"p50": percentile(direct, 0.5), "p99": percentile(direct, 0.99)},
        }
        for name, (socket, direct) in figures.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    results = asyncio.run(run(args.members, args.samples))
    print(f"pool requests, {args.members} members, real Redis (ms)")
    print(
        f"{'request':<22}{'gateway p50':>12}{'p99':>9}{'direct p50':>12}{'p99':>9}{'p50 ratio':>11}"
    )
    for name, figure in results.items():
        gateway, direct = figure["gateway_ms"], figure["direct_mirror_ms"]
        print(
            f"{name:<22}{gateway['p50']:>12.2f}{gateway['p99']:>9.2f}{direct['p50']:>12.2f}"
            f"{direct['p99']:>9.2f}{gateway['p50'] / direct['p50']:>11.2f}"
        )
    save_results("pools", args, results)


if __name__ == "__main__":
    main()
