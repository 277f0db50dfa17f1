"""A connect flood from one address against a gateway with its default limits: how many
sockets it holds, how the rest are refused, and its memory before, during and after.

Three rounds, 11 s apart (the per-address budget refills between them): memory that only
reflects the allocator's high-water mark stops growing after the first.

usage: python -m bench.flood [--connects 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter

from websockets.asyncio.client import ClientConnection, connect

from bench.support import ROOT, SECRET, free_port, rss_kib, wait_until_serving


async def attempt(url: str) -> tuple[str, ClientConnection | None]:
    """Engine.IO open and Socket.IO connect over a raw websocket: 'held' or the refusal."""
    try:
        connection = await connect(url, open_timeout=10)
    except Exception as error:
        return f"handshake failed: {type(error).__name__}", None
    try:
        await connection.recv()  # Engine.IO open
        await connection.send("40")
        answer = str(await asyncio.wait_for(connection.recv(), 10))
    except Exception as error:
        await connection.close()
        return f"closed: {type(error).__name__}", None
    if answer.startswith("40{"):
        return "held", connection
    await connection.close()
    refusal = json.loads(answer[2:])
    return f"refused {refusal.get('code')} {refusal.get('reason')}", None


async def flood(port: int, connects: int, pid: int) -> None:
    ws_url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    started = time.monotonic()
    outcomes = []
    for start in range(0, connects, 100):
        batch = min(100, connects - start)
        outcomes += await asyncio.gather(*(attempt(ws_url) for _ in range(batch)))
    seconds = time.monotonic() - started
    during = rss_kib(pid)
    counts = Counter(outcome for outcome, _ in outcomes)
    for _, connection in outcomes:
        if connection is not None:
            await connection.close()
    await asyncio.sleep(2)
    after = rss_kib(pid)
    print(f"{connects} connects from one address in {seconds:.1f} s, default limits:")
    for outcome, count in counts.most_common():
        print(f"  {count:>6}  {outcome}")
    print(f"  gateway RSS {during / 1024:.1f} MiB holding them, {after / 1024:.1f} MiB after")


async def run(connects: int) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHITUS_")}
    server = await asyncio.create_subprocess_exec(
        os.path.join(os.path.dirname(sys.executable), "architus-ws"),
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
        env={**env, "ARCHITUS_JWT_SECRET": SECRET},
        cwd=ROOT,
    )
    try:
        http_url = f"http://127.0.0.1:{port}"
        await wait_until_serving(http_url)
        await asyncio.sleep(1)
        before = rss_kib(server.pid)
        print(f"gateway RSS before: {before / 1024:.1f} MiB")
        for round_number in range(3):
            if round_number:
                await asyncio.sleep(11)
            await flood(port, connects, server.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.terminate()
        await server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connects", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(run(args.connects))


if __name__ == "__main__":
    main()
