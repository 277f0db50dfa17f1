"""A drain at scale: COUNT elevated, spectating sockets (socket.io-client, bench/drain.mjs) on
one `architus-ws serve --redis` node, a second node beside it on the same Redis; the first is
stopped and every socket resumes on the second. Two ways to stop it, in the same run:

- `drain, leave on notice`: SIGTERM. The node pushes `reconnect`, closes its sockets spread
  over ARCHITUS_DRAIN_SECONDS (`--window`), exits 0; the sockets leave on the notice, each at
  a random moment of the window's first half (as both SDKs do).
- `drain, leave on close`: the same, the sockets ignoring the notice and moving when the node
  closes them (a plain socket.io-client app): the window spreads their arrival.
- `kill`: SIGKILL, the baseline: what a deploy without a drain does (every socket at once,
  noticed only when its connection breaks).

Printed for each: the exit code, seconds from the signal to the node's exit, and seconds from
the signal to the last socket resumed (its `spectate` with `resume` acked by the other node).

usage: python -m bench.drain [--sockets 5000] [--window 10]
(each node holds COUNT sockets: run it under `ulimit -n` above COUNT + 1,100)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

from architus_ws.auth.tokens import mint_token
from bench.support import (
    ROOT,
    SECRET,
    UNLIMITED,
    free_port,
    redis_server,
    save_results,
    server_command,
    wait_until_serving,
)

GUILD = "931000000000000001"
DRIVER = str(ROOT / "bench" / "drain.mjs")


@contextlib.asynccontextmanager
async def node(redis_url: str, window: float) -> AsyncIterator[tuple[str, Any]]:
    port = free_port()
    env = {**os.environ, "ARCHITUS_JWT_SECRET": SECRET, **UNLIMITED}
    env["ARCHITUS_DRAIN_SECONDS"] = str(window)
    process = await asyncio.create_subprocess_exec(
        *server_command("gateway-redis", port, redis_url),
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_until_serving(url)
        yield url, process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def stop_once(how: str, leave: str, count: int, window: float) -> dict[str, Any]:
    token = mint_token(SECRET, "1", {GUILD: 0x2}, ttl=3600)
    async with (
        redis_server() as redis_url,
        node(redis_url, window) as (first, process),
        node(redis_url, window) as (second, _),
    ):
        driver = await asyncio.create_subprocess_exec(
            "node",
            DRIVER,
            first,
            second,
            str(count),
            token,
            GUILD,
            leave,
            stdout=asyncio.subprocess.PIPE,
        )
        assert driver.stdout is not None
        try:
            ready = json.loads(await asyncio.wait_for(driver.stdout.readline(), 300))
            assert ready == {"ready": count}, ready
            signalled = time.time()
            os.kill(process.pid, signal.SIGTERM if how == "drain" else signal.SIGKILL)
            code = await asyncio.wait_for(process.wait(), window + 300)
            exited = time.time() - signalled
            report = json.loads(await asyncio.wait_for(driver.stdout.readline(), 300))
        finally:
            if driver.returncode is None:
                driver.kill()
            await driver.wait()
    last = report["last_resumed"]
    return {
        "how": how,
        "leave_on": leave,
        "sockets": count,
        "exit_code": code,
        "exit_s": exited,
        "last_resumed_s": last / 1000 - signalled if last else None,
        "resumed": report["resumed"],
        "notices": report["notices"],
        "errors": report["errors"],
        "error_count": report["error_count"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--window", type=float, default=10.0)
    args = parser.parse_args()
    results = []
    print(f"{args.sockets} sockets on the stopped node; drain window {args.window} s")
    print(f"{'stop':<20}{'exit code':>10}{'to exit':>10}{'to last resumed':>18}{'resumed':>9}")
    runs = {
        "SIGTERM, on notice": ("drain", "notice"),
        "SIGTERM, on close": ("drain", "close"),
        "SIGKILL (baseline)": ("kill", "close"),
    }
    for name, (how, leave) in runs.items():
        result = asyncio.run(stop_once(how, leave, args.sockets, args.window))
        results.append(result)
        last = result["last_resumed_s"]
        print(
            f"{name:<20}{result['exit_code']:>10}{result['exit_s']:>9.2f}s"
            f"{(f'{last:.2f}s' if last is not None else '-'):>18}"
            f"{result['resumed']:>9}",
            f"errors: {result['errors']}" if result["errors"] else "",
        )
    print(f"results: {save_results('drain', args, results)}")


if __name__ == "__main__":
    main()
