"""session: who the client is elevated as, per the last successful elevation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from architus_sdk.store import Action, create_action
from architus_sdk.wire import ElevationData


@dataclass(frozen=True)
class SessionState:
    user_id: str | None = None
    guilds: tuple[tuple[str, int], ...] = ()
    expires_at: datetime | None = None

    @property
    def elevated(self) -> bool:
        return self.user_id is not None

    def permissions(self, guild_id: str) -> int | None:
        return dict(self.guilds).get(guild_id)


elevated = create_action("session/elevated")  # payload: ElevationData
demoted = create_action("session/demoted")  # payload: reason


def reducer(state: SessionState | None, action: Action) -> SessionState:
    state = state or SessionState()
    if elevated.match(action):
        data: ElevationData = action.payload
        return SessionState(data.user_id, tuple(sorted(data.guilds.items())), data.expires_at)
    if demoted.match(action):
        return SessionState() if state.elevated else state
    return state
