"""Fan-out throughput: pushes per second delivered to N websocket spectators of one guild,
this gateway beside stock python-socketio, measured in the same run on the same client load.

usage: python -m bench.fanout [--clients 100] [--events 2000] [--rounds 3]
Prints a table with the ratio to stock and writes bench/results/fanout-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from architus_ws.tokens import mint_token
from bench.servers import GUILD
from bench.support import free_port

HERE = Path(__file__).parent
SECRET = "bench-secret-" + "b" * 32


async def wait_until_serving(url: str) -> None:
    async with asyncio.timeout(20):
        while True:
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(url + "/socket.io/?EIO=4&transport=polling"),
                ):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)


async def one_round(kind: str, clients: int, events: int) -> float:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.servers", kind, str(port), SECRET, cwd=HERE.parent
    )
    consumer = None
    try:
        await wait_until_serving(url)
        token = mint_token(SECRET, "1", {GUILD: 0x2}, ttl=600)
        consumer = await asyncio.create_subprocess_exec(
            "node",
            str(HERE / "consumer.mjs"),
            url,
            str(clients),
            str(events),
            kind,
            token,
            GUILD,
            stdout=asyncio.subprocess.PIPE,
        )
        assert consumer.stdout is not None
        ready = json.loads(await asyncio.wait_for(consumer.stdout.readline(), 60))
        assert ready == {"ready": True}, ready
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{url}/bench/publish?n={events}") as response,
        ):
            assert response.status == 200
        result: dict[str, Any] = json.loads(await asyncio.wait_for(consumer.stdout.readline(), 150))
        if result["timed_out"]:
            raise RuntimeError(f"{kind}: only {result['received']} of {clients * events} arrived")
        seconds = float(result["last_ms"] - result["first_ms"]) / 1000
        return float(result["received"]) / seconds
    finally:
        for process in (consumer, server):
            if process is not None and process.returncode is None:
                process.terminate()
                await process.wait()


async def run(clients: int, events: int, rounds: int) -> dict[str, Any]:
    figures: dict[str, list[float]] = {"gateway": [], "stock": []}
    for _ in range(rounds):
        # interleaved, so drift in the machine's load hits both alike
        for kind in figures:
            figures[kind].append(await one_round(kind, clients, events))
    return {
        kind: {"deliveries_per_s": statistics.median(values), "rounds": values}
        for kind, values in figures.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = asyncio.run(run(args.clients, args.events, args.rounds))
    gateway = results["gateway"]["deliveries_per_s"]
    stock = results["stock"]["deliveries_per_s"]
    print(
        f"fan-out to {args.clients} websocket spectators, {args.events} events, "
        f"median of {args.rounds} rounds"
    )
    print(f"{'server':<28}{'deliveries/s':>14}{'ratio':>9}")
    print(f"{'stock python-socketio':<28}{stock:>14,.0f}{1.0:>9.2f}")
    print(f"{'architus gateway':<28}{gateway:>14,.0f}{gateway / stock:>9.2f}")
    out = HERE / "results" / f"fanout-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "args": vars(args),
                "results": results,
                "ratio_to_stock": gateway / stock,
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )
    print(f"written to {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
