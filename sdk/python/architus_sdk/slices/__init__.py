"""The client's state: one slice per concern, combined into the root reducer."""

from architus_sdk.slices import (
    connection,
    guild_status,
    interpret,
    logs,
    pools,
    pushes,
    session,
    spectate,
)
from architus_sdk.slices.root import RootState, root_reducer

__all__ = [
    "RootState",
    "connection",
    "guild_status",
    "interpret",
    "logs",
    "pools",
    "pushes",
    "root_reducer",
    "session",
    "spectate",
]
