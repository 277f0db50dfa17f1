"""One definition of every payload on the wire, shared by gateway, bridge and SDK.

CONTRACT.md section 2 is the source of truth; these models are its executable form.
"""

from architus_sdk.wire.acks import AckError, AckOk, ErrorBody, ErrorReason
from architus_sdk.wire.events import ClientEvent, ServerEvent
from architus_sdk.wire.permissions import DEFAULT_PERMISSIONS, Permission
from architus_sdk.wire.pushes import (
    ElevationExpired,
    EntityType,
    LogOther,
    LogOtherBody,
    LogPool,
    LogPoolBody,
    PoolOp,
    SpectateReset,
)
from architus_sdk.wire.requests import (
    DemoteRequest,
    ElevationRequest,
    InterpretAction,
    InterpretData,
    InterpretRequest,
    PoolData,
    PoolRequest,
    ResumePoint,
    SpectateRequest,
)
from architus_sdk.wire.responses import ElevationData, SpectateData
from architus_sdk.wire.snowflake import Snowflake

__all__ = [
    "DEFAULT_PERMISSIONS",
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
    "InterpretAction",
    "InterpretData",
    "InterpretRequest",
    "LogOther",
    "LogOtherBody",
    "LogPool",
    "LogPoolBody",
    "Permission",
    "PoolData",
    "PoolOp",
    "PoolRequest",
    "ResumePoint",
    "ServerEvent",
    "Snowflake",
    "SpectateData",
    "SpectateRequest",
    "SpectateReset",
]
