"""Client-to-server request payloads. Strict: wrong types and unknown fields are refused."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from architus_sdk.wire.entities import GUILD_SCOPED
from architus_sdk.wire.pushes import EntityType
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


SNOWFLAKE = re.compile(r"^[0-9]{1,20}$")
SETTING_KEY = re.compile(r"^[a-z0-9_.-]{1,64}$")
ALL_LIMIT = (1000, 5000)  # default, most
SEARCH_LIMIT = (25, 1000)


def _refuse(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


class PoolRequest(Request):
    """Exactly one of `ids`, `all`, `search`. Guild-scoped types need `guild_id`."""

    # strict mode would want an EntityType instance; on the wire it is its string value
    type: EntityType = Field(strict=False)
    guild_id: Snowflake | None = None
    ids: list[str] | None = Field(default=None, min_length=1, max_length=5000)
    all: Literal[True] | None = None
    search: str | None = Field(default=None, min_length=1, max_length=100)
    limit: int | None = Field(default=None, ge=1, le=ALL_LIMIT[1])
    after: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_mode(self) -> PoolRequest:
        modes = [name for name in ("ids", "all", "search") if getattr(self, name) is not None]
        if len(modes) != 1:
            raise _refuse("pool_mode", "exactly one of ids, all, search")
        if self.after is not None and self.all is None:
            raise _refuse("pool_after", "after goes with all")
        if self.limit is not None and self.ids is not None:
            raise _refuse("pool_limit", "limit goes with all or search")
        if self.search is not None and self.limit is not None and self.limit > SEARCH_LIMIT[1]:
            raise _refuse("pool_limit", f"a search returns at most {SEARCH_LIMIT[1]}")
        if self.type in GUILD_SCOPED and self.guild_id is None:
            raise _refuse("pool_guild", f"guild_id is required for {self.type.value}")
        if self.ids is not None:
            pattern = SETTING_KEY if self.type is EntityType.SETTING else SNOWFLAKE
            for key in self.ids:
                if not pattern.match(key):
                    what = "setting keys" if self.type is EntityType.SETTING else "snowflakes"
                    raise _refuse("pool_ids", f"ids must be {what}: {key[:40]!r}")
        return self

    def effective_limit(self) -> int:
        default = SEARCH_LIMIT[0] if self.search is not None else ALL_LIMIT[0]
        return self.limit or default


class InterpretRequest(Request):
    """A visitor's message (`send`) or reaction (`react`/`unreact`) in the front-page demo."""

    action: Literal["send", "react", "unreact"]
    guild_id: Snowflake
    message_id: Snowflake
    content: str | None = Field(default=None, min_length=1, max_length=2000)
    emoji: str | None = Field(default=None, min_length=1, max_length=64)
    allowed_commands: list[str] | None = Field(default=None, max_length=16)

    @model_validator(mode="after")
    def _fits_action(self) -> InterpretRequest:
        if self.action == "send":
            if self.content is None:
                raise _refuse("interpret_content", "send needs content")
            if int(self.message_id) % 2:
                raise _refuse("interpret_id", "the visitor's message ids are even (odd: the bot's)")
        elif self.emoji is None:
            raise _refuse("interpret_emoji", f"{self.action} needs emoji")
        return self
