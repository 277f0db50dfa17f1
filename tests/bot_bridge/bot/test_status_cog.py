"""The bot's guild_status, from raw gateway payloads through discord.py's own parsers into a
real Bot with its Cogs, announced in a real Redis, seen by a real socket on a real gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, cast

import pytest
from discord.ext import commands

from architus_sdk.wire import GuildStatus
from bot_bridge.bot import create_bot
from bot_bridge.bus import Bus, Presence, mirror_for, presence_for
from bot_bridge.publisher import Publisher
from tests.bot_bridge.bot import payloads
from tests.bot_bridge.bot.payloads import BOT, GUILD
from tests.conftest import Client, ClientFactory, RunningGateway, token

if TYPE_CHECKING:
    from discord.types.gateway import ReadyEvent

ADA = payloads.member("660000000000000501", "ada")


@pytest.fixture
async def presence(redis_url: str) -> AsyncIterator[Presence]:
    opened = presence_for(redis_url)
    await opened.connect()
    yield opened
    await opened.disconnect()


@pytest.fixture
async def bot(redis_url: str, presence: Presence) -> AsyncIterator[commands.Bot]:
    bus, mirror = Bus(redis_url), mirror_for(redis_url)
    await bus.connect()
    bot = await create_bot(Publisher(bus, mirror), presence)
    # What login() does before it touches the network: bind the bot to the running loop.
    await bot._async_setup_hook()
    yield bot
    await bot.close()
    await bus.disconnect()
    await mirror.disconnect()


def ready(guild_ids: list[str]) -> ReadyEvent:
    """READY: the bot's user and its guilds, all unavailable until their GUILD_CREATE."""
    ready_event = {
        "v": 10,
        "user": {**payloads.user(BOT, "architus"), "bot": True},
        "guilds": [{"id": guild_id, "unavailable": True} for guild_id in guild_ids],
        "session_id": "0123456789abcdef",
        "resume_gateway_url": "wss://gateway.discord.invalid",
        "application": {"id": BOT, "flags": 0},
    }
    return cast("ReadyEvent", ready_event)


def bot_statuses(client: Client) -> list[str]:
    return [GuildStatus.model_validate(p).bot for p in client.received("guild_status")]


async def watcher(gateway: RunningGateway, connect: ClientFactory) -> Client:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0})})
    assert (await client.call("spectate", {"guild_id": GUILD}))["ok"]
    await client.wait_for(lambda c: bot_statuses(c) == ["offline"])
    return client


async def becomes(client: Client, status: str) -> None:
    await client.wait_for(lambda c: bot_statuses(c)[-1:] == [status], timeout=3)


async def test_ready_then_the_guild_available_is_online(
    bot: commands.Bot, redis_gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await watcher(redis_gateway, connect)
    state = bot._connection
    state.parse_ready(ready([GUILD]))
    state.parse_guild_create(payloads.guild_create([ADA]))
    await becomes(client, "online")
    await bot.wait_until_ready()  # READY's own event, after the guilds arrived


async def test_disconnect_offline_resume_online(
    bot: commands.Bot, redis_gateway: RunningGateway, connect: ClientFactory
) -> None:
    state = bot._connection
    state.parse_guild_create(payloads.guild_create([ADA]))
    client = await connect(redis_gateway.url, auth={"token": token(guilds={GUILD: 0})})
    assert (await client.call("spectate", {"guild_id": GUILD}))["ok"]
    await becomes(client, "online")
    # discord.py dispatches `disconnect` itself when its gateway connection drops
    bot.dispatch("disconnect")
    await becomes(client, "offline")
    state.parse_resumed(None)  # RESUMED's data is empty
    await becomes(client, "online")


async def test_guild_unavailable_available_and_removed(
    bot: commands.Bot, redis_gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await watcher(redis_gateway, connect)
    state = bot._connection
    state.parse_guild_create(payloads.guild_create([ADA]))  # joined
    await becomes(client, "online")
    state.parse_guild_delete({"id": GUILD, "unavailable": True})  # an outage at Discord
    await becomes(client, "offline")
    state.parse_guild_create(payloads.guild_create([ADA]))  # available again
    await becomes(client, "online")
    state.parse_guild_delete({"id": GUILD})  # the bot was removed
    await becomes(client, "offline")
    assert bot_statuses(client) == ["offline", "online", "offline", "online", "offline"]


async def test_closing_the_bot_withdraws_every_guild(
    bot: commands.Bot, redis_gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await watcher(redis_gateway, connect)
    bot._connection.parse_guild_create(payloads.guild_create([ADA]))
    await becomes(client, "online")
    await bot.close()
    await becomes(client, "offline")
