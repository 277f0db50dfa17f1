"""The discord.py bridge, fed raw gateway payloads through discord.py's own ConnectionState
parsers into a real Bot with the Cogs loaded: the mirror in a real Redis and the pushes a
real socket client receives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from discord.ext import commands

from architus_sdk.wire import EntityType, LogOther, LogPool
from bot_bridge.bot import INTENTS, create_bot
from bot_bridge.bus import Bus, Mirror, mirror_for
from bot_bridge.publisher import Publisher
from tests.bot_bridge.bot import payloads
from tests.bot_bridge.bot.payloads import GUILD
from tests.conftest import Client, ClientFactory, RunningGateway, token

ADA = payloads.member(
    "660000000000000501", "ada", nick="Ada L.", roles=["660000000000000201"], avatar="f00d"
)
BOB = payloads.member("660000000000000502", "bob")


@pytest.fixture
async def mirror(redis_url: str) -> AsyncIterator[Mirror]:
    reader = mirror_for(redis_url)
    yield reader
    await reader.disconnect()


@pytest.fixture
async def bot(redis_url: str, mirror: Mirror) -> AsyncIterator[commands.Bot]:
    bus = Bus(redis_url)
    await bus.connect()
    bot = await create_bot(Publisher(bus, mirror))
    # What login() does before it touches the network: bind the bot to the running loop.
    await bot._async_setup_hook()
    yield bot
    await bot.close()
    await bus.disconnect()


async def eventually(check: Callable[[], Any], timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


async def watcher(url: str, connect: ClientFactory, perms: int) -> Client:
    client = await connect(url, auth={"token": token(guilds={GUILD: perms})})
    ack = await client.call("spectate", {"guild_id": GUILD, "include_logs": True})
    assert ack["ok"], ack
    return client


async def mirrored(mirror: Mirror) -> None:
    """Wait until the bot has mirrored the guild of its GUILD_CREATE."""

    async def has_guild() -> bool:
        return await mirror.has_guild(GUILD)

    await eventually(has_guild)


def pool_pushes(client: Client, kind: str) -> list[LogPool]:
    return [LogPool.model_validate(p) for p in client.received("log_pool") if p["type"] == kind]


def test_the_bot_asks_for_the_intents_it_needs() -> None:
    assert INTENTS.guilds
    assert INTENTS.members
    assert INTENTS.emojis_and_stickers
    assert INTENTS.guild_messages
    assert INTENTS.message_content
    assert INTENTS.moderation
    assert not INTENTS.presences


async def test_guild_create_mirrors_the_whole_guild(
    bot: commands.Bot, mirror: Mirror, redis_gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await watcher(redis_gateway.url, connect, 0x1)
    bot._connection.parse_guild_create(payloads.guild_create([ADA, BOB]))

    async def mirrored() -> bool:
        return len(await mirror.all(GUILD, EntityType.MEMBER)) == 2

    await eventually(mirrored)
    members = await mirror.all(GUILD, EntityType.MEMBER)
    assert members["660000000000000501"] == {
        "id": "660000000000000501",
        "name": "ada",
        "nick": "Ada L.",
        "avatar": "f00d",
        "roles": ["660000000000000201"],
        "color": 0x3498DB,
        "joined_at": "2024-05-01T12:00:00+00:00",
    }
    assert (await mirror.all(GUILD, EntityType.GUILD))[GUILD] == {
        "id": GUILD,
        "name": "Payload Guild",
        "icon": "a1b2c3",
        "member_count": 2,
    }
    roles = await mirror.all(GUILD, EntityType.ROLE)
    assert roles["660000000000000201"]["hoist"] is True
    assert set(roles) == {GUILD, "660000000000000201"}
    channels = await mirror.all(GUILD, EntityType.CHANNEL)
    assert channels["660000000000000402"] == {
        "id": "660000000000000402",
        "name": "general",
        "type": 0,
        "position": 1,
        "parent_id": "660000000000000401",
    }
    assert list(await mirror.all(GUILD, EntityType.EMOJI)) == ["660000000000000301"]
    await client.wait_for(lambda c: len(pool_pushes(c, "member")) == 1)
    assert {m["id"] for m in pool_pushes(client, "member")[0].data} == set(members)
    # a second GUILD_CREATE of the same guild (a reconnect) publishes nothing new
    before = len(client.pushes)
    bot._connection.parse_guild_create(payloads.guild_create([ADA, BOB]))
    await asyncio.sleep(0.3)
    assert len(client.pushes) == before


async def test_member_events_update_mirror_and_push(
    bot: commands.Bot, mirror: Mirror, redis_gateway: RunningGateway, connect: ClientFactory
) -> None:
    state = bot._connection
    state.parse_guild_create(payloads.guild_create([ADA]))

    await mirrored(mirror)
    client = await watcher(redis_gateway.url, connect, 0x2)
    carol = payloads.member("660000000000000503", "carol")
    state.parse_guild_member_add({**carol, "guild_id": GUILD})
    await client.wait_for(lambda c: len(pool_pushes(c, "member")) == 1)
    state.parse_guild_member_update(payloads.member_update(carol, nick="Caz"))
    await client.wait_for(lambda c: len(pool_pushes(c, "member")) == 2)
    state.parse_guild_member_remove({"guild_id": GUILD, "user": ADA["user"]})
    await client.wait_for(lambda c: len(pool_pushes(c, "member")) == 3)
    added, updated, removed = pool_pushes(client, "member")
    assert (added.op, added.data[0]["name"]) == ("upsert", "carol")
    assert (updated.op, updated.data[0]["nick"]) == ("upsert", "Caz")
    assert (removed.op, removed.data) == ("delete", ["660000000000000501"])
    assert added.seq < updated.seq < removed.seq
    members = await mirror.all(GUILD, EntityType.MEMBER)
    assert set(members) == {"660000000000000503"}
    assert members["660000000000000503"]["nick"] == "Caz"
    await client.wait_for(lambda c: len(pool_pushes(c, "guild")) >= 2)
    counts = [push.data[0]["member_count"] for push in pool_pushes(client, "guild")]
    assert counts[-1] == 1


async def test_role_channel_emoji_and_guild_events(
    bot: commands.Bot, mirror: Mirror, redis_gateway: RunningGateway, connect: ClientFactory
) -> None:
    state = bot._connection
    state.parse_guild_create(payloads.guild_create([ADA]))

    await mirrored(mirror)
    client = await watcher(redis_gateway.url, connect, 0x2)
    state.parse_guild_role_create(
        {"guild_id": GUILD, "role": payloads.role("660000000000000202", "VIP", color=0xF1C40F)}
    )
    state.parse_guild_role_update(
        {"guild_id": GUILD, "role": payloads.role("660000000000000202", "VIP+", color=0xF1C40F)}
    )
    state.parse_guild_role_delete({"guild_id": GUILD, "role_id": "660000000000000201"})
    state.parse_channel_create(payloads.channel("660000000000000403", "memes", position=2))
    state.parse_channel_update(payloads.channel("660000000000000403", "dank-memes", position=2))
    state.parse_channel_delete(payloads.channel("660000000000000402", "general"))
    state.parse_guild_emojis_update(
        {"guild_id": GUILD, "emojis": [payloads.emoji("660000000000000302", "kek", animated=True)]}
    )
    state.parse_guild_update({**payloads.guild_create([]), "name": "Renamed Guild"})

    async def settled() -> bool:
        roles = await mirror.all(GUILD, EntityType.ROLE)
        channels = await mirror.all(GUILD, EntityType.CHANNEL)
        emojis = await mirror.all(GUILD, EntityType.EMOJI)
        record = (await mirror.all(GUILD, EntityType.GUILD)).get(GUILD, {})
        return (
            roles.get("660000000000000202", {}).get("name") == "VIP+"
            and "660000000000000201" not in roles
            and channels.get("660000000000000403", {}).get("name") == "dank-memes"
            and "660000000000000402" not in channels
            and list(emojis) == ["660000000000000302"]
            and record.get("name") == "Renamed Guild"
        )

    await eventually(settled)
    await client.wait_for(lambda c: len(c.received("log_pool")) >= 9)
    kinds = [(p["type"], p["op"]) for p in client.received("log_pool")]
    for expected in [
        ("role", "upsert"),
        ("role", "delete"),
        ("channel", "upsert"),
        ("channel", "delete"),
        ("emoji", "upsert"),
        ("emoji", "delete"),
        ("guild", "upsert"),
    ]:
        assert expected in kinds


async def test_messages_are_public_and_audit_entries_private(
    bot: commands.Bot, mirror: Mirror, redis_gateway: RunningGateway, connect: ClientFactory
) -> None:
    state = bot._connection
    state.parse_guild_create(payloads.guild_create([ADA, BOB]))

    await mirrored(mirror)
    moderator = await watcher(redis_gateway.url, connect, 0x6)
    public = await watcher(redis_gateway.url, connect, 0x2)
    state.parse_message_create(payloads.message_create("660000000000000601", ADA, "hello there"))
    state.parse_guild_audit_log_entry_create(
        {
            "guild_id": GUILD,
            "id": "660000000000000701",
            "user_id": ADA["user"]["id"],
            "target_id": str(BOB["user"]["id"]),
            "action_type": 20,
            "reason": "spam",
            "changes": [],
        }
    )
    state.parse_message_create(payloads.message_create("660000000000000602", BOB, "bye"))
    await moderator.wait_for(lambda c: len(c.received("log_other")) == 3)
    await public.wait_for(lambda c: len(c.received("log_other")) == 2)
    entries = [LogOther.model_validate(e) for e in moderator.received("log_other")]
    message, kick, _ = entries
    assert (message.action, message.private, message.content) == (3001, False, "hello there")
    assert message.agent_id == ADA["user"]["id"]
    assert message.subject_id == "660000000000000402"
    assert (kick.action, kick.private, kick.content) == (20, True, "spam")
    assert (kick.agent_id, kick.subject_id) == (ADA["user"]["id"], BOB["user"]["id"])
    assert not any(e["private"] for e in public.received("log_other"))


async def test_run_without_a_token_says_what_to_set() -> None:
    import os
    import sys

    process = await asyncio.create_subprocess_exec(
        os.path.join(os.path.dirname(sys.executable), "architus-bridge"),
        "run",
        env={k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"},
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 2
    assert b"DISCORD_TOKEN" in err
