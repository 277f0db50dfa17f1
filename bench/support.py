"""Helpers shared by the benchmarks: a private redis-server, a gateway process, percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).parent.parent
SECRET = "bench-secret-" + "b" * 32
# every benchmark client comes from 127.0.0.1
UNLIMITED = {"ARCHITUS_CONNECT_RATE": "1000000/1", "ARCHITUS_SOCKETS_PER_ADDRESS": "1000000"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def wait_for_port(port: int, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while True:
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def redis_server() -> AsyncIterator[str]:
    """A redis-server of the benchmark's own: the machine's Redis is never touched."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        await process.wait()


@contextlib.asynccontextmanager
async def gateway_process(redis_url: str | None, cpu: int | None = None) -> AsyncIterator[str]:
    """`architus-ws serve` in its own process (pinned to one CPU when `cpu` is given)."""
    port = free_port()
    env = {
        **os.environ,
        "ARCHITUS_JWT_SECRET": SECRET,
        # the benchmark's clients ask far more than dashboards or visitors would
        "ARCHITUS_REQUEST_RATE": "1000000/1",
        "ARCHITUS_INTERPRET_RATE": "1000000/1",
        "ARCHITUS_INTERPRET_ADDRESS_RATE": "1000000/1",
        "ARCHITUS_CONNECT_RATE": "1000000/1",
        "ARCHITUS_SOCKETS_PER_ADDRESS": "1000000",
    }
    if redis_url:
        env["ARCHITUS_REDIS_URL"] = redis_url
    command = [
        os.path.join(os.path.dirname(sys.executable), "architus-ws"),
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    process = await asyncio.create_subprocess_exec(*command, env=env)
    try:
        await wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()
