"""The bot itself: intents, Cogs, and `run` (connect with DISCORD_TOKEN and publish)."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot_bridge.bot.log_cog import LogCog
from bot_bridge.bot.mirror_cog import MirrorCog
from bot_bridge.bot.status_cog import StatusCog
from bot_bridge.bus import Announcer, Presence
from bot_bridge.publisher import Publisher


def _intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True  # guilds, roles, channels
    intents.members = True  # privileged: member joins, updates, leaves and the member list
    intents.emojis_and_stickers = True
    intents.guild_messages = True
    intents.message_content = True  # privileged: the text of logged messages
    intents.moderation = True  # audit-log entries (needs View Audit Log in the guild)
    return intents


INTENTS = _intents()


async def create_bot(publisher: Publisher, presence: Presence | None = None) -> commands.Bot:
    """`presence`: where the bot announces the guilds it serves (guild_status)."""
    bot = commands.Bot(
        command_prefix=commands.when_mentioned,
        intents=INTENTS,
        # discord.py chunks each guild's member list before guild_available (members intent),
        # so the first sync mirrors every member, not just those in GUILD_CREATE.
        help_command=None,
    )
    await bot.add_cog(MirrorCog(publisher))
    await bot.add_cog(LogCog(publisher))
    if presence is not None:
        await bot.add_cog(StatusCog(bot, Announcer(presence)))
    return bot
