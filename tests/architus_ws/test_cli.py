"""The commands as a user runs them: `architus-ws token`, `architus-ws serve --demo`,
`architus-bridge simulate`, each in its own process."""

from __future__ import annotations

import asyncio
import os
import re
import sys

import jwt
import redis.asyncio as redis

from architus_ws.auth.tokens import TokenVerifier
from bot_bridge.bus import Stream
from bot_bridge.bus import redis_keys as keys
from tests.conftest import SECRET, UNLIMITED_CONNECTS, ClientFactory, demo_process, settings

ENV = {**os.environ, "ARCHITUS_JWT_SECRET": SECRET, "PYTHONUNBUFFERED": "1", **UNLIMITED_CONNECTS}


async def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *args, env=env or ENV, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def entry_point(name: str) -> str:
    return os.path.join(os.path.dirname(sys.executable), name)


async def test_token_command_mints_a_verifiable_token() -> None:
    code, out, _ = await run(
        entry_point("architus-ws"),
        "token",
        "--user",
        "42",
        "--guild",
        "7",
        "--guild",
        "8:0x6",
        "--ttl",
        "120",
    )
    assert code == 0
    claims = TokenVerifier(settings()).verify(out.strip())
    assert claims.user_id == "42"
    assert {g: int(p) for g, p in claims.guilds.items()} == {"7": 0x112, "8": 0x6}
    assert jwt.get_unverified_header(out.strip())["alg"] == "HS256"


async def test_token_command_explains_a_missing_secret() -> None:
    env = {k: v for k, v in ENV.items() if not k.startswith("ARCHITUS_JWT")}
    code, _, err = await run(entry_point("architus-ws"), "token", "--user", "1", env=env)
    assert code == 2
    assert "ARCHITUS_JWT_SECRET" in err


async def test_serve_demo_prints_a_token_that_watches_live_traffic(connect: ClientFactory) -> None:
    async with demo_process() as (port, banner):
        token = re.search(r"^\s+(ey[\w-]+\.[\w-]+\.[\w-]+)$", banner, re.M)
        guild = re.search(r"simulated guild \((\d+)\)", banner)
        assert token, banner
        assert guild, banner
        # the page URL keeps the token in its fragment, which no request carries
        assert f"/?guild={guild.group(1)}#token={token.group(1)}" in banner
        # what the snippet needs, as pip knows it today (the asyncio_client extra is gone)
        assert "pip install python-socketio aiohttp" in banner
        client = await connect(f"http://127.0.0.1:{port}", auth={"token": token.group(1)})
        ack = await client.call("spectate", {"guild_id": guild.group(1), "include_logs": True})
        assert ack["ok"], ack
        await client.wait_for(
            lambda c: bool(c.received("log_pool")) and bool(c.received("log_other")), timeout=10
        )


async def test_serve_refuses_the_trace_log_level() -> None:
    """uvicorn's trace level logs every ASGI scope, query strings (session ids) included."""
    code, _, err = await run(entry_point("architus-ws"), "serve", "--log-level", "trace")
    assert code == 2
    assert "--log-level" in err


async def test_serve_refuses_a_bad_access_log_setting() -> None:
    env = {**ENV, "ARCHITUS_ACCESS_LOG": "maybe"}
    code, _, err = await run(entry_point("architus-ws"), "serve", env=env)
    assert code == 2
    assert "ARCHITUS_ACCESS_LOG" in err


async def test_simulate_publishes_the_contract_mix(redis_url: str) -> None:
    guild = "700000000000000001"
    code, _, err = await run(
        entry_point("architus-bridge"),
        "simulate",
        "--guild",
        guild,
        "--members",
        "50",
        "--events",
        "200",
        "--rate",
        "0",
        "--redis",
        redis_url,
    )
    assert code == 0, err
    summary = re.search(r"seeded in (\d+) pushes, then published 200 events", err)
    assert summary, err
    seeded = int(summary.group(1))
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        pool = int(await client.get(keys.seq_key(guild, Stream.POOL)) or 0)
        history = await client.xrange(keys.history_key(guild, Stream.LOGS))
    finally:
        await client.aclose()
    assert history is not None
    logs = len(history)
    private = sum('"private":true' in (fields or {}).get("p", "") for _, fields in history)
    assert pool - seeded + logs == 200
    assert logs >= 200 / 4
    assert private >= logs / 10


async def test_simulate_refuses_a_bad_guild() -> None:
    code, _, err = await run(
        entry_point("architus-bridge"),
        "simulate",
        "--guild",
        "abc",
        "--redis",
        "redis://127.0.0.1:1/0",
    )
    assert code == 2
    assert "snowflake" in err
