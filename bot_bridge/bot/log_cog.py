"""Publishes guild log entries: messages (public) and audit-log entries (private)."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot_bridge.bot import entities
from bot_bridge.publisher import Publisher


class LogCog(commands.Cog):
    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None:
            return  # direct messages belong to no guild's log
        await self._publisher.log(str(message.guild.id), entities.message_entry(message))

    @commands.Cog.listener()
    async def on_audit_log_entry_create(self, entry: discord.AuditLogEntry) -> None:
        await self._publisher.log(str(entry.guild.id), entities.audit_entry(entry))
