"""The root reducer and the shape of the whole state."""

from __future__ import annotations

from typing import Any

from architus_sdk.slices import connection, interpret, logs, pools, session, spectate
from architus_sdk.store import combine_reducers

RootState = dict[str, Any]

root_reducer = combine_reducers(
    {
        "connection": connection.reducer,
        "session": session.reducer,
        "spectate": spectate.reducer,
        "pools": pools.reducer,
        "logs": logs.reducer,
        "interpret": interpret.reducer,
    }
)
