"""Server-to-client pushes."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from architus_sdk.wire.log_actions import LogAction
from architus_sdk.wire.snowflake import Snowflake


class EntityType(StrEnum):
    MEMBER = "member"
    CHANNEL = "channel"
    ROLE = "role"
    EMOJI = "emoji"
    AUTO_RESPONSE = "auto_response"
    SETTING = "setting"
    USER = "user"
    GUILD = "guild"


class PoolOp(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


class Sequenced(BaseModel):
    """What the bus adds when it publishes: the guild, its history's epoch, the stream seq."""

    guild_id: Snowflake
    epoch: str
    seq: int = Field(ge=1)


class LogPoolBody(BaseModel):
    """What a publisher writes; the bus turns it into a `LogPool` by sequencing it."""

    type: EntityType
    op: PoolOp
    data: list[Any]
    timestamp: str


class LogPool(Sequenced, LogPoolBody):
    """An entity pool changed: `data` holds entities (upsert) or ids (delete)."""


class LogOtherBody(BaseModel):
    """A guild log entry as a publisher writes it (architus action numbers)."""

    id: Snowflake
    # a catalogued LogAction, or another of Discord's audit-log numbers (below 3000)
    action: LogAction | int = Field(
        description="The entry's action number: see LogAction (below 3000: Discord's "
        "audit-log action numbers, not all of which are listed)."
    )
    private: bool
    agent_id: Snowflake | None
    subject_id: Snowflake | None
    content: str | None
    data: dict[str, Any]
    timestamp: str


class LogOther(Sequenced, LogOtherBody):
    """A guild log entry; `action` is a `LogAction` number (or another of Discord's)."""


class ElevationExpired(BaseModel):
    reason: Literal["token_expired"] = "token_expired"


class SpectateReset(BaseModel):
    guild_id: Snowflake
    reason: Literal["permissions_changed"] = "permissions_changed"


class Reconnect(BaseModel):
    """CONTRACT 2.3: the node is draining; reconnect (to any node) and resume. The node closes
    the socket itself within `within_ms`."""

    reason: Literal["shutdown"] = "shutdown"
    within_ms: int = Field(ge=0)


class GuildStatus(BaseModel):
    """CONTRACT 2.3: the bot's status for a spectated guild and how many distinct users watch
    it on all nodes. Pushed right after each successful spectate ack, then on every change
    (viewer counts at most once a second per guild). No identity is ever sent."""

    guild_id: Snowflake
    bot: Literal["online", "offline"]
    # when the current status began; None if no bridge ever served the guild
    since: datetime | None
    viewers: int = Field(ge=0)


class TokenExpiring(BaseModel):
    """CONTRACT 2.3: the token expires soon; send `request_elevation` with a fresh one. Pushed
    once per token, ARCHITUS_RENEW_NOTICE_SECONDS before `exp` (at once if less is left)."""

    expires_at: datetime
    seconds_left: float = Field(ge=0)
