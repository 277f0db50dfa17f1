"""Keeps the mirror equal to what Discord says: a whole guild when it becomes available or
is joined (publishing only the difference), then each change as it happens."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from architus_sdk.wire import EntityType
from bot_bridge.bot import entities
from bot_bridge.publisher import Publisher

logger = logging.getLogger(__name__)


class MirrorCog(commands.Cog):
    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    async def sync_guild(self, guild: discord.Guild) -> None:
        guild_id = str(guild.id)
        publisher = self._publisher
        await publisher.sync(guild_id, EntityType.GUILD, [entities.guild_record(guild)])
        await publisher.sync(guild_id, EntityType.ROLE, [entities.role(r) for r in guild.roles])
        await publisher.sync(
            guild_id, EntityType.CHANNEL, [entities.channel(c) for c in guild.channels]
        )
        await publisher.sync(guild_id, EntityType.EMOJI, [entities.emoji(e) for e in guild.emojis])
        await publisher.sync(
            guild_id, EntityType.MEMBER, [entities.member(m) for m in guild.members]
        )
        logger.info("mirrored guild %s (%d members)", guild_id, len(guild.members))

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.sync_guild(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.sync_guild(guild)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # The bot left: the guild is no longer mirrored (has_architus becomes false).
        guild_id = str(guild.id)
        for entity_type in (
            EntityType.MEMBER,
            EntityType.CHANNEL,
            EntityType.ROLE,
            EntityType.EMOJI,
            EntityType.GUILD,
        ):
            await self._publisher.sync(guild_id, entity_type, [])

    @commands.Cog.listener()
    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        await self._publisher.upsert(
            str(after.id), EntityType.GUILD, [entities.guild_record(after)]
        )

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        await self._member_count_changed(member.guild)
        await self._publisher.upsert(
            str(member.guild.id), EntityType.MEMBER, [entities.member(member)]
        )

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        await self._publisher.upsert(
            str(after.guild.id), EntityType.MEMBER, [entities.member(after)]
        )

    @commands.Cog.listener()
    async def on_user_update(self, before: discord.User, after: discord.User) -> None:
        # A username or avatar is part of every member entity of that user.
        for guild in after.mutual_guilds:
            member = guild.get_member(after.id)
            if member is not None:
                await self._publisher.upsert(
                    str(guild.id), EntityType.MEMBER, [entities.member(member)]
                )

    @commands.Cog.listener()
    async def on_member_remove(self, member: discord.Member) -> None:
        await self._publisher.delete(str(member.guild.id), EntityType.MEMBER, [str(member.id)])
        await self._member_count_changed(member.guild)

    @commands.Cog.listener()
    async def on_guild_role_create(self, role: discord.Role) -> None:
        await self._publisher.upsert(str(role.guild.id), EntityType.ROLE, [entities.role(role)])

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        await self._publisher.upsert(str(after.guild.id), EntityType.ROLE, [entities.role(after)])

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        await self._publisher.delete(str(role.guild.id), EntityType.ROLE, [str(role.id)])

    @commands.Cog.listener()
    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        await self._publisher.upsert(
            str(channel.guild.id), EntityType.CHANNEL, [entities.channel(channel)]
        )

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        await self._publisher.upsert(
            str(after.guild.id), EntityType.CHANNEL, [entities.channel(after)]
        )

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self._publisher.delete(str(channel.guild.id), EntityType.CHANNEL, [str(channel.id)])

    @commands.Cog.listener()
    async def on_guild_emojis_update(
        self, guild: discord.Guild, before: list[discord.Emoji], after: list[discord.Emoji]
    ) -> None:
        await self._publisher.sync(
            str(guild.id), EntityType.EMOJI, [entities.emoji(e) for e in after]
        )

    async def _member_count_changed(self, guild: discord.Guild) -> None:
        await self._publisher.upsert(
            str(guild.id), EntityType.GUILD, [entities.guild_record(guild)]
        )
