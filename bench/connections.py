"""What a connection costs: memory per elevated, spectating socket, and elevations per
second, on the same client load (socket.io-client over websocket, bench/connections.mjs), in
one run:

- Node socket.io 4.8 with its Redis adapter (the reference: ratios are to it), its
  `request_elevation` verifying the JWT with jsonwebtoken, keeping the claims and joining
  `<id>_auth`, its `spectate` checking the guild against them and joining the guild's rooms;
- this gateway (`architus-ws serve --redis`);
- stock python-socketio, the same handlers with PyJWT and the session.

Memory: a fresh server, its RSS after the first handshake, then COUNT sockets opened, each
elevated (`request_elevation`, one valid HS256 token for all) and spectating one guild with
`include_logs`, held for 2 s: (RSS after - RSS before) / COUNT. The sockets come from Node
processes of at most --per-holder sockets each. Elevation: 50 sockets send
request_elevation back to back for 5 s; acks per second, and the server process's CPU time
(utime + stime) per ack over those seconds. The gateway answers every request after
validating it (pydantic) and checking the token's signature, expiry and claims.

usage: python -m bench.connections [--sockets 2000 10000] [--kinds node gateway-redis stock]
                                   [--per-holder 15000] [--seconds 5]
(run it under `ulimit -n` above the largest COUNT: each server process holds COUNT sockets)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
from typing import Any

from architus_ws.auth.tokens import mint_token
from bench.support import (
    ROOT,
    SECRET,
    cpu_seconds,
    redis_server,
    rss_kib,
    save_results,
    serve,
)

KINDS = ("node", "gateway-redis", "stock")
NAMES = {
    "node": "Node socket.io + redis adapter",
    "gateway-redis": "architus gateway (Redis)",
    "stock": "stock python-socketio",
}
DRIVER = str(ROOT / "bench" / "connections.mjs")
ELEVATING_CLIENTS = 50
GUILD = "930000000000000001"
VIEW_PUBLIC_LOGS = 0x2  # spectate with include_logs needs it


def token() -> str:
    return mint_token(SECRET, "1", {GUILD: VIEW_PUBLIC_LOGS}, ttl=3600)


async def spectating_kib_per_socket(
    kind: str, redis_url: str, sockets: int, per_holder: int
) -> float:
    """RSS growth per socket held elevated and spectating, KiB."""
    async with serve(kind, redis_url) as served:
        await asyncio.sleep(1)  # let the process settle after its first handshake
        before = rss_kib(served.pid)
        holders = []
        try:
            # one after another, so each holder's handshakes meet an otherwise quiet server
            for share in split(sockets, math.ceil(sockets / per_holder)):
                holder = await asyncio.create_subprocess_exec(
                    "node",
                    DRIVER,
                    "idle",
                    served.url,
                    str(share),
                    token(),
                    GUILD,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
                holders.append(holder)
                assert holder.stdout is not None
                line = await asyncio.wait_for(holder.stdout.readline(), 600)
                if not line:
                    raise RuntimeError(f"{kind}: a holder of {share} sockets failed (stderr)")
                ready = json.loads(line)
                assert ready == {"ready": share}, ready
            await asyncio.sleep(2)
            for holder in holders:
                if holder.returncode is not None:
                    raise RuntimeError(f"{kind}: a holder exited early ({holder.returncode})")
            after = rss_kib(served.pid)
        finally:
            for holder in holders:
                if holder.stdin is not None:
                    holder.stdin.close()
                await holder.wait()
        return (after - before) / sockets


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


async def elevations(kind: str, redis_url: str, seconds: float) -> tuple[float, float]:
    """Elevations acked per second, and the server's CPU microseconds per elevation."""
    async with serve(kind, redis_url) as served:
        driver = await asyncio.create_subprocess_exec(
            "node",
            DRIVER,
            "elevate",
            served.url,
            str(ELEVATING_CLIENTS),
            str(seconds),
            token(),
            stdout=asyncio.subprocess.PIPE,
        )
        assert driver.stdout is not None
        started = json.loads(await asyncio.wait_for(driver.stdout.readline(), 120))
        assert started == {"started": ELEVATING_CLIENTS}, started
        cpu_before = cpu_seconds(served.pid)
        line = await asyncio.wait_for(driver.stdout.readline(), seconds + 120)
        cpu = cpu_seconds(served.pid) - cpu_before
        await driver.wait()
        result: dict[str, Any] = json.loads(line)
        if result["refused"]:
            raise RuntimeError(f"{kind} refused {result['refused']} elevations")
        acked = float(result["acked"])
        return acked / float(result["seconds"]), cpu / acked * 1e6


async def run(
    socket_counts: list[int], kinds: list[str], per_holder: int, seconds: float
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "spectating_kib_per_socket": {},
        "elevations_per_s": {},
        "elevation_cpu_us": {},
    }
    async with redis_server() as redis_url:
        for sockets in socket_counts:
            results["spectating_kib_per_socket"][str(sockets)] = {
                kind: await spectating_kib_per_socket(kind, redis_url, sockets, per_holder)
                for kind in kinds
            }
        if seconds > 0:
            for kind in kinds:
                rate, cpu_us = await elevations(kind, redis_url, seconds)
                results["elevations_per_s"][kind] = rate
                results["elevation_cpu_us"][kind] = cpu_us
    return results


def row(kind: str, value: float, figures: dict[str, float], form: str) -> str:
    ratio = f"{value / figures['node']:>9.2f}" if "node" in figures else ""
    return f"{NAMES[kind]:<34}{value:>10{form}}{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sockets", type=int, nargs="*", default=[2000, 10000])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument(
        "--per-holder", type=int, default=15000, help="sockets per client Node process"
    )
    parser.add_argument(
        "--seconds", type=float, default=5, help="of the elevation benchmark (0: not run)"
    )
    args = parser.parse_args()
    kinds = [kind for kind in KINDS if kind in args.kinds]  # the reference first
    results = asyncio.run(run(args.sockets, kinds, args.per_holder, args.seconds))
    for sockets, figures in results["spectating_kib_per_socket"].items():
        print(
            f"memory, {sockets} websocket connections elevated and spectating "
            "(RSS growth / sockets)"
        )
        print(f"{'server':<34}{'KiB each':>10}{'vs Node' if 'node' in figures else '':>9}")
        for kind in kinds:
            print(row(kind, figures[kind], figures, ".1f"))
    rates, cpu = results["elevations_per_s"], results["elevation_cpu_us"]
    if rates:
        print(f"elevation, {ELEVATING_CLIENTS} sockets back to back for {args.seconds} s")
        vs = "vs Node" if "node" in rates else ""
        print(f"{'server':<34}{'per s':>10}{vs:>9}{'CPU us each':>13}{vs:>9}")
        for kind in kinds:
            cpu_ratio = f"{cpu[kind] / cpu['node']:>9.2f}" if "node" in cpu else ""
            print(f"{row(kind, rates[kind], rates, ',.0f')}{cpu[kind]:>13.0f}{cpu_ratio}")
    save_results("connections", args, results)


if __name__ == "__main__":
    main()
