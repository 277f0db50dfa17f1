"""Client-to-server request payloads. Strict: wrong types and unknown fields are refused."""

from pydantic import BaseModel, ConfigDict, Field

from architus_sdk.wire.snowflake import Snowflake


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ElevationRequest(Request):
    token: str = Field(min_length=1, max_length=8192)


class DemoteRequest(Request):
    pass


class ResumePoint(Request):
    """Where a client stood: the epoch it saw and the last seq of each stream (0: none yet)."""

    epoch: str = Field(min_length=1, max_length=64)
    pool_seq: int = Field(ge=0)
    logs_seq: int = Field(ge=0)


class SpectateRequest(Request):
    guild_id: Snowflake | None
    include_logs: bool = False
    resume: ResumePoint | None = None
