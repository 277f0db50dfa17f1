"""`architus-ws serve --workers N`: several processes on one port, sharing the Redis bus."""

from __future__ import annotations

import asyncio
import os

import aiohttp
import socketio

from bot_bridge.bus import Bus
from bot_bridge.publisher import Publisher
from tests.architus_ws.requests.test_spectate import entry
from tests.conftest import SECRET, UNLIMITED_CONNECTS, ClientFactory, entry_point, token
from tests.ports import free_port

GUILD = "730000000000000001"


async def test_workers_share_the_port_and_the_bus(redis_url: str, connect: ClientFactory) -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        entry_point("architus-ws"),
        "serve",
        "--workers",
        "2",
        "--port",
        str(port),
        "--redis",
        redis_url,
        "--log-level",
        "warning",
        env={**os.environ, "ARCHITUS_JWT_SECRET": SECRET, **UNLIMITED_CONNECTS},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with asyncio.timeout(30):
            while True:
                try:
                    probe = await connect(url)
                    await probe.sio.disconnect()
                    break
                except socketio.exceptions.ConnectionError:
                    await asyncio.sleep(0.2)
        clients = [await connect(url, auth={"token": token(guilds={GUILD: 0x2})}) for _ in range(8)]
        for client in clients:
            assert (await client.call("spectate", {"guild_id": GUILD, "include_logs": True}))["ok"]
        bus = Bus(redis_url)
        await bus.connect()
        for _ in range(10):
            await Publisher(bus).log(GUILD, entry())
        await bus.disconnect()
        for client in clients:
            await client.wait_for(lambda c: len(c.pushes) == 10, timeout=10)
            assert [p["seq"] for p in client.received("log_other")] == list(range(1, 11))
        # long-polling would need every request of a session on one process: refused
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{url}/socket.io/?EIO=4&transport=polling") as response,
        ):
            assert response.status == 400
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 15)


async def test_workers_need_a_shared_bus() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHITUS_")}
    process = await asyncio.create_subprocess_exec(
        entry_point("architus-ws"),
        "serve",
        "--workers",
        "2",
        env={**env, "ARCHITUS_JWT_SECRET": SECRET},
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 2
    assert b"--workers needs a shared bus" in err
