"""Push latency through Redis, and resume time.

Latency: from the publisher's call to a Node socket.io-client spectator's receipt, through a
private redis-server, at 100 spectators x 100 events/s and 1,000 spectators x 10 events/s:

- the reference, Node socket.io 4.8 with its Redis adapter, events emitted by another Node
  process through @socket.io/redis-emitter (node_emitter.mjs, paced, stamping each event);
- this gateway (`architus-ws serve --redis`), events published by this process through
  bot_bridge.Publisher, with the history (the default) and with none (`max_events` 0: the
  same Lua script without XADD), so the ratios say what the gateway and the history cost.

Resume: a python-socketio client spectates with `resume` 1,000 events behind; the time from
the request to the ack (every replayed push arrives before it), beside a spectate without
resume on the same guild.

usage: python -m bench.latency [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import socketio

from architus_sdk.wire import LogAction, LogOtherBody
from architus_sdk.wire.codec import OrjsonCodec
from architus_ws.auth.tokens import mint_token
from bench.support import (
    SECRET,
    gateway_process,
    percentile,
    redis_server,
    save_results,
    serve,
)
from bot_bridge.bus import Bus
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.publisher import Publisher, timestamp

HERE = Path(__file__).parent
GUILD = "930000000000000001"
LOADS = [(100, 100), (1000, 10)]  # (spectators, events per second)


def entry(n: int) -> LogOtherBody:
    return LogOtherBody(
        id=str(10**17 + n),
        action=LogAction.MESSAGE_SENT,
        private=False,
        agent_id="1",
        subject_id=None,
        content="x" * 100,
        data={"sent_at": time.time() * 1000},
        timestamp=timestamp(),
    )


async def publish_paced(redis_url: str, rate: int, count: int, history: bool) -> None:
    bus = Bus(redis_url, HistoryLimits(max_events=1000 if history else 0))
    await bus.connect()
    publisher = Publisher(bus)
    started = time.monotonic()
    for n in range(count):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await publisher.log(GUILD, entry(n))
    await bus.disconnect()


async def emit_paced(redis_url: str, rate: int, count: int) -> None:
    command = ["node", str(HERE / "node_emitter.mjs"), redis_url, GUILD, str(count), str(rate)]
    emitter = await asyncio.create_subprocess_exec(*command)
    assert await emitter.wait() == 0


async def one_load(
    kind: str, url: str, redis_url: str, spectators: int, rate: int, seconds: float
) -> dict[str, Any]:
    """kind: `node`, `gateway` (with history) or `gateway-no-history`."""
    token = mint_token(SECRET, "1", {GUILD: 0x2}, ttl=3600)
    consumer = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "latency.mjs"),
        url,
        str(spectators),
        token,
        GUILD,
        "join" if kind == "node" else "spectate",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert consumer.stdout is not None
    assert consumer.stdin is not None
    assert json.loads(await asyncio.wait_for(consumer.stdout.readline(), 120)) == {"ready": True}
    count = int(rate * seconds)
    if kind == "node":
        await emit_paced(redis_url, rate, count)
    else:
        await publish_paced(redis_url, rate, count, history=kind == "gateway")
    await asyncio.sleep(1)  # the last pushes land
    consumer.stdin.close()
    result: dict[str, Any] = json.loads(await asyncio.wait_for(consumer.stdout.readline(), 60))
    await consumer.wait()
    result["expected"] = spectators * int(rate * seconds)
    return result


async def resume_times(url: str, redis_url: str, samples: int) -> dict[str, float]:
    bus = Bus(redis_url, HistoryLimits(max_events=5000))
    await bus.connect()
    publisher = Publisher(bus)
    token = mint_token(SECRET, "1", {GUILD: 0x2}, ttl=3600)
    sio = socketio.AsyncClient(json=OrjsonCodec)
    await sio.connect(url, auth={"token": token}, transports=["websocket"])
    first = await sio.call("spectate", {"guild_id": GUILD, "include_logs": True})
    epoch, logs_seq = first["data"]["epoch"], first["data"]["logs_seq"]
    for n in range(1000):
        await publisher.log(GUILD, entry(n))
    await asyncio.sleep(0.5)
    await sio.call("spectate", {"guild_id": None})
    resumed, plain = [], []
    for _ in range(samples):
        began = time.perf_counter()
        ack = await sio.call(
            "spectate",
            {
                "guild_id": GUILD,
                "include_logs": True,
                "resume": {"epoch": epoch, "pool_seq": 0, "logs_seq": logs_seq},
            },
        )
        resumed.append((time.perf_counter() - began) * 1000)
        assert ack["data"]["replayed"] == 1000, ack
        began = time.perf_counter()
        await sio.call("spectate", {"guild_id": GUILD, "include_logs": True})
        plain.append((time.perf_counter() - began) * 1000)
    await sio.disconnect()
    await bus.disconnect()
    return {
        "resume_1000_p50_ms": percentile(resumed, 0.5),
        "resume_1000_p99_ms": percentile(resumed, 0.99),
        "plain_spectate_p50_ms": percentile(plain, 0.5),
    }


KINDS = ("node", "gateway", "gateway-no-history")
NAMES = {
    "node": "Node socket.io + redis adapter",
    "gateway": "architus gateway (Redis)",
    "gateway-no-history": "  the same, no history",
}


async def run(seconds: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with redis_server() as redis_url:
        for spectators, rate in LOADS:
            load = results[f"{spectators} x {rate}/s"] = {}
            for kind in KINDS:
                server = "node" if kind == "node" else "gateway-redis"
                async with serve(server, redis_url) as served:
                    load[kind] = await one_load(
                        kind, served.url, redis_url, spectators, rate, seconds
                    )
        async with gateway_process(redis_url) as url:
            results["resume"] = await resume_times(url, redis_url, samples=20)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    results = asyncio.run(run(args.seconds))
    print(f"push latency, publisher call to client receipt, through Redis ({args.seconds} s each)")
    for spectators, rate in LOADS:
        load = results[f"{spectators} x {rate}/s"]
        node = load["node"]
        print(f"{spectators} spectators x {rate} events/s")
        print(
            f"{'server':<34}{'received':>14}{'p50 ms':>9}{'p99 ms':>9}"
            f"{'p50 vs Node':>13}{'p99 vs Node':>13}"
        )
        for kind in KINDS:
            figure = load[kind]
            print(
                f"{NAMES[kind]:<34}{figure['count']:>7}/{figure['expected']:<6}"
                f"{figure['p50']:>9.2f}{figure['p99']:>9.2f}"
                f"{figure['p50'] / node['p50']:>13.2f}{figure['p99'] / node['p99']:>13.2f}"
            )
    resume = results["resume"]
    print(
        f"resume 1,000 missed events: p50 {resume['resume_1000_p50_ms']:.1f} ms, "
        f"p99 {resume['resume_1000_p99_ms']:.1f} ms "
        f"(spectate without resume: p50 {resume['plain_spectate_p50_ms']:.2f} ms)"
    )
    save_results("latency", args, results)


if __name__ == "__main__":
    main()
