"""Raw Discord gateway payloads (the shapes of discord/types/*.py), for discord.py's own
ConnectionState parsers to turn into real Guild, Member, Role... objects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    # discord.types imported first, before discord, runs into its own import cycle
    from discord.types.emoji import Emoji
    from discord.types.gateway import GuildMemberUpdateEvent
    from discord.types.member import MemberWithUser
    from discord.types.message import Message

GUILD = "660000000000000001"
BOT = "660000000000009999"
OWNER = "660000000000000100"


def user(user_id: str, username: str, avatar: str | None = None) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": username,
        "discriminator": "0",
        "avatar": avatar,
        "global_name": None,
    }


def member(
    user_id: str,
    username: str,
    *,
    nick: str | None = None,
    roles: list[str] | None = None,
    avatar: str | None = None,
) -> MemberWithUser:
    # cast: the JSON Discord sends, with fields discord.py's TypedDicts do not list
    return cast(
        "MemberWithUser",
        {
            "user": user(user_id, username, avatar),
            "nick": nick,
            "roles": roles or [],
            "joined_at": "2024-05-01T12:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        },
    )


def member_update(member: MemberWithUser, **changes: Any) -> GuildMemberUpdateEvent:
    """GUILD_MEMBER_UPDATE: the whole member again, with its guild and the changes."""
    return cast("GuildMemberUpdateEvent", {**member, "guild_id": GUILD, "avatar": None, **changes})


def role(
    role_id: str, name: str, *, color: int = 0, position: int = 1, hoist: bool = False
) -> dict[str, Any]:
    # Discord sends the legacy `color` and the newer `colors` (discord.py 2.7 reads the latter)
    return {
        "id": role_id,
        "name": name,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": hoist,
        "position": position,
        "permissions": "0",
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def channel(
    channel_id: str, name: str, *, kind: int = 0, position: int = 0, parent_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": channel_id,
        "guild_id": GUILD,
        "type": kind,
        "name": name,
        "position": position,
        "parent_id": parent_id,
        "permission_overwrites": [],
        "nsfw": False,
    }


def emoji(emoji_id: str, name: str, *, animated: bool = False) -> Emoji:
    return cast(
        "Emoji",
        {
            "id": emoji_id,
            "name": name,
            "animated": animated,
            "available": True,
            "roles": [],
            "require_colons": True,
            "managed": False,
        },
    )


def guild_create(members: list[MemberWithUser]) -> dict[str, Any]:
    return {
        "id": GUILD,
        "name": "Payload Guild",
        "icon": "a1b2c3",
        "owner_id": OWNER,
        "unavailable": False,
        "member_count": len(members),
        "large": False,
        "features": [],
        "roles": [
            role(GUILD, "@everyone", position=0),
            role("660000000000000201", "Mods", color=0x3498DB, position=2, hoist=True),
        ],
        "emojis": [emoji("660000000000000301", "pog")],
        "channels": [
            channel("660000000000000401", "Text", kind=4),
            channel("660000000000000402", "general", parent_id="660000000000000401", position=1),
        ],
        "members": members,
        "threads": [],
        "stickers": [],
        "voice_states": [],
        "presences": [],
    }


def message_create(message_id: str, author: MemberWithUser, content: str) -> Message:
    return cast(
        "Message",
        {
            "id": message_id,
            "channel_id": "660000000000000402",
            "guild_id": GUILD,
            "author": author["user"],
            "member": {k: v for k, v in author.items() if k != "user"},
            "content": content,
            "timestamp": "2024-05-01T12:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
        },
    )
