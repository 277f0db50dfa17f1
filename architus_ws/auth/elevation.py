"""Elevation: a socket's token, its `<sid>_auth` room, renewal and expiry.

Renewal applies at once: a guild that left the token ends its spectate (`spectate_reset`),
and so does losing VIEW_PUBLIC_LOGS while `include_logs` is on; losing only
VIEW_PRIVATE_LOGS just stops private entries, and losing VIEW_SETTINGS just stops `setting`
changes. A token of another user demotes first.

Each elevated socket has ONE timer on the node holding it (`Session.expiry`), in two stages:
first due `renew_notice` before `exp`, when it pushes `token_expiring` and re-arms itself for
`exp` plus the leeway, when it demotes and pushes `elevation_expired`. One handle per socket,
not two and not a task: memory per socket is what a node's capacity is measured in.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import socketio

from architus_sdk.wire import (
    NAMESPACE,
    ElevationExpired,
    ServerEvent,
    SpectateReset,
    TokenExpiring,
)
from architus_ws.auth import permissions
from architus_ws.auth.tokens import Claims
from architus_ws.connections.session import Session
from architus_ws.fanout import rooms
from architus_ws.fanout.sender import Sender
from architus_ws.fanout.spectators import Spectators
from architus_ws.observability.metrics import Metrics


class Elevation:
    def __init__(
        self,
        server: socketio.AsyncServer,
        sender: Sender,
        spectators: Spectators,
        metrics: Metrics,
        leeway: float,
        renew_notice: float,
    ) -> None:
        self._server = server
        self._sender = sender
        self._spectators = spectators
        self._metrics = metrics
        self._leeway = leeway
        self._renew_notice = renew_notice
        self._expiring: set[asyncio.Task[None]] = set()

    def is_current(self, claims: Claims) -> bool:
        return time.time() < claims.expires_at + self._leeway

    async def elevate(self, session: Session, claims: Claims) -> None:
        if session.closed:
            return  # the socket went while the request waited its turn
        if session.claims is not None and session.claims.user_id != claims.user_id:
            self.demote(session)
        previous = session.claims
        if previous is None:
            self._server.manager.basic_enter_room(
                session.sid, NAMESPACE, rooms.auth_room(session.sid)
            )
            self._metrics.elevated.inc()
        session.claims = claims
        # A token expiring when the current one does keeps the timer where it stands: the
        # notice is once per expiry, so a client handed the same token again is not told
        # again (and a naive one is not sent round a renewal loop).
        if previous is None or previous.expires_at != claims.expires_at or session.expiry is None:
            self._arm_notice(session, claims)
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

    def _arm_notice(self, session: Session, claims: Claims) -> None:
        if session.expiry is not None:
            session.expiry.cancel()
        # Due now if less than the notice is left: through the loop even then, never sent from
        # here, so it follows the elevation's ack (or the connect's CONNECT packet), which goes
        # out in this same step of the loop.
        delay = max(0.0, claims.expires_at - self._renew_notice - time.time())
        loop = asyncio.get_running_loop()
        session.expiry = loop.call_later(delay, self._notify, session)

    # The timer's callbacks read the session's claims when they fire: a renewal with the same
    # `exp` keeps the timer, and the notice is then about the renewal's token.
    def _notify(self, session: Session) -> None:
        claims = session.claims
        if claims is None or session.closed:
            return  # demoted or gone meanwhile (the timer is cancelled then; a safeguard)
        now = time.time()
        notice = TokenExpiring(
            expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
            # the loop's timers may fire a hair early by the wall clock: never more than the
            # notice the timer was set for
            seconds_left=round(min(self._renew_notice, max(0.0, claims.expires_at - now)), 3),
        )
        event = ServerEvent.TOKEN_EXPIRING.value
        if self._sender.to_socket(session.sid, event, notice.model_dump(mode="json")):
            self._metrics.delivered(event, 1)
        delay = max(0.0, claims.expires_at + self._leeway - now)
        loop = asyncio.get_running_loop()
        session.expiry = loop.call_later(delay, self._start_expiry, session)

    def _start_expiry(self, session: Session) -> None:
        # Demoted here, in the timer's callback, not behind the session's lock: expiry must
        # not wait for the socket's queued requests. A request still running sees the claims
        # change after its next await (`RequestHandlers._still_current`).
        if session.claims is None or session.closed:
            return  # demoted or gone meanwhile (the timer is cancelled then; a safeguard)
        session.expiry = None
        self.demote(session)
        task = asyncio.create_task(self._tell_expired(session))
        self._expiring.add(task)
        task.add_done_callback(self._expiring.discard)

    async def _tell_expired(self, session: Session) -> None:
        await self._server.emit(
            ServerEvent.ELEVATION_EXPIRED.value, ElevationExpired().model_dump(), to=session.sid
        )
