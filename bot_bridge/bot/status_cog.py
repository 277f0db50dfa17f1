"""The bot's status per guild (CONTRACT 2.3 `guild_status`): a guild is announced online while
this bridge is connected to Discord and the guild is available to it, and withdrawn when
either ends. A clean stop (the bot closing, which unloads its Cogs) withdraws every guild; a
crash withdraws nothing and the announcements end with their lifetime
(bot_bridge/bus/presence.py)."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot_bridge.bus import Announcer


class StatusCog(commands.Cog):
    def __init__(self, bot: commands.Bot, announcer: Announcer) -> None:
        self._bot = bot
        self._announcer = announcer

    async def cog_unload(self) -> None:
        await self._announcer.close()

    async def _serve_all(self) -> None:
        available = [str(guild.id) for guild in self._bot.guilds if not guild.unavailable]
        if available:
            await self._announcer.serve(available)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        await self._serve_all()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        await self._serve_all()

    @commands.Cog.listener()
    async def on_disconnect(self) -> None:
        # Discord is out of reach: nothing this bridge says about the guilds is current
        await self._announcer.withdraw(list(self._announcer.served))

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._announcer.serve([str(guild.id)])

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._announcer.serve([str(guild.id)])

    @commands.Cog.listener()
    async def on_guild_unavailable(self, guild: discord.Guild) -> None:
        await self._announcer.withdraw([str(guild.id)])

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self._announcer.withdraw([str(guild.id)])
