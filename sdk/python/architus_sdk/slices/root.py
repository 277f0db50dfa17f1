"""The root reducer and the shape of the whole state."""

from __future__ import annotations

from dataclasses import dataclass

from architus_sdk.slices import (
    connection,
    guild_status,
    interpret,
    logs,
    pools,
    session,
    spectate,
)
from architus_sdk.store import combine_reducers


@dataclass(frozen=True)
class RootState:
    connection: connection.ConnectionState
    session: session.SessionState
    spectate: spectate.SpectateState
    pools: pools.PoolsState
    logs: logs.LogsState
    guild_status: guild_status.GuildStatusState
    interpret: interpret.InterpretState


root_reducer = combine_reducers(
    RootState,
    {
        "connection": connection.reducer,
        "session": session.reducer,
        "spectate": spectate.reducer,
        "pools": pools.reducer,
        "logs": logs.reducer,
        "guild_status": guild_status.reducer,
        "interpret": interpret.reducer,
    },
)
