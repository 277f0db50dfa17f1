"""discord.py models to the wire's entities and log entries (discord.py's raw payload types
stay inside discord.py; this is the one place that reads its models)."""

from __future__ import annotations

from typing import Any

import discord

from architus_sdk.wire import LogAction, LogOtherBody
from bot_bridge.publisher import timestamp


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def member(model: discord.Member) -> dict[str, Any]:
    avatar = model.avatar or model._user.avatar
    return {
        "id": str(model.id),
        "name": model.name,
        "nick": model.nick,
        "avatar": avatar.key if avatar is not None else None,
        # the @everyone role is implied and never listed
        "roles": [str(role.id) for role in model.roles if not role.is_default()],
        "color": model.color.value,
        "joined_at": _iso(model.joined_at),
    }


def role(model: discord.Role) -> dict[str, Any]:
    return {
        "id": str(model.id),
        "name": model.name,
        "color": model.color.value,
        "position": model.position,
        "hoist": model.hoist,
        "managed": model.managed,
        "mentionable": model.mentionable,
    }


def channel(model: discord.abc.GuildChannel) -> dict[str, Any]:
    return {
        "id": str(model.id),
        "name": model.name,
        "type": model.type.value,
        "position": model.position,
        "parent_id": str(model.category_id) if model.category_id else None,
    }


def emoji(model: discord.Emoji) -> dict[str, Any]:
    return {
        "id": str(model.id),
        "name": model.name,
        "animated": model.animated,
        "available": model.available,
    }


def guild_record(model: discord.Guild) -> dict[str, Any]:
    return {
        "id": str(model.id),
        "name": model.name,
        "icon": model.icon.key if model.icon is not None else None,
        "member_count": model.member_count or len(model.members),
    }


def message_entry(message: discord.Message) -> LogOtherBody:
    return LogOtherBody(
        id=str(message.id),
        action=LogAction.MESSAGE_SENT,
        private=False,
        agent_id=str(message.author.id),
        subject_id=str(message.channel.id),
        content=message.content,
        data={"channel_id": str(message.channel.id), "message_id": str(message.id)},
        timestamp=timestamp(),
    )


def audit_entry(entry: discord.AuditLogEntry) -> LogOtherBody:
    """Moderation and audit-log entries are private: only VIEW_PRIVATE_LOGS sees them. Their
    action is Discord's audit-log number as is (a `LogAction` where the catalogue lists it)."""
    target = getattr(entry.target, "id", None)
    return LogOtherBody(
        id=str(entry.id),
        action=entry.action.value,
        private=True,
        agent_id=str(entry.user_id) if entry.user_id is not None else None,
        subject_id=str(target) if target is not None else None,
        content=entry.reason,
        data={"action_name": entry.action.name},
        timestamp=timestamp(),
    )
