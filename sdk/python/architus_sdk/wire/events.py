"""Event names, client to server and server to client."""

from enum import StrEnum


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
