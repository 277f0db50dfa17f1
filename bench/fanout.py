"""Fan-out throughput: pushes per second delivered to N websocket spectators of one room,
on the same client load (Node socket.io-client consumers), in one run:

- Node socket.io 4.8 with its Redis adapter, events from another process through
  @socket.io/redis-emitter (the reference: ratios are to it);
- this gateway on its in-memory bus, events published in-process;
- this gateway on Redis, events published by another process through the bus's own Lua
  script (lua_publisher.mjs: a Node client, as the reference's emitter is);
- stock python-socketio, events emitted in-process.

Two figures per server: deliveries per second (pushes received by all consumers over the
time between the first and the last receipt), and the server process's CPU seconds (utime +
stime from /proc/PID/stat, from just before the events are triggered until the last is
received) per million deliveries. The servers that publish in-process (gateway, stock)
count the publishing too; node's emitter and gateway-redis's publisher are processes of
their own, and Redis's CPU is not counted for any.

usage: python -m bench.fanout [--spectators 100 1000] [--rounds 3] [--kinds node gateway ...]
(kinds: node, gateway, gateway-redis, stock, gateway-hypercorn; node, the reference, first)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from architus_ws.auth.tokens import mint_token
from bench.servers import GUILD, entry
from bench.support import SECRET, Served, cpu_seconds, redis_server, save_results, serve
from bot_bridge.bus import Draft, Stream
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.bus.redis import RedisBackend

HERE = Path(__file__).parent
# The reference first: ratios are to Node socket.io with its Redis adapter.
KINDS = ("node", "gateway", "gateway-redis", "stock")
EXTRA = ("gateway-hypercorn",)  # by --kinds only: the ASGI server comparison
DELIVERIES = 400_000  # per round: events = DELIVERIES / spectators


async def trigger(kind: str, url: str, redis_url: str, events: int) -> None:
    if kind in ("gateway", "stock", "gateway-hypercorn"):
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{url}/bench/publish?n={events}") as response,
        ):
            assert response.status == 200
        return
    if kind == "node":
        command = ["node", str(HERE / "node_emitter.mjs"), redis_url, GUILD, str(events)]
        emitter = await asyncio.create_subprocess_exec(*command, cwd=HERE.parent)
        assert await emitter.wait() == 0
        return
    publisher = await asyncio.create_subprocess_exec(
        "node", str(HERE / "lua_publisher.mjs"), redis_url, stdin=asyncio.subprocess.PIPE
    )
    await publisher.communicate(lua_calls(redis_url, events))
    assert publisher.returncode == 0


def lua_calls(redis_url: str, events: int) -> bytes:
    """The bus's publish script and its calls for `events` log entries, for a Node client:
    the same Redis work per event as bot_bridge.Publisher, without redis-py's cost per call
    on this 2-core machine's shared CPUs (the reference's emitter is a Node client too)."""
    backend = RedisBackend(redis_url, HistoryLimits())
    calls = []
    script: Any = None
    for n in range(events):
        draft = Draft(GUILD, Stream.LOGS, entry(n).model_dump_json())
        script, command_keys, args = backend.publish_call(draft)
        calls.append([command_keys, args])
    return json.dumps({"script": script.script, "calls": calls}).encode()


@dataclass(frozen=True)
class Round:
    deliveries_per_s: float
    cpu_s_per_million: float  # the server process's


async def one_round(kind: str, clients: int, events: int, redis_url: str) -> Round:
    async with serve(kind, redis_url) as served:
        return await measure(kind, served, clients, events, redis_url)


async def measure(kind: str, served: Served, clients: int, events: int, redis_url: str) -> Round:
    consumer = None
    try:
        token = mint_token(SECRET, "1", {GUILD: 0x2}, ttl=600)
        mode = "gateway" if kind.startswith("gateway") else "stock"
        consumer = await asyncio.create_subprocess_exec(
            "node",
            str(HERE / "consumer.mjs"),
            served.url,
            str(clients),
            str(events),
            mode,
            token,
            GUILD,
            stdout=asyncio.subprocess.PIPE,
        )
        assert consumer.stdout is not None
        ready = json.loads(await asyncio.wait_for(consumer.stdout.readline(), 120))
        assert ready == {"ready": True}, ready
        cpu_before = cpu_seconds(served.pid)
        await trigger(kind, served.url, redis_url, events)
        result: dict[str, Any] = json.loads(await asyncio.wait_for(consumer.stdout.readline(), 150))
        cpu = cpu_seconds(served.pid) - cpu_before
        if result["timed_out"]:
            raise RuntimeError(f"{kind}: only {result['received']} of {clients * events} arrived")
        seconds = float(result["last_ms"] - result["first_ms"]) / 1000
        received = float(result["received"])
        return Round(received / seconds, cpu / received * 1e6)
    finally:
        if consumer is not None and consumer.returncode is None:
            consumer.terminate()
            await consumer.wait()


async def run(spectators: list[int], rounds: int, kinds: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with redis_server() as redis_url:
        for clients in spectators:
            events = DELIVERIES // clients
            figures: dict[str, list[Round]] = {kind: [] for kind in kinds}
            for _ in range(rounds):
                # interleaved, so drift in the machine's load hits every server alike
                for kind in kinds:
                    figures[kind].append(await one_round(kind, clients, events, redis_url))
            results[str(clients)] = {
                kind: {
                    "deliveries_per_s": statistics.median(r.deliveries_per_s for r in values),
                    "cpu_s_per_million": statistics.median(r.cpu_s_per_million for r in values),
                    "rounds": [vars(r) for r in values],
                }
                for kind, values in figures.items()
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--spectators", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=[*KINDS, *EXTRA])
    args = parser.parse_args()
    results = asyncio.run(run(args.spectators, args.rounds, args.kinds))
    names = {
        "node": "Node socket.io + redis adapter",
        "gateway": "architus gateway (memory)",
        "gateway-redis": "architus gateway (Redis)",
        "stock": "stock python-socketio",
        "gateway-hypercorn": "architus gateway (memory), Hypercorn",
    }
    reference = args.kinds[0]
    for clients, figures in results.items():
        node = figures[reference]
        print(
            f"fan-out to {clients} websocket spectators, {DELIVERIES // int(clients)} events, "
            f"median of {args.rounds} rounds"
        )
        print(
            f"{'server':<40}{'deliveries/s':>14}{'vs ' + reference:>14}"
            f"{'CPU s / 1M':>12}{'vs ' + reference:>14}"
        )
        for kind in args.kinds:
            rate = figures[kind]["deliveries_per_s"]
            cpu = figures[kind]["cpu_s_per_million"]
            print(
                f"{names[kind]:<40}{rate:>14,.0f}{rate / node['deliveries_per_s']:>14.2f}"
                f"{cpu:>12.2f}{cpu / node['cpu_s_per_million']:>14.2f}"
            )
    save_results("fanout", args, results)


if __name__ == "__main__":
    main()
