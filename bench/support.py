"""Helpers shared by the benchmarks: a private redis-server, a gateway process, percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).parent.parent
SECRET = "bench-secret-" + "b" * 32
# every benchmark client comes from 127.0.0.1, and asks far more than dashboards would
UNLIMITED = {
    "ARCHITUS_CONNECT_RATE": "1000000/1",
    "ARCHITUS_SOCKETS_PER_ADDRESS": "1000000",
    "ARCHITUS_REQUEST_RATE": "1000000/1",
    "ARCHITUS_INTERPRET_RATE": "1000000/1",
    "ARCHITUS_INTERPRET_ADDRESS_RATE": "1000000/1",
    "ARCHITUS_IDLE_ANONYMOUS_SECONDS": "0",
    # 200 handshakes in flight from one address; requests sent back to back on one socket
    "ARCHITUS_CONNECTIONS_PER_ADDRESS": "1000000",
    "ARCHITUS_READ_FRAMES_PER_SECOND": "1000000",
    "ARCHITUS_READ_BYTES_PER_SECOND": "1000000000",
}


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


@dataclass(frozen=True)
class Served:
    url: str
    pid: int  # the serving process, for its RSS


async def wait_until_serving(url: str) -> None:
    """Until an Engine.IO handshake is answered (a bound port is not yet a serving app)."""
    async with asyncio.timeout(30):
        while True:
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(url + "/socket.io/?EIO=4&transport=polling") as response,
                ):
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


def server_command(kind: str, port: int, redis_url: str | None) -> list[str]:
    if kind == "node":
        return ["node", str(ROOT / "bench" / "node_server.mjs"), str(port), str(redis_url)]
    if kind == "gateway-redis":
        command = [os.path.join(os.path.dirname(sys.executable), "architus-ws"), "serve"]
        command += ["--port", str(port), "--log-level", "warning"]
        return command + (["--redis", redis_url] if redis_url else [])
    if kind in ("gateway", "stock"):
        return [sys.executable, "-m", "bench.servers", kind, str(port), SECRET]
    if kind == "gateway-hypercorn":
        return [sys.executable, "-m", "bench.servers", "gateway", str(port), SECRET, "hypercorn"]
    raise ValueError(kind)


@contextlib.asynccontextmanager
async def serve(kind: str, redis_url: str | None, cpu: int | None = None) -> AsyncIterator[Served]:
    """One server under load in its own process (pinned to one CPU when `cpu` is given):

    - `node`: Node socket.io 4.8 with its Redis adapter (node_server.mjs), the reference;
    - `gateway`: this gateway on its memory bus, publishing in-process (bench/servers.py), on
      uvicorn; `gateway-hypercorn`: the same on Hypercorn;
    - `gateway-redis`: `architus-ws serve`, on `redis_url` when given;
    - `stock`: plain python-socketio on uvicorn (bench/servers.py).
    """
    port = free_port()
    env = {**os.environ, "ARCHITUS_JWT_SECRET": SECRET, **UNLIMITED}
    command = server_command(kind, port, redis_url)
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        serving = asyncio.ensure_future(wait_until_serving(url))
        exited = asyncio.ensure_future(process.wait())
        await asyncio.wait([serving, exited], return_when=asyncio.FIRST_COMPLETED)
        if not serving.done():
            serving.cancel()
            raise RuntimeError(f"{kind} exited ({process.returncode}) before serving")
        exited.cancel()
        serving.result()
        yield Served(url, process.pid)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


@contextlib.asynccontextmanager
async def gateway_process(redis_url: str | None, cpu: int | None = None) -> AsyncIterator[str]:
    """`architus-ws serve` in its own process (pinned to one CPU when `cpu` is given)."""
    async with serve("gateway-redis", redis_url, cpu) as served:
        yield served.url


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS), KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (utime + stime), seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command, which may hold spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def save_results(name: str, args: Any, results: Any) -> Path:
    """bench/results/<name>-<time>.json, with the commit measured, for comparing commits."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    out = ROOT / "bench" / "results" / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    record = {
        "commit": commit,
        "uncommitted_changes": dirty,
        "cpus": os.cpu_count(),
        "args": vars(args),
        "results": results,
    }
    out.write_text(json.dumps(record, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    return out
