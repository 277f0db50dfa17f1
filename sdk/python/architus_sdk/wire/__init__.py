"""One definition of every payload on the wire, shared by gateway, bridge and SDK.

CONTRACT.md section 2 is the source of truth; these models are its executable form.
"""

from architus_sdk.wire.acks import AckError, AckOk, ErrorBody, ErrorReason
from architus_sdk.wire.events import NAMESPACE, STREAM_EVENTS, ClientEvent, ServerEvent
from architus_sdk.wire.log_actions import LogAction
from architus_sdk.wire.permissions import DEFAULT_PERMISSIONS, Permission
from architus_sdk.wire.pushes import (
    ElevationExpired,
    EntityType,
    GuildStatus,
    LogOther,
    LogOtherBody,
    LogPool,
    LogPoolBody,
    PoolOp,
    Reconnect,
    SpectateReset,
    TokenExpiring,
)
from architus_sdk.wire.requests import (
    DemoteRequest,
    ElevationRequest,
    InterpretRequest,
    PoolRequest,
    ResumePoint,
    SpectateRequest,
)
from architus_sdk.wire.responses import (
    ElevationData,
    InterpretAction,
    InterpretData,
    PoolData,
    SpectateData,
)
from architus_sdk.wire.snowflake import Snowflake

__all__ = [
    "DEFAULT_PERMISSIONS",
    "NAMESPACE",
    "STREAM_EVENTS",
    "AckError",
    "AckOk",
    "ClientEvent",
    "DemoteRequest",
    "ElevationData",
    "ElevationExpired",
    "ElevationRequest",
    "EntityType",
    "ErrorBody",
    "ErrorReason",
    "GuildStatus",
    "InterpretAction",
    "InterpretData",
    "InterpretRequest",
    "LogAction",
    "LogOther",
    "LogOtherBody",
    "LogPool",
    "LogPoolBody",
    "Permission",
    "PoolData",
    "PoolOp",
    "PoolRequest",
    "Reconnect",
    "ResumePoint",
    "ServerEvent",
    "Snowflake",
    "SpectateData",
    "SpectateRequest",
    "SpectateReset",
    "TokenExpiring",
]
