"""Push latency through Redis, and resume time.

Latency: from the publisher's call (bot_bridge.Publisher, in this process) to a Node
socket.io-client spectator's receipt, through a private redis-server and a gateway process,
at 100 spectators x 100 events/s and 1,000 spectators x 10 events/s. Each load runs twice in
the same run: with the history (the default) and with none (`max_events` 0: the same Lua
script without XADD), so the ratio is what the history costs.

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

from architus_sdk.wire import LogOtherBody
from architus_sdk.wire.codec import OrjsonCodec
from architus_ws.tokens import mint_token
from bench.support import ROOT, SECRET, gateway_process, percentile, redis_server
from bot_bridge.bus import Bus
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.publisher import Publisher, timestamp

HERE = Path(__file__).parent
GUILD = "930000000000000001"
LOADS = [(100, 100), (1000, 10)]  # (spectators, events per second)


def entry(n: int) -> LogOtherBody:
    return LogOtherBody(
        id=str(10**17 + n),
        action=3001,
        private=False,
        agent_id="1",
        subject_id=None,
        content="x" * 100,
        data={"sent_at": time.time() * 1000},
        timestamp=timestamp(),
    )


async def one_load(
    url: str, redis_url: str, spectators: int, rate: int, seconds: float, history: bool
) -> dict[str, Any]:
    token = mint_token(SECRET, "1", {GUILD: 0x2}, ttl=3600)
    consumer = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "latency.mjs"),
        url,
        str(spectators),
        token,
        GUILD,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert consumer.stdout is not None
    assert consumer.stdin is not None
    assert json.loads(await asyncio.wait_for(consumer.stdout.readline(), 120)) == {"ready": True}
    bus = Bus(redis_url, HistoryLimits(max_events=1000 if history else 0))
    await bus.connect()
    publisher = Publisher(bus)
    started = time.monotonic()
    for n in range(int(rate * seconds)):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await publisher.log(GUILD, entry(n))
    await asyncio.sleep(1)  # the last pushes land
    await bus.disconnect()
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


async def run(seconds: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with redis_server() as redis_url, gateway_process(redis_url) as url:
        for spectators, rate in LOADS:
            for history in (True, False):
                name = f"{spectators} x {rate}/s " + ("history" if history else "no history")
                results[name] = await one_load(url, redis_url, spectators, rate, seconds, history)
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
    print(f"{'load':<34}{'received':>12}{'p50 ms':>9}{'p99 ms':>9}{'p99 vs no history':>19}")
    for spectators, rate in LOADS:
        base = results[f"{spectators} x {rate}/s no history"]
        for label in ("history", "no history"):
            figure = results[f"{spectators} x {rate}/s {label}"]
            print(
                f"{f'{spectators} x {rate}/s, {label}':<34}"
                f"{figure['count']:>6}/{figure['expected']:<5}{figure['p50']:>9.2f}"
                f"{figure['p99']:>9.2f}{figure['p99'] / base['p99']:>19.2f}"
            )
    resume = results["resume"]
    print(
        f"resume 1,000 missed events: p50 {resume['resume_1000_p50_ms']:.1f} ms, "
        f"p99 {resume['resume_1000_p99_ms']:.1f} ms "
        f"(spectate without resume: p50 {resume['plain_spectate_p50_ms']:.2f} ms)"
    )
    out = ROOT / "bench" / "results" / f"latency-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
