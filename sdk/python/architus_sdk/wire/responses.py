"""The `data` of successful acks."""

from datetime import datetime

from pydantic import BaseModel

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
