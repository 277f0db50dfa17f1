"""Request handlers. The dispatch table is built by a naming rule: `on_<event>` answers the
client event `<event>`, and the annotation of its `request` parameter is the pydantic model
its payload is validated against before it is called."""

from __future__ import annotations

import inspect
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, get_type_hints

from pydantic import BaseModel

from architus_sdk.wire import (
    ClientEvent,
    DemoteRequest,
    ElevationData,
    ElevationRequest,
    ErrorReason,
    InterpretData,
    InterpretRequest,
    PoolRequest,
    SpectateData,
    SpectateRequest,
)
from architus_ws.auth import permissions
from architus_ws.auth.elevation import Elevation
from architus_ws.auth.tokens import Claims, InvalidToken, TokenVerifier
from architus_ws.connections.session import Session
from architus_ws.fanout.feeds import Feeds, GuildFeed
from architus_ws.fanout.replay import ResumeOutcome, replay
from architus_ws.fanout.sender import Message
from architus_ws.fanout.spectators import Spectators
from architus_ws.requests.errors import RequestError
from architus_ws.requests.pools import Pools
from bot_bridge.bus import Bus, BusUnavailable
from bot_bridge.responder import ResponseMaker, Sandbox

SANDBOXES_PER_CONNECTION = 4


@dataclass(frozen=True)
class Handler:
    model: type[BaseModel]
    call: Callable[[Session, Any], Awaitable[Any]]


class RequestHandlers:
    def __init__(
        self,
        tokens: TokenVerifier,
        elevation: Elevation,
        spectators: Spectators,
        feeds: Feeds,
        bus: Bus,
        pools: Pools,
        responder: ResponseMaker,
        random_source: Callable[[], random.Random],
        emit: Callable[[str, Message, str], Awaitable[None]],
        resumed: Callable[[ResumeOutcome], None],
    ) -> None:
        self._tokens = tokens
        self._elevation = elevation
        self._spectators = spectators
        self._feeds = feeds
        self._bus = bus
        self._pools = pools
        self._responder = responder
        self._random_source = random_source
        self._emit = emit
        self._resumed = resumed

    @classmethod
    def models(cls) -> dict[str, type[BaseModel]]:
        """The request model of every client event, by the naming rule."""
        return {
            ClientEvent(name.removeprefix("on_")).value: get_type_hints(function)["request"]
            for name, function in inspect.getmembers(cls, inspect.isfunction)
            if name.startswith("on_")
        }

    def table(self) -> dict[str, Handler]:
        return {
            event: Handler(model, getattr(self, f"on_{event}"))
            for event, model in self.models().items()
        }

    def claims(self, session: Session) -> Claims:
        """The caller's claims, or 401: missing, or expired even if the timer has not fired."""
        claims = session.claims
        if claims is None:
            raise RequestError(ErrorReason.UNAUTHENTICATED, "request elevation first")
        if not self._elevation.is_current(claims):
            raise RequestError(ErrorReason.UNAUTHENTICATED, "token expired")
        return claims

    def verify(self, token: str) -> Claims:
        try:
            return self._tokens.verify(token)
        except InvalidToken as error:
            raise RequestError(ErrorReason.UNAUTHENTICATED, str(error)) from None

    async def on_request_elevation(
        self, session: Session, request: ElevationRequest
    ) -> dict[str, Any]:
        claims = self.verify(request.token)
        # The answer is built before any state changes: a claim it cannot carry refuses the
        # token with the socket as it was.
        data = ElevationData(
            user_id=claims.user_id,
            guilds={guild: int(perms) for guild, perms in claims.guilds.items()},
            expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
        ).model_dump(mode="json")
        await self._elevation.elevate(session, claims)
        return data

    async def on_demote(self, session: Session, request: DemoteRequest) -> dict[str, Any]:
        self._elevation.demote(session)
        return {}

    async def on_interpret(self, session: Session, request: InterpretRequest) -> dict[str, Any]:
        """The front page's mock Discord: anyone may call it; it touches only the caller's own
        sandbox for that guild id, which lives as long as the connection."""
        sandbox = session.sandboxes.get(request.guild_id)
        if sandbox is None:
            sandbox = Sandbox(request.guild_id, self._random_source())
            session.sandboxes[request.guild_id] = sandbox
            while len(session.sandboxes) > SANDBOXES_PER_CONNECTION:
                session.sandboxes.popitem(last=False)
        session.sandboxes.move_to_end(request.guild_id)
        if request.action == "send":
            assert request.content is not None  # InterpretRequest requires it for send
            allowed = request.allowed_commands
            actions = await self._responder.send(
                sandbox,
                request.message_id,
                request.content,
                allowed=(lambda name: True) if allowed is None else allowed.__contains__,
            )
        else:
            assert request.emoji is not None
            actions = self._responder.react(sandbox, request.message_id, request.emoji)
        return InterpretData.model_validate(
            {"guild_id": request.guild_id, "actions": [action.wire() for action in actions]}
        ).model_dump(exclude_none=True)

    async def on_pool(self, session: Session, request: PoolRequest) -> dict[str, Any]:
        return await self._pools.answer(self.claims(session), request)

    async def on_spectate(self, session: Session, request: SpectateRequest) -> dict[str, Any]:
        claims = self.claims(session)
        guild_id = request.guild_id
        if guild_id is None:
            self._spectators.stop(session)
            return {"guild_id": None}
        if not permissions.can_spectate(claims, guild_id):
            raise RequestError(ErrorReason.FORBIDDEN, f"guild {guild_id} is not in your token")
        if request.include_logs and not permissions.can_include_logs(claims, guild_id):
            raise RequestError(ErrorReason.FORBIDDEN, "include_logs needs VIEW_PUBLIC_LOGS")
        try:
            feed = await self._feeds.join(guild_id, session.sid)
        except BusUnavailable as error:
            raise RequestError(
                ErrorReason.UNAVAILABLE, f"the bus is unavailable: {error}"
            ) from None
        self._still_current(session, claims, feed)
        # Committed from here on: leave what was spectated before (rooms, and feed if another).
        previous = session.spectating
        if previous is not None:
            self._spectators.leave_rooms(session)
            session.spectating = None
            if previous.guild_id != guild_id:
                self._feeds.leave(previous.guild_id, session.sid)
        access = permissions.access(claims, guild_id, request.include_logs)
        outcome, replayed = None, 0
        if request.resume is not None:
            outcome, replayed = await replay(
                self._bus, self._emit, session, access, feed, request.resume
            )
            self._resumed(outcome)
        self._still_current(session, claims, feed)
        # No await between reading the position and entering the rooms.
        position = feed.position()
        self._spectators.enter(session, feed, request.include_logs, access)
        return SpectateData(
            guild_id=guild_id,
            epoch=position.epoch,
            pool_seq=position.pool_seq,
            logs_seq=position.logs_seq,
            recovered=outcome is ResumeOutcome.RECOVERED,
            replayed=replayed,
        ).model_dump()

    def _still_current(self, session: Session, claims: Claims, feed: GuildFeed) -> None:
        """After an await: if the socket closed, expired or changed its token meanwhile, the
        spectate is given up (the feed's count taken back) instead of entering rooms the
        token no longer allows."""
        if session.closed or session.claims is not claims:
            spectating = session.spectating
            if spectating is None or spectating.guild_id != feed.guild_id:
                self._feeds.leave(feed.guild_id, session.sid)  # else it was counted before
            raise RequestError(
                ErrorReason.UNAVAILABLE,
                "the connection closed or its token changed during the request; retry",
            )
