"""What a connection costs: idle memory per socket, and elevations per second, on the same
client load (socket.io-client over websocket, bench/connections.mjs), in one run:

- Node socket.io 4.8 with its Redis adapter (the reference: ratios are to it), its
  `request_elevation` verifying the JWT with jsonwebtoken and joining `<id>_auth`;
- this gateway (`architus-ws serve --redis`);
- stock python-socketio, its `request_elevation` verifying with PyJWT and entering a room.

Idle memory: a fresh server, its RSS after the first handshake, then COUNT sockets opened
and held for 2 s: (RSS after - RSS before) / COUNT. Elevation: 50 sockets send
request_elevation back to back for 5 s; acks per second. The gateway answers every request
after validating it (pydantic) and checking the token's signature, expiry and claims.

usage: python -m bench.connections [--sockets 2000 10000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from architus_ws.tokens import mint_token
from bench.support import ROOT, SECRET, redis_server, rss_kib, save_results, serve

KINDS = ("node", "gateway-redis", "stock")
NAMES = {
    "node": "Node socket.io + redis adapter",
    "gateway-redis": "architus gateway (Redis)",
    "stock": "stock python-socketio",
}
DRIVER = str(ROOT / "bench" / "connections.mjs")
ELEVATING_CLIENTS = 50


async def idle_kib_per_socket(kind: str, redis_url: str, sockets: int) -> float:
    async with serve(kind, redis_url) as served:
        await asyncio.sleep(1)  # let the process settle after its first handshake
        before = rss_kib(served.pid)
        holder = await asyncio.create_subprocess_exec(
            "node",
            DRIVER,
            "idle",
            served.url,
            str(sockets),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert holder.stdout is not None
        assert holder.stdin is not None
        ready = json.loads(await asyncio.wait_for(holder.stdout.readline(), 300))
        assert ready == {"ready": sockets}, ready
        await asyncio.sleep(2)
        after = rss_kib(served.pid)
        holder.stdin.close()
        await holder.wait()
        return (after - before) / sockets


async def elevations_per_s(kind: str, redis_url: str, seconds: float) -> float:
    token = mint_token(SECRET, "1", {"930000000000000001": 0x2}, ttl=3600)
    async with serve(kind, redis_url) as served:
        driver = await asyncio.create_subprocess_exec(
            "node",
            DRIVER,
            "elevate",
            served.url,
            str(ELEVATING_CLIENTS),
            str(seconds),
            token,
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await asyncio.wait_for(driver.communicate(), seconds + 120)
        result: dict[str, Any] = json.loads(output)
        if result["refused"]:
            raise RuntimeError(f"{kind} refused {result['refused']} elevations")
        return float(result["acked"]) / float(result["seconds"])


async def run(socket_counts: list[int], seconds: float) -> dict[str, Any]:
    results: dict[str, Any] = {"idle_kib_per_socket": {}, "elevations_per_s": {}}
    async with redis_server() as redis_url:
        for sockets in socket_counts:
            results["idle_kib_per_socket"][str(sockets)] = {
                kind: await idle_kib_per_socket(kind, redis_url, sockets) for kind in KINDS
            }
        results["elevations_per_s"] = {
            kind: await elevations_per_s(kind, redis_url, seconds) for kind in KINDS
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sockets", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    results = asyncio.run(run(args.sockets, args.seconds))
    for sockets, figures in results["idle_kib_per_socket"].items():
        print(f"idle memory, {sockets} websocket connections (RSS growth / sockets)")
        print(f"{'server':<34}{'KiB each':>10}{'vs Node':>9}")
        for kind in KINDS:
            value = figures[kind]
            print(f"{NAMES[kind]:<34}{value:>10.1f}{value / figures['node']:>9.2f}")
    figures = results["elevations_per_s"]
    print(f"elevation, {ELEVATING_CLIENTS} sockets back to back for {args.seconds} s")
    print(f"{'server':<34}{'per s':>10}{'vs Node':>9}")
    for kind in KINDS:
        value = figures[kind]
        print(f"{NAMES[kind]:<34}{value:>10,.0f}{value / figures['node']:>9.2f}")
    save_results("connections", args, results)


if __name__ == "__main__":
    main()
