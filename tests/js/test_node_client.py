"""The official JavaScript socket.io-client 4.x against the gateway (the real dashboard's
client): acks, errors, connect_error, and pushes over websocket and long-polling."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot_bridge.publisher import Publisher
from tests.architus_ws.requests.test_spectate import ALL, entry, member
from tests.conftest import RunningGateway, token

# needs node and the npm packages of tests/js (tests/js/package.json)
pytestmark = pytest.mark.node

HERE = Path(__file__).parent
GUILD = "800000000000000001"


@pytest.fixture(autouse=True)
def _node_and_packages() -> None:
    if shutil.which("node") is None:
        pytest.fail(
            "node is not installed: the interop tests need Node.js (apt-get install nodejs)"
        )
    if not (HERE / "node_modules" / "socket.io-client").is_dir():
        pytest.fail("run `npm ci --prefix tests/js` first (scripts/test does it)")


async def node(script: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "node",
        str(HERE / script),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_line(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 15)
    assert line, (await process.stderr.read()).decode() if process.stderr else "no output"
    parsed: dict[str, Any] = json.loads(line)
    return parsed


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_official_client_spectates_and_receives(
    gateway: RunningGateway, transport: str
) -> None:
    process = await node(
        "client.mjs", gateway.url, token(guilds={GUILD: 0x2}), GUILD, "4", transport
    )
    try:
        first, elevated, unknown, spectated, ready = [await read_line(process) for _ in range(5)]
        assert first["value"]["error"]["code"] == 401
        assert elevated["value"]["ok"] is True
        assert elevated["value"]["data"]["guilds"] == {GUILD: 0x2}
        assert unknown["value"]["error"]["reason"] == "unknown_event"
        assert spectated["value"]["data"]["guild_id"] == GUILD
        assert ready["kind"] == "ready"
        publisher = Publisher(gateway.gateway.bus)
        await publisher.upsert(GUILD, member("1").type, member("1").data)
        await publisher.log(GUILD, entry(private=True))  # not for this token
        await publisher.log(GUILD, entry())
        await publisher.upsert(GUILD, member("2").type, member("2").data)
        await publisher.log(GUILD, entry())
        pushes = [(await read_line(process))["value"] for _ in range(4)]
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
    assert [(p["event"], p["seq"]) for p in pushes] == [
        ("log_pool", 1),
        ("log_other", 2),
        ("log_pool", 2),
        ("log_other", 3),
    ]
    assert not any(p["private"] for p in pushes)


async def test_official_client_sees_the_coded_connect_error(gateway: RunningGateway) -> None:
    process = await node("refused.mjs", gateway.url, token(guilds={GUILD: ALL}, ttl=-1))
    result = await read_line(process)
    assert await asyncio.wait_for(process.wait(), 10) == 0
    assert result["message"] == "token expired"
    assert result["data"] == {"code": 401, "reason": "unauthenticated", "message": "token expired"}
