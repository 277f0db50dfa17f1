"""Event names, client to server and server to client; the namespace they travel on; which
push carries each of a guild's two streams."""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

# CONTRACT 2: the default Socket.IO namespace, and only it
NAMESPACE = "/"


class ClientEvent(StrEnum):
    REQUEST_ELEVATION = "request_elevation"
    DEMOTE = "demote"
    SPECTATE = "spectate"
    POOL = "pool"
    INTERPRET = "interpret"


class ServerEvent(StrEnum):
    LOG_POOL = "log_pool"
    LOG_OTHER = "log_other"
    ELEVATION_EXPIRED = "elevation_expired"
    SPECTATE_RESET = "spectate_reset"
    RECONNECT = "reconnect"
    GUILD_STATUS = "guild_status"
    TOKEN_EXPIRING = "token_expiring"


# A guild's streams by name (`pool`: seqs are `pool_seq`, `logs`: `logs_seq`) and the event
# each is pushed as. Keys are the stream names, so the bus's `Stream` members index it too.
STREAM_EVENTS: Mapping[str, str] = MappingProxyType(
    {"pool": ServerEvent.LOG_POOL.value, "logs": ServerEvent.LOG_OTHER.value}
)
