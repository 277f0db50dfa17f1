"""session: who the client is elevated as, per the last successful elevation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from architus_sdk.store import Action, create_action
from architus_sdk.wire import ElevationData, TokenExpiring


@dataclass(frozen=True)
class SessionState:
    user_id: str | None = None
    guilds: tuple[tuple[str, int], ...] = ()
    expires_at: datetime | None = None
    # the gateway's `token_expiring` about the current token: renew it (the client does when it
    # has a token_provider); None once a token with another `exp` is in place
    expiring: TokenExpiring | None = None

    @property
    def elevated(self) -> bool:
        return self.user_id is not None

    def permissions(self, guild_id: str) -> int | None:
        return dict(self.guilds).get(guild_id)


elevated = create_action("session/elevated")  # payload: ElevationData
demoted = create_action("session/demoted")  # payload: reason
expiring = create_action("session/expiring")  # payload: TokenExpiring


def reducer(state: SessionState | None, action: Action) -> SessionState:
    state = state or SessionState()
    if elevated.match(action):
        data: ElevationData = action.payload
        notice = state.expiring
        # the same `exp` again is the same expiry: the gateway does not tell it twice
        kept = notice if notice is not None and notice.expires_at == data.expires_at else None
        guilds = tuple(sorted(data.guilds.items()))
        return SessionState(data.user_id, guilds, data.expires_at, kept)
    if expiring.match(action):
        notice = action.payload
        # (before the elevation is known, it is about the connect's token: kept for it)
        if state.elevated and notice.expires_at != state.expires_at:
            return state  # about a token already replaced
        return replace(state, expiring=notice)
    if demoted.match(action):
        return SessionState() if state.elevated else state
    return state
