"""Health, readiness and metrics over real HTTP."""

from __future__ import annotations

import aiohttp

from tests.architus_ws.requests.test_spectate import ALL, GUILD
from tests.conftest import (
    ClientFactory,
    RedisServer,
    RunningGateway,
    settings,
    start_gateway,
    token,
)
from tests.ports import free_port


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_health_and_readiness(gateway: RunningGateway) -> None:
    assert await get(gateway.url + "/healthz") == (200, "ok\n")
    assert await get(gateway.url + "/readyz") == (200, "ready\n")


async def test_readiness_follows_the_bus(own_redis: RedisServer) -> None:
    running = await start_gateway(settings(own_redis.url))
    try:
        assert (await get(running.url + "/readyz"))[0] == 200
        await own_redis.kill()
        assert (await get(running.url + "/readyz"))[0] == 503
        assert (await get(running.url + "/healthz"))[0] == 200
        await own_redis.start()
        import asyncio

        async with asyncio.timeout(10):
            while (await get(running.url + "/readyz"))[0] != 200:
                await asyncio.sleep(0.05)
    finally:
        await running.stop()


async def test_readiness_fails_without_redis() -> None:
    running = await start_gateway(settings(f"redis://127.0.0.1:{free_port()}/0"))
    try:
        status, _ = await get(running.url + "/readyz")
        assert status == 503
        _, metrics = await get(running.url + "/metrics")
        assert "architus_bus_up 0.0" in metrics
    finally:
        await running.stop()


async def test_metrics(gateway: RunningGateway, connect: ClientFactory) -> None:
    from bot_bridge.publisher import Publisher
    from tests.architus_ws.requests.test_spectate import entry

    watchers = [
        await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL})}) for _ in range(2)
    ]
    anonymous = await connect(gateway.url)
    for client in watchers:
        await client.call("spectate", {"guild_id": GUILD, "include_logs": True})
    await anonymous.call("spectate", {"guild_id": GUILD})
    await anonymous.call("bogus-" + "x" * 10)
    await Publisher(gateway.gateway.bus).log(GUILD, entry())
    for client in watchers:
        await client.wait_for(lambda c: len(c.pushes) == 1)
    status, text = await get(gateway.url + "/metrics")
    assert status == 200
    lines = set(text.splitlines())
    assert "architus_connections 3.0" in lines
    assert "architus_elevated_sessions 2.0" in lines
    # per guild only on the private listener (test_metrics.py): here, totals
    assert "architus_spectated_guilds 1.0" in lines
    assert "architus_spectating_sockets 2.0" in lines
    assert "guild_id" not in text
    assert 'architus_pushes_sent_total{event="log_other"} 2.0' in lines
    assert 'architus_requests_total{code="200",event="spectate"} 2.0' in lines
    assert 'architus_requests_total{code="401",event="spectate"} 1.0' in lines
    assert 'architus_requests_total{code="404",event="unknown"} 1.0' in lines
    assert "architus_bus_up 1.0" in lines
