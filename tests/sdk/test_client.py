"""The SDK client against a real gateway process and a real Redis: elevate, spectate, page,
pushes into pools, a gateway restart survived with nothing lost, typed errors; the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from architus_sdk import ArchitusClient, errors
from architus_sdk.slices import pools
from architus_sdk.store import Action, Dispatch, MiddlewareAPI
from architus_sdk.wire import SpectateData
from bot_bridge.bus import Bus, mirror_for
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild, run_simulation
from tests.architus_ws.requests.test_spectate import entry
from tests.conftest import GatewayProcess, entry_point, token

GUILD = "720000000000000001"


@pytest.fixture
async def gateway(redis_url: str) -> AsyncIterator[GatewayProcess]:
    process = GatewayProcess(redis_url)
    await process.start()
    yield process
    await process.kill()


@pytest.fixture
async def guild(redis_url: str) -> AsyncIterator[tuple[SimulatedGuild, Publisher]]:
    bus = Bus(redis_url)
    mirror = mirror_for(redis_url)
    await bus.connect()
    simulated = SimulatedGuild(GUILD, rng=random.Random(3))
    simulated.seed(2500)
    publisher = Publisher(bus, mirror)
    await simulated.publish_seed(publisher)
    yield simulated, publisher
    await bus.disconnect()
    await mirror.disconnect()


async def eventually(check, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


@pytest.mark.behaviour("merge-pushes", "resume")
async def test_a_bot_tool_script_end_to_end(
    gateway: GatewayProcess, guild: tuple[SimulatedGuild, Publisher]
) -> None:
    simulated, publisher = guild
    client = ArchitusClient(
        gateway.url, token=token("42", {GUILD: 0x7}), reconnect_delay=(0.1, 0.5)
    )
    await client.connect()
    try:
        session = await client.elevate()
        assert session.user_id == "42"
        ack = await client.spectate(GUILD, include_logs=True)
        pages = [page async for page in client.pool_all("member", GUILD, limit=1000)]
        assert [len(page.data) for page in pages] == [1000, 1000, 500]
        members = pools.select(client.state.pools, "member", GUILD)
        assert set(members.ids) == set(simulated.members)

        # live pushes update the pools
        await run_simulation(simulated, publisher, events=40, rate=0)
        await eventually(
            lambda: (
                set(pools.select(client.state.pools, "member", GUILD).ids) == set(simulated.members)
            )
        )
        assert (client.state.spectate.pool_seq or 0) > (ack.pool_seq or 0)

        # the gateway dies; events keep coming; it comes back; the client resumes
        await eventually(lambda: client.state.spectate.logs_seq == 20)
        await gateway.kill()
        await run_simulation(simulated, publisher, events=60, rate=0)
        await gateway.start()
        await run_simulation(simulated, publisher, events=20, rate=0)
        # 120 events so far, every second one a log entry
        await eventually(lambda: client.state.spectate.logs_seq == 60, timeout=20)
        entries = client.state.logs.entries
        seqs = [entry.seq for entry in entries]
        assert seqs == list(range(seqs[0], seqs[-1] + 1))  # no gap, no duplicate
        assert any(entry.private for entry in entries)
        final = pools.select(client.state.pools, "member", GUILD)
        assert {k: dict(v) for k, v in final.entities.items()} == simulated.members

        with pytest.raises(errors.Forbidden):
            await client.spectate("720000000000009999")
        with pytest.raises(errors.Forbidden):
            await client.pool("member", "720000000000009999", all=True)
        with pytest.raises(errors.BadRequest) as bad:
            await client.pool("member", GUILD)
        assert "exactly one of ids, all, search" in str(bad.value)
        found = await client.search_members(
            GUILD, next(iter(simulated.members.values()))["name"][:3]
        )
        assert found
    finally:
        await client.close()


def kept(types: tuple[str, ...], into: list[Action]) -> Callable[[MiddlewareAPI[Any]], Any]:
    """A middleware keeping the actions of `types`, in order."""

    def middleware(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            def dispatch(action: Action) -> Any:
                if action.type in types:
                    into.append(action)
                return next_dispatch(action)

            return dispatch

        return wrap

    return middleware


@pytest.mark.behaviour("lost-history", "lost-history-log")
async def test_a_resume_that_did_not_recover_loads_the_pools_again(
    redis_url: str, gateway: GatewayProcess
) -> None:
    # the publisher keeps 50 events a stream: a longer outage cannot be replayed
    bus, mirror = Bus(redis_url, HistoryLimits(max_events=50)), mirror_for(redis_url)
    await bus.connect()
    simulated = SimulatedGuild(GUILD, rng=random.Random(8))
    simulated.seed(300)
    publisher = Publisher(bus, mirror)
    await simulated.publish_seed(publisher)
    actions: list[Action] = []
    client = ArchitusClient(
        gateway.url,
        token=token("42", {GUILD: 0x7}),
        reconnect_delay=(0.1, 0.5),
        middleware=[kept(("spectate/started", "pools/load_finished"), actions)],
    )

    def named(name: str) -> list[Any]:
        return [action.payload for action in actions if action.type == name]

    try:
        await client.connect()
        await client.spectate(GUILD, include_logs=True)
        for entity_type in ("member", "role"):
            async for _ in client.pool_all(entity_type, GUILD):
                pass
        for _ in range(20):  # log entries only: a pool change would start a pool of its type
            await publisher.log(GUILD, entry())
        await eventually(lambda: client.state.spectate.logs_seq == 20)
        await gateway.kill()
        # 200 events a stream while it is down: past the 50 kept
        await run_simulation(simulated, publisher, events=400, rate=0)
        await gateway.start()
        await eventually(lambda: len(named("spectate/started")) == 2, timeout=30)
        resumed: SpectateData = named("spectate/started")[1][0]
        assert resumed.recovered is False
        # both pools loaded again, then the pushes after the resume merged into them
        await eventually(lambda: len(named("pools/load_finished")) == 4)
        await run_simulation(simulated, publisher, events=40, rate=0)
        position = await bus.position(GUILD)
        await eventually(lambda: client.state.spectate.pool_seq == position.pool_seq)
        members = pools.select(client.state.pools, "member", GUILD).entities
        assert {key: dict(value) for key, value in members.items()} == simulated.members
        roles = pools.select(client.state.pools, "role", GUILD).entities
        assert {key: dict(value) for key, value in roles.items()} == simulated.roles
        # the log: what followed the ack, then every entry after it; none of the 20 before
        # the outage, which a gap of 200 would follow
        await eventually(lambda: client.state.spectate.logs_seq == position.logs_seq)
        seqs = [entry.seq for entry in client.state.logs.entries]
        assert resumed.logs_seq is not None
        assert seqs == list(range(resumed.logs_seq + 1, position.logs_seq + 1))
    finally:
        await client.close()
        await bus.disconnect()
        await mirror.disconnect()


@pytest.mark.behaviour("error-mapping", "refused-connect", "not-connected")
async def test_typed_errors_and_timeouts(gateway: GatewayProcess) -> None:
    async with ArchitusClient(gateway.url) as client:
        with pytest.raises(errors.Unauthenticated):
            await client.spectate(GUILD)
        with pytest.raises(errors.Unauthenticated):
            await client.elevate(token(ttl=-5))
        rate_limited = None
        for n in range(25):
            try:
                await client.interpret(GUILD, str(2 * n + 2), content="hi")
            except errors.RateLimited as error:
                rate_limited = error
                break
        assert rate_limited is not None
        assert rate_limited.retry_after > 0
    with pytest.raises(errors.NotConnected):
        await client.demote()
    # a connect the gateway refuses raises the refusal's own error
    refused = ArchitusClient(gateway.url, token=token(ttl=-5))
    with pytest.raises(errors.Unauthenticated):
        await refused.connect()
    assert refused.state.connection.last_error is not None


@pytest.mark.behaviour("renew-timer")
async def test_token_provider_renews_before_expiry(gateway: GatewayProcess) -> None:
    minted: list[str] = []

    async def provider() -> str:
        minted.append(token("7", {GUILD: 0x2}, ttl=32))  # renewed 30 s before exp: at once
        return minted[-1]

    async with ArchitusClient(gateway.url, token_provider=provider) as client:
        await client.elevate()
        await eventually(lambda: len(minted) >= 3, timeout=10)
        assert client.state.session.user_id == "7"


async def test_cli_tail_prints_live_entries(
    gateway: GatewayProcess, guild: tuple[SimulatedGuild, Publisher]
) -> None:
    simulated, publisher = guild
    env = {**os.environ, "ARCHITUS_URL": gateway.url, "ARCHITUS_TOKEN": token("1", {GUILD: 0x7})}
    tail = await asyncio.create_subprocess_exec(
        entry_point("architus"),
        "tail",
        "--guild",
        GUILD,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert tail.stderr is not None
        assert tail.stdout is not None
        started = await asyncio.wait_for(tail.stderr.readline(), 20)
        assert b"following guild" in started
        await run_simulation(simulated, publisher, events=20, rate=0)
        lines = [(await asyncio.wait_for(tail.stdout.readline(), 10)).decode() for _ in range(20)]
    finally:
        tail.terminate()
        await tail.wait()
    pool_lines = [line for line in lines if line.rstrip().endswith(("entity", "entities"))]
    assert len(pool_lines) == 10
    assert all(" by " in line for line in lines if line not in pool_lines)
    assert sum("[private]" in line for line in lines) == 2


async def test_cli_pool_prints_json(
    gateway: GatewayProcess, guild: tuple[SimulatedGuild, Publisher]
) -> None:
    simulated, _ = guild
    env = {**os.environ, "ARCHITUS_URL": gateway.url, "ARCHITUS_TOKEN": token("1", {GUILD: 0x2})}
    # as docs/sdk.md writes it: the connection options after the subcommand
    process = await asyncio.create_subprocess_exec(
        entry_point("architus"),
        "pool",
        "role",
        "--guild",
        GUILD,
        "--url",
        gateway.url,
        "--token",
        env["ARCHITUS_TOKEN"],
        env={key: value for key, value in env.items() if not key.startswith("ARCHITUS_")},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert {role["id"] for role in json.loads(out)} == set(simulated.roles)
    missing = await asyncio.create_subprocess_exec(
        entry_point("architus"), "pool", "member", env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await missing.communicate()
    assert missing.returncode == 2
    assert b"needs --guild" in err
