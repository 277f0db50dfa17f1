"""interpret round trips: throughput and latency of the front page's mock Discord, the
gateway pinned to one core, ordinary messages against a sandbox of 20 auto responses.

Beside it, in the same run: the response maker called directly (no socket), and `demote`
over the same sockets (the floor a Socket.IO round trip costs on this gateway).

usage: python -m bench.interpret [--clients 8] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from typing import Any

import socketio

from architus_sdk.wire.codec import OrjsonCodec
from bench.support import gateway_process, percentile, save_results
from bot_bridge.responder import ResponseMaker, Sandbox

GUILD = "920000000000000001"
RESPONSES = [f"!set word{n}::[adj] [noun] #[count]" for n in range(18)] + [
    "!set thanks::[you're welcome!, no problem!]",
    "!set hi::hello [:wave:]",
]
MESSAGES = [
    "hi there",
    "thanks a lot",
    "nothing to see",
    "word7 is nice",
    "hello world",
    "what's up",
    "word12",
    "lol",
]


async def visitor(url: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(json=OrjsonCodec)
    await sio.connect(url, transports=["websocket"])
    for n, command in enumerate(RESPONSES):
        ack = await sio.call(
            "interpret",
            {"action": "send", "guild_id": GUILD, "message_id": str(2 * n + 2), "content": command},
        )
        assert ack["ok"], ack
    return sio


async def hammer(clients: list[socketio.AsyncClient], seconds: float, event: str) -> list[float]:
    times: list[float] = []
    stop = time.monotonic() + seconds

    async def loop(sio: socketio.AsyncClient, offset: int) -> None:
        n = offset
        while time.monotonic() < stop:
            n += 2
            payload: dict[str, Any] = {}
            if event == "interpret":
                payload = {
                    "action": "send",
                    "guild_id": GUILD,
                    "message_id": str(10**6 + n),
                    "content": MESSAGES[n % len(MESSAGES)],
                }
            started = time.perf_counter()
            ack = await sio.call(event, payload)
            times.append((time.perf_counter() - started) * 1000)
            assert ack["ok"], ack

    await asyncio.gather(*(loop(sio, 1000 * i) for i, sio in enumerate(clients)))
    return times


async def direct(seconds: float) -> list[float]:
    maker = ResponseMaker()
    sandbox = Sandbox(GUILD, random.Random(1))
    for n, command in enumerate(RESPONSES):
        await maker.send(sandbox, str(2 * n + 2), command)
    times = []
    stop = time.monotonic() + seconds
    n = 0
    while time.monotonic() < stop:
        n += 2
        started = time.perf_counter()
        await maker.send(sandbox, str(10**6 + n), MESSAGES[n % len(MESSAGES)])
        times.append((time.perf_counter() - started) * 1000)
    maker.close()
    return times


def figures(times: list[float], seconds: float) -> dict[str, float]:
    return {
        "per_s": len(times) / seconds,
        "p50_ms": percentile(times, 0.5),
        "p99_ms": percentile(times, 0.99),
    }


async def run(clients: int, seconds: float) -> dict[str, Any]:
    async with gateway_process(None, cpu=0) as url:
        sockets = [await visitor(url) for _ in range(clients)]
        await hammer(sockets, 1, "interpret")  # warm up
        results = {
            "interpret over a socket": figures(
                await hammer(sockets, seconds, "interpret"), seconds
            ),
            "demote over a socket": figures(await hammer(sockets, seconds, "demote"), seconds),
        }
        for sio in sockets:
            await sio.disconnect()
    results["response maker, direct"] = figures(await direct(seconds), seconds)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    results = asyncio.run(run(args.clients, args.seconds))
    base = results["demote over a socket"]["per_s"]
    print(f"interpret, gateway on one core, {args.clients} concurrent visitors, {args.seconds} s")
    print(f"{'what':<28}{'per s':>10}{'p50 ms':>9}{'p99 ms':>9}{'vs demote':>11}")
    for name, figure in results.items():
        print(
            f"{name:<28}{figure['per_s']:>10,.0f}{figure['p50_ms']:>9.2f}"
            f"{figure['p99_ms']:>9.2f}{figure['per_s'] / base:>11.2f}"
        )
    save_results("interpret", args, results)


if __name__ == "__main__":
    main()
