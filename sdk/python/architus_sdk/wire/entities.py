"""Pool entities (CONTRACT 2.1). Fields may be added, never renamed.

`extra="allow"` so an older SDK reads entities from a newer gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from architus_sdk.wire.pushes import EntityType
from architus_sdk.wire.snowflake import Snowflake


class Member(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Snowflake
    name: str
    nick: str | None
    avatar: str | None
    roles: list[Snowflake]
    color: int
    joined_at: str | None


class User(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Snowflake
    username: str
    avatar: str | None


class Role(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Snowflake
    name: str
    color: int
    position: int
    hoist: bool
    managed: bool
    mentionable: bool


class Channel(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Snowflake
    name: str
    type: int
    position: int
    parent_id: Snowflake | None


class Emoji(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Snowflake
    name: str
    animated: bool
    available: bool


class Guild(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Snowflake
    name: str | None
    icon: str | None
    member_count: int
    has_architus: bool
    architus_admin: bool
    permissions: int


class GuildRecord(BaseModel):
    """What the bot knows of a guild itself; `Guild` adds what depends on the caller's token.
    `log_pool` pushes of type `guild` carry these fields."""

    model_config = ConfigDict(extra="allow")

    id: Snowflake
    name: str
    icon: str | None
    member_count: int = Field(ge=0)


class AutoResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Snowflake
    guild_id: Snowflake
    trigger: str
    response: str
    author_id: Snowflake | None
    mode: Literal["naive", "punctuated", "regex"]
    count: int = Field(ge=0)


class Setting(BaseModel):
    model_config = ConfigDict(extra="allow")

    key: str = Field(pattern=r"^[a-z0-9_.-]{1,64}$")
    value: Any


# What a pool request answers with, per type.
ENTITY_MODELS: dict[EntityType, type[BaseModel]] = {
    EntityType.MEMBER: Member,
    EntityType.USER: User,
    EntityType.ROLE: Role,
    EntityType.CHANNEL: Channel,
    EntityType.EMOJI: Emoji,
    EntityType.GUILD: Guild,
    EntityType.AUTO_RESPONSE: AutoResponse,
    EntityType.SETTING: Setting,
}

# What the bot side publishes and mirrors, per type (users are members seen across guilds).
MIRRORED_MODELS: dict[EntityType, type[BaseModel]] = {
    entity_type: model
    for entity_type, model in ENTITY_MODELS.items()
    if entity_type not in (EntityType.USER, EntityType.GUILD)
} | {EntityType.GUILD: GuildRecord}

# Types whose pool belongs to one guild; `user` and `guild` are answered across the token.
GUILD_SCOPED = frozenset(
    {
        EntityType.MEMBER,
        EntityType.CHANNEL,
        EntityType.ROLE,
        EntityType.EMOJI,
        EntityType.AUTO_RESPONSE,
        EntityType.SETTING,
    }
)


def entity_id(entity_type: EntityType, entity: Mapping[str, Any]) -> str:
    """Settings are keyed by `key`, everything else by its snowflake `id`."""
    return str(entity["key"] if entity_type is EntityType.SETTING else entity["id"])
