"""A fleet of official-JS-client dashboards in one Node process (resuming.mjs, draining.mjs),
as the chaos and rolling-restart tests drive it: started and awaited ready; told the final
seqs once publishing ended; its report read."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import redis.asyncio as redis

from bot_bridge.bus import Stream
from bot_bridge.bus import redis_keys as keys
from tests.conftest import token

HERE = Path(__file__).parent


async def start(
    script: str, urls: list[str], guild: str, clients: int
) -> asyncio.subprocess.Process:
    """The dashboards, each spectating `guild` (with logs) on one of `urls`; returns once all
    of them are spectating."""
    fleet = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / script),
        ",".join(urls),
        token(guilds={guild: 0x7}, ttl=3600),
        guild,
        str(clients),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert fleet.stdout is not None
    ready = await asyncio.wait_for(fleet.stdout.readline(), 60)
    assert json.loads(ready) == {"ready": True}
    return fleet


async def final_seqs(redis_url: str, guild: str) -> dict[str, int]:
    """The last seq of each of the guild's streams, as the bus holds them."""
    client = redis.Redis.from_url(redis_url)
    try:
        return {
            "pool": int(await client.get(keys.seq_key(guild, Stream.POOL)) or 0),
            "logs": int(await client.get(keys.seq_key(guild, Stream.LOGS)) or 0),
        }
    finally:
        await client.aclose()


async def report(fleet: asyncio.subprocess.Process, final: dict[str, int]) -> dict[str, Any]:
    """Tell the dashboards where the streams ended; their report once all reached it (or their
    own 120 s passed)."""
    assert fleet.stdin is not None
    assert fleet.stdout is not None
    fleet.stdin.write((json.dumps(final) + "\n").encode())
    await fleet.stdin.drain()
    result: dict[str, Any] = json.loads(await asyncio.wait_for(fleet.stdout.readline(), 150))
    return result


async def stop(*processes: asyncio.subprocess.Process | None) -> None:
    for process in processes:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
