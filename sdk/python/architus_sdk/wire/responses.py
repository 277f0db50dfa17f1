"""The `data` of successful acks."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from architus_sdk.wire.pushes import EntityType
from architus_sdk.wire.snowflake import Snowflake


class ElevationData(BaseModel):
    user_id: Snowflake
    guilds: dict[Snowflake, int]
    expires_at: datetime


class SpectateData(BaseModel):
    guild_id: Snowflake | None
    epoch: str | None = None
    pool_seq: int | None = None
    logs_seq: int | None = None
    recovered: bool | None = None
    replayed: int | None = None


class PoolData(BaseModel):
    type: EntityType
    data: list[Any]
    nonexistent: list[str]
    finished: bool
    next: str | None
    # guild-scoped types only: the pool stream position the page reflects (CONTRACT 2.1)
    pool_seq: int | None = None


class InterpretAction(BaseModel):
    action: Literal["send", "react", "edit"]
    message_id: Snowflake
    content: str | None = None
    emoji: str | None = None


class InterpretData(BaseModel):
    guild_id: Snowflake
    actions: list[InterpretAction]
