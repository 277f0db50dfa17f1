"""Which guilds are watched, and by how many, is not for whoever reaches the public port: the
public `/metrics` has totals only; with ARCHITUS_METRICS_ADDRESS a second listener serves the
per-guild series and the public route answers 404."""

from __future__ import annotations

import asyncio
import os

import aiohttp
import pytest

from architus_ws.config import ConfigError, Settings
from tests.architus_ws.requests.test_spectate import ALL, GUILD
from tests.conftest import SECRET, ClientFactory, RunningGateway, entry_point, token
from tests.ports import free_port
from tests.processes import serving

OTHER_GUILD = "500000000000000002"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def spectate(url: str, connect: ClientFactory) -> None:
    for guild in (GUILD, GUILD, OTHER_GUILD):
        client = await connect(url, auth={"token": token(guilds={GUILD: ALL, OTHER_GUILD: ALL})})
        assert (await client.call("spectate", {"guild_id": guild}))["ok"]


async def test_public_metrics_have_no_guild_ids(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    await spectate(gateway.url, connect)
    status, text = await get(gateway.url + "/metrics")
    assert status == 200
    assert "guild_id" not in text
    assert GUILD not in text
    assert OTHER_GUILD not in text
    lines = set(text.splitlines())
    assert "architus_spectated_guilds 2.0" in lines
    assert "architus_spectating_sockets 3.0" in lines
    assert "architus_connections 3.0" in lines


async def test_the_metrics_listener_has_them_and_the_public_route_is_gone(
    connect: ClientFactory,
) -> None:
    metrics_port = free_port()
    async with serving(env={"ARCHITUS_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}"}) as server:
        await spectate(server.url, connect)
        metrics_url = f"http://127.0.0.1:{metrics_port}"
        status, text = await get(metrics_url + "/metrics")
        assert status == 200, text
        lines = set(text.splitlines())
        assert f'architus_spectators{{guild_id="{GUILD}"}} 2.0' in lines, text
        assert f'architus_spectators{{guild_id="{OTHER_GUILD}"}} 1.0' in lines, text
        assert "architus_spectating_sockets 3.0" in lines
        assert "architus_bus_up 1.0" in lines
        assert (await get(metrics_url + "/"))[0] == 404
        assert (await get(metrics_url + "/healthz"))[0] == 404
        status, text = await get(server.url + "/metrics")
        assert status == 404
        assert "architus_" not in text
        assert (await get(server.url + "/healthz"))[0] == 200


async def test_the_metrics_listener_is_one_process(redis_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        entry_point("architus-ws"),
        "serve",
        "--workers",
        "2",
        "--port",
        str(free_port()),
        "--redis",
        redis_url,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("ARCHITUS_")},
            "ARCHITUS_JWT_SECRET": SECRET,
            "ARCHITUS_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
        },
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 2
    assert b"ARCHITUS_METRICS_ADDRESS" in err
    assert b"--workers" in err


@pytest.mark.parametrize(
    ("text", "address"),
    [("127.0.0.1:9100", ("127.0.0.1", 9100)), ("[::1]:9100", ("::1", 9100)), ("", None)],
)
def test_metrics_address_setting(text: str, address: tuple[str, int] | None) -> None:
    env = {"ARCHITUS_JWT_SECRET": SECRET, "ARCHITUS_METRICS_ADDRESS": text}
    assert Settings.from_env(env).metrics_address == address


@pytest.mark.parametrize("text", ["9100", "localhost", "host:port", ":9100", "host:70000"])
def test_metrics_address_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="ARCHITUS_METRICS_ADDRESS"):
        Settings.from_env({"ARCHITUS_JWT_SECRET": SECRET, "ARCHITUS_METRICS_ADDRESS": text})
