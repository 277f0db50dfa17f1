"""Elevation: a socket's token, its `<sid>_auth` room, renewal and expiry.

Renewal applies at once: a guild that left the token ends its spectate (`spectate_reset`),
and so does losing VIEW_PUBLIC_LOGS while `include_logs` is on; losing only
VIEW_PRIVATE_LOGS just stops private entries, and losing VIEW_SETTINGS just stops `setting`
changes. A token of another user demotes first.
Expiry is a timer on the node holding the socket, due at `exp` plus the leeway.
"""

from __future__ import annotations

import asyncio
import time

import socketio

from architus_sdk.wire import NAMESPACE, ElevationExpired, ServerEvent, SpectateReset
from architus_ws.auth import permissions
from architus_ws.auth.tokens import Claims
from architus_ws.connections.session import Session
from architus_ws.fanout import rooms
from architus_ws.fanout.spectators import Spectators
from architus_ws.observability.metrics import Metrics


class Elevation:
    def __init__(
        self,
        server: socketio.AsyncServer,
        spectators: Spectators,
        metrics: Metrics,
        leeway: float,
    ) -> None:
        self._server = server
        self._spectators = spectators
        self._metrics = metrics
        self._leeway = leeway
        self._expiring: set[asyncio.Task[None]] = set()

    def is_current(self, claims: Claims) -> bool:
        return time.time() < claims.expires_at + self._leeway

    async def elevate(self, session: Session, claims: Claims) -> None:
        if session.closed:
            return  # the socket went while the request waited its turn
        if session.claims is not None and session.claims.user_id != claims.user_id:
            self.demote(session)
        if session.claims is None:
            self._server.manager.basic_enter_room(
                session.sid, NAMESPACE, rooms.auth_room(session.sid)
            )
            self._metrics.elevated.inc()
        session.claims = claims
        self._schedule_expiry(session, claims)
        await self._recheck_spectate(session, claims)

    def demote(self, session: Session) -> None:
        self._spectators.stop(session)
        if session.expiry is not None:
            session.expiry.cancel()
            session.expiry = None
        if session.claims is not None:
            self._server.manager.basic_leave_room(
                session.sid, NAMESPACE, rooms.auth_room(session.sid)
            )
            self._metrics.elevated.dec()
            session.claims = None

    async def _recheck_spectate(self, session: Session, claims: Claims) -> None:
        spectating = session.spectating
        if spectating is None:
            return
        guild_id = spectating.guild_id
        if not permissions.can_spectate(claims, guild_id) or (
            spectating.include_logs and not permissions.can_include_logs(claims, guild_id)
        ):
            self._spectators.stop(session)
            reset = SpectateReset(guild_id=guild_id)
            await self._server.emit(
                ServerEvent.SPECTATE_RESET.value, reset.model_dump(), to=session.sid
            )
            return
        access = permissions.access(claims, guild_id, spectating.include_logs)
        self._spectators.change_access(session, access)

    def _schedule_expiry(self, session: Session, claims: Claims) -> None:
        if session.expiry is not None:
            session.expiry.cancel()
        delay = max(0.0, claims.expires_at + self._leeway - time.time())
        loop = asyncio.get_running_loop()
        session.expiry = loop.call_later(delay, self._start_expiry, session, claims)

    def _start_expiry(self, session: Session, claims: Claims) -> None:
        # Demoted here, in the timer's callback, not behind the session's lock: expiry must
        # not wait for the socket's queued requests. A request still running sees the claims
        # change after its next await (`RequestHandlers._still_current`).
        if session.claims is not claims or session.closed:
            return  # renewed, demoted or gone meanwhile
        session.expiry = None
        self.demote(session)
        task = asyncio.create_task(self._tell_expired(session))
        self._expiring.add(task)
        task.add_done_callback(self._expiring.discard)

    async def _tell_expired(self, session: Session) -> None:
        await self._server.emit(
            ServerEvent.ELEVATION_EXPIRED.value, ElevationExpired().model_dump(), to=session.sid
        )
