"""What the store keeps of a guild and when it forgets it (a real `architus-ws serve`, a real
Redis bus and mirror): the last `guild_status`; a guild left for another, lost to a renewal
(`spectate_reset`) or refused on a resume leaves nothing of it behind."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable

import pytest

from architus_sdk import ArchitusClient, errors
from architus_sdk.slices import RootState, pools
from architus_sdk.slices.spectate import SpectateState
from bot_bridge.bus import Bus, mirror_for
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild
from tests.architus_ws.requests.test_spectate import entry
from tests.conftest import GatewayProcess, token

GUILD = "750000000000000001"
OTHER = "750000000000000002"
EVERYTHING = 0x7


@pytest.fixture
async def gateway(redis_url: str) -> AsyncIterator[GatewayProcess]:
    process = GatewayProcess(redis_url)
    await process.start()
    yield process
    await process.kill()


@pytest.fixture
async def publisher(redis_url: str) -> AsyncIterator[Publisher]:
    """Both guilds in the mirror, 200 members each."""
    bus, mirror = Bus(redis_url), mirror_for(redis_url)
    await bus.connect()
    published = Publisher(bus, mirror)
    for seed, guild_id in enumerate((GUILD, OTHER)):
        simulated = SimulatedGuild(guild_id, rng=random.Random(seed))
        simulated.seed(200)
        await simulated.publish_seed(published)
    yield published
    await bus.disconnect()
    await mirror.disconnect()


async def eventually(check: Callable[[], object], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


def holds_nothing_of(state: RootState, guild_id: str) -> bool:
    return (
        all(scope != guild_id for _, scope in state.pools)
        and all(entry.guild_id != guild_id for entry in state.logs.entries)
        and guild_id not in state.guild_status
    )


async def spectating_with_everything(client: ArchitusClient, publisher: Publisher) -> None:
    """GUILD spectated with its logs, its members and roles loaded, a log entry and its status
    in the store."""
    await client.spectate(GUILD, include_logs=True)
    for entity_type in ("member", "role"):
        async for _ in client.pool_all(entity_type, GUILD):
            pass
    await publisher.log(GUILD, entry())
    await eventually(lambda: client.state.logs.entries and GUILD in client.state.guild_status)
    assert len(pools.select(client.state.pools, "member", GUILD)) == 200


@pytest.mark.behaviour("guild-status", "leave-guild")
async def test_the_status_is_kept_and_a_guild_left_is_forgotten(
    gateway: GatewayProcess, publisher: Publisher
) -> None:
    client = ArchitusClient(gateway.url, token=token("42", {GUILD: EVERYTHING, OTHER: 0x7}))
    other_viewer = ArchitusClient(gateway.url, token=token("43", {GUILD: EVERYTHING}))
    await client.connect()
    await other_viewer.connect()
    try:
        await spectating_with_everything(client, publisher)
        status = client.state.guild_status[GUILD]
        assert (status.guild_id, status.viewers, status.bot) == (GUILD, 1, "offline")

        # a second viewer: the next push replaces the status kept
        await other_viewer.spectate(GUILD)
        await eventually(lambda: client.state.guild_status[GUILD].viewers == 2)

        await client.spectate(OTHER, include_logs=True)
        # forgotten when the ack is applied, before any push of the new guild
        assert holds_nothing_of(client.state, GUILD)
        assert client.state.spectate.guild_id == OTHER
        await eventually(lambda: OTHER in client.state.guild_status)
        await publisher.log(GUILD, entry())  # no longer followed: never in the store
        await publisher.log(OTHER, entry())
        await eventually(lambda: client.state.logs.entries)
        await client.spectate(OTHER, include_logs=True)  # a round trip: GUILD's push is in
        assert [e.guild_id for e in client.state.logs.entries] == [OTHER]
        assert list(client.state.guild_status) == [OTHER]
        assert holds_nothing_of(client.state, GUILD)

        # the spectate ended: its guild goes too
        await client.spectate(None)
        assert holds_nothing_of(client.state, OTHER)
        assert client.state.spectate == SpectateState()
    finally:
        await client.close()
        await other_viewer.close()


@pytest.mark.behaviour("spectate-reset")
async def test_spectate_reset_forgets_the_guild(
    gateway: GatewayProcess, publisher: Publisher
) -> None:
    client = ArchitusClient(gateway.url, token=token("42", {GUILD: EVERYTHING, OTHER: 0x2}))
    await client.connect()
    try:
        await spectating_with_everything(client, publisher)
        async for _ in client.pool_all("guild"):
            pass  # the token's guilds: not the lost guild's to forget
        assert len(pools.select(client.state.pools, "guild", None)) == 2

        await client.elevate(token("42", {OTHER: 0x2}))
        await eventually(lambda: client.state.spectate.guild_id is None)
        state = client.state
        assert holds_nothing_of(state, GUILD)
        assert state.logs.entries == ()
        assert state.spectate == SpectateState()
        assert len(pools.select(state.pools, "guild", None)) == 2
        assert state.session.guilds == ((OTHER, 0x2),)

        # nothing of the guild arrives any more
        await publisher.log(GUILD, entry())
        with pytest.raises(errors.Forbidden):
            await client.spectate(GUILD)  # a round trip: a push sent before it has arrived
        assert client.state.logs.entries == ()
        assert holds_nothing_of(client.state, GUILD)
    finally:
        await client.close()


@pytest.mark.behaviour("resume-forbidden")
async def test_a_resume_refused_for_a_guild_the_token_lost_forgets_it(
    gateway: GatewayProcess, publisher: Publisher
) -> None:
    client = ArchitusClient(
        gateway.url,
        token=token("42", {GUILD: EVERYTHING, OTHER: 0x2}),
        reconnect_delay=(0.1, 0.4),
    )
    await client.connect()
    try:
        await spectating_with_everything(client, publisher)
        await gateway.kill()
        await eventually(lambda: client.state.connection.status == "reconnecting")
        # renewed while away with a token without the guild: it rides in the reconnect
        with pytest.raises(errors.NotConnected):
            await client.elevate(token("42", {OTHER: 0x2}))
        await gateway.start()
        await eventually(lambda: client.state.spectate.guild_id is None, timeout=30)
        state = client.state
        assert holds_nothing_of(state, GUILD)
        assert state.spectate == SpectateState()
        assert state.session.guilds == ((OTHER, 0x2),)
        assert state.connection.status == "connected"
        assert state.connection.last_error == f"guild {GUILD} is not in your token"
    finally:
        await client.close()
