"""The client: python-socketio's AsyncClient, requests as awaitables, pushes as actions.

Every push is dispatched to the store (`pushes/log_pool` merges into the pools). When the
connection drops, python-socketio reconnects with backoff; the token (fresh from
`token_provider` if one is given) rides in the connect `auth`, and the spectate resumes from
the last seqs the store saw, so no event is lost. If the gateway answers `recovered: false`,
the log keeps only what follows the ack and the pools this client loaded are fetched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import socketio

from architus_sdk import errors
from architus_sdk.link import Link
from architus_sdk.slices import RootState, connection, interpret, logs, pools, pushes, root_reducer
from architus_sdk.slices import session as session_slice
from architus_sdk.slices import spectate as spectate_slice
from architus_sdk.store import Middleware, Store
from architus_sdk.token_keeper import TokenKeeper, TokenProvider
from architus_sdk.wire import (
    ElevationData,
    GuildStatus,
    InterpretData,
    PoolData,
    Reconnect,
    SpectateData,
    SpectateReset,
    TokenExpiring,
)
from architus_sdk.wire.entities import GUILD_SCOPED

logger = logging.getLogger(__name__)


class ArchitusClient:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
        middleware: Sequence[Middleware] = (),
        timeout: float = 10.0,
        transports: Sequence[str] = ("websocket",),
        reconnect_delay: tuple[float, float] = (0.2, 5.0),
        other_urls: Sequence[str] = (),
    ) -> None:
        """`other_urls`: more gateway nodes, for when no load balancer stands in front of
        them; a node's `reconnect` notice moves the client to the next one (with a load
        balancer, `url` alone: it sends the reconnect to a ready node)."""
        self.url = url
        self.store: Store[RootState] = Store(root_reducer, middleware)
        self._timeout = timeout
        self._background: set[asyncio.Task[Any]] = set()
        self._tokens = TokenKeeper(
            token,
            token_provider,
            dispatch=self.store.dispatch,
            elevate=self.elevate,
            spawn=self._spawn,
        )
        self._link = Link(
            [url, *other_urls],
            self._tokens,
            self.store.dispatch,
            timeout=timeout,
            transports=transports,
            reconnect_delay=reconnect_delay,
        )
        self._sio = self._link.sio
        self._pool_recordings = pools.PushRecordings()
        self._register()

    # ---- lifecycle -------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect to the node in use. With a `token_provider`, a connect refused for an
        expired token is tried again with a fresh one; the spectate resumes in the background
        once connected."""
        await self._link.connect()

    async def close(self) -> None:
        self._tokens.cancel()
        for task in list(self._background):
            task.cancel()
        await self._link.disconnect()

    async def __aenter__(self) -> ArchitusClient:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def node_url(self) -> str:
        """The gateway node this client is (or is getting) connected to."""
        return self._link.url

    @property
    def state(self) -> RootState:
        return self.store.get_state()

    # ---- requests --------------------------------------------------------------------

    async def elevate(self, token: str | None = None) -> ElevationData:
        if token is not None:
            self._tokens.replace(token)
        held = self._tokens.token
        if held is None:
            raise errors.Unauthenticated("no token to elevate with")
        data = ElevationData.model_validate(
            await self._request("request_elevation", {"token": held})
        )
        self.store.dispatch(session_slice.elevated(data))
        if self._tokens.token == held:  # not replaced while the gateway answered
            self._tokens.elevated(data)
        return data

    async def demote(self) -> None:
        await self._request("demote", {})
        self.store.dispatch(session_slice.demoted("demoted"))
        self.store.dispatch(spectate_slice.stopped("demoted"))

    async def spectate(self, guild_id: str | None, include_logs: bool = False) -> SpectateData:
        payload: dict[str, Any] = {"guild_id": guild_id}
        if guild_id is not None:
            payload["include_logs"] = include_logs
        previous = self.state.spectate.guild_id
        data = SpectateData.model_validate(await self._request("spectate", payload))
        if previous is not None and previous != guild_id:
            # no push of it comes any more: its log, status and pools would go stale
            self.store.dispatch(spectate_slice.left(previous))
        if guild_id is None:
            self.store.dispatch(spectate_slice.stopped("requested"))
        else:
            self.store.dispatch(spectate_slice.started((data, include_logs)))
        return data

    async def pool(
        self,
        entity_type: str,
        guild_id: str | None = None,
        *,
        ids: Sequence[str] | None = None,
        all: bool = False,
        search: str | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> PoolData:
        """One pool request; its entities are merged into the store's pool, then the pushes
        that arrived meanwhile and that the answer does not hold yet (above its `pool_seq`)."""
        request: dict[str, Any] = {"type": entity_type}
        for name, value in (
            ("guild_id", guild_id),
            ("ids", list(ids) if ids else None),
            ("all", True if all else None),
            ("search", search),
            ("limit", limit),
            ("after", after),
        ):
            if value is not None:
                request[name] = value
        with self._recording(entity_type, guild_id) as recording:
            return await self._load_page(request, recording)

    async def pool_all(
        self, entity_type: str, guild_id: str | None = None, limit: int = 1000
    ) -> AsyncIterator[PoolData]:
        """Every page of a pool, in id order. Pushes that arrive meanwhile are applied by the
        answers' watermark (CONTRACT 2.1); when the last page is yielded the store's pool is
        the mirror's, entities that left before the load saw them dropped."""
        request: dict[str, Any] = {"type": entity_type, "all": True, "limit": limit}
        if guild_id is not None:
            request["guild_id"] = guild_id
        with self._recording(entity_type, guild_id) as recording:
            while True:
                page = await self._load_page(request, recording)
                if page.finished or page.next is None:
                    self.store.dispatch(pools.load_finished(recording.finished()))
                    yield page
                    return
                yield page
                request["after"] = page.next

    def _recording(
        self, entity_type: str, guild_id: str | None
    ) -> contextlib.AbstractContextManager[pools.PushRecording]:
        """Records the pool's pushes from now on; open it before the request is sent."""
        scope = guild_id if entity_type in GUILD_SCOPED else None
        return self._pool_recordings.recording(entity_type, scope)

    async def _load_page(self, request: dict[str, Any], recording: pools.PushRecording) -> PoolData:
        data = PoolData.model_validate(await self._request("pool", request))
        # synchronous from here: no push can come between the page and its newer pushes
        self.store.dispatch(pools.page_loaded(recording.page(data)))
        return data

    async def search_members(self, guild_id: str, query: str, limit: int = 25) -> list[Any]:
        return (await self.pool("member", guild_id, search=query, limit=limit)).data

    async def interpret(
        self,
        guild_id: str,
        message_id: str,
        *,
        action: str = "send",
        content: str | None = None,
        emoji: str | None = None,
    ) -> InterpretData:
        request: dict[str, Any] = {"action": action, "guild_id": guild_id, "message_id": message_id}
        if content is not None:
            request["content"] = content
        if emoji is not None:
            request["emoji"] = emoji
        self.store.dispatch(interpret.said(request))
        answer = await self._request("interpret", request)
        self.store.dispatch(interpret.answered(answer))
        return InterpretData.model_validate(answer)

    async def _request(self, event: str, payload: dict[str, Any]) -> Any:
        if not self._sio.connected:
            raise errors.NotConnected(f"{event}: not connected")
        try:
            ack = await self._sio.call(event, payload, timeout=self._timeout)
        except socketio.exceptions.TimeoutError:
            raise errors.RequestTimeout(f"{event}: no answer in {self._timeout} s") from None
        except socketio.exceptions.BadNamespaceError:
            raise errors.NotConnected(f"{event}: not connected") from None
        if not isinstance(ack, dict) or "ok" not in ack:
            raise errors.ArchitusError(f"{event}: malformed answer {ack!r:.200}")
        if not ack["ok"]:
            raise errors.from_ack(ack["error"])
        return ack["data"]

    # ---- connection, pushes, resume --------------------------------------------------

    def _register(self) -> None:
        sio = self._sio
        sio.on("connect", self._on_connect)
        for name, creator in (("log_pool", pushes.log_pool), ("log_other", pushes.log_other)):
            sio.on(name, self._pusher(creator))
        sio.on("elevation_expired", self._on_expired)
        sio.on("token_expiring", self._on_expiring)
        sio.on("spectate_reset", self._on_reset)
        sio.on("guild_status", self._on_guild_status)
        sio.on("reconnect", self._on_reconnect_notice)

    def _pusher(self, creator: Any) -> Callable[[dict[str, Any]], Awaitable[None]]:
        async def push(data: dict[str, Any]) -> None:
            epoch = self.state.spectate.epoch
            if creator is pushes.log_pool:
                self._pool_recordings.record(data)
            self.store.dispatch(creator(data))
            if epoch is not None and data.get("epoch") != epoch:
                self._spawn(self._refetch_pools())  # the gateway's history was lost

        return push

    async def _on_connect(self) -> None:
        transport = self._sio.transport()
        self.store.dispatch(connection.changed(("connected", transport)))
        # handlers run on the read loop: requests must not be awaited here
        self._spawn(self._resume())

    async def _on_expired(self, data: Any = None) -> None:
        self.store.dispatch(session_slice.demoted("token_expired"))
        if self._tokens.provider is None:
            self.store.dispatch(spectate_slice.stopped("token_expired"))
            return
        # keep the spectate position: a fresh token resumes it with nothing lost
        try:
            await self._tokens.fresh()
        except Exception as error:  # the provider's own failure, whatever it is
            self.store.dispatch(connection.failed(f"after expiry: {error!r}"))
            return
        self._spawn(self._resume())

    async def _on_reset(self, data: Any = None) -> None:
        """The token lost the guild (or its logs): the reducers forget the guild."""
        self.store.dispatch(pushes.spectate_reset(SpectateReset.model_validate(data)))

    async def _on_guild_status(self, data: Any = None) -> None:
        self.store.dispatch(pushes.guild_status(GuildStatus.model_validate(data)))

    async def _on_expiring(self, data: Any = None) -> None:
        """The gateway's notice: in the store always (tooling without a provider reacts to
        `session/expiring`); with a provider, renewed now."""
        notice = TokenExpiring.model_validate(data)
        self.store.dispatch(session_slice.expiring(notice))
        self._tokens.noticed(notice, self.state.session.expires_at)

    async def _on_reconnect_notice(self, data: Any = None) -> None:
        """The node drains (CONTRACT 2.3): leave for the next node at a random moment of the
        window's first half, rather than wait to be closed (and not all of the node's clients
        at once: they would reach the others as a wall, bench/drain.py). The connect resumes
        from the store's seqs as any reconnect does, so nothing is lost or repeated."""
        notice = Reconnect.model_validate(data)
        self.store.dispatch(connection.changed(("reconnecting", None)))
        self._spawn(self._leave_within(random.random() * notice.within_ms / 2000))

    async def _leave_within(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._link.move_on()

    async def _resume(self) -> None:
        """After a (re)connect: elevated by the connect `auth`; spectate again from where the
        store stands, and re-fetch the pools if the gateway cannot replay what was missed."""
        spectating = self.state.spectate
        try:
            # python-socketio marks itself connected only after the connect handlers ran
            async with asyncio.timeout(self._timeout):
                while not self._sio.connected:  # noqa: ASYNC110 (no event to await)
                    await asyncio.sleep(0.01)
            if self._tokens.token:
                await self.elevate()
            if spectating.guild_id is None:
                return
            ack = await self._resume_spectate(spectating)
            self.store.dispatch(spectate_slice.started((ack, spectating.include_logs)))
            if not ack.recovered:
                # what the log held is followed by a gap: only what follows the ack stays
                self.store.dispatch(logs.reset((ack.epoch, ack.logs_seq or 0)))
                await self._refetch_pools()
        except (errors.ArchitusError, TimeoutError) as error:
            logger.warning("resume after reconnect failed: %s", error)
            self.store.dispatch(connection.failed(str(error)))

    async def _resume_spectate(self, spectating: spectate_slice.SpectateState) -> SpectateData:
        assert spectating.guild_id is not None
        try:
            return SpectateData.model_validate(
                await self._request(
                    "spectate",
                    {
                        "guild_id": spectating.guild_id,
                        "include_logs": spectating.include_logs,
                        "resume": {
                            "epoch": spectating.epoch or "none",
                            "pool_seq": spectating.pool_seq,
                            "logs_seq": spectating.logs_seq,
                        },
                    },
                )
            )
        except errors.Forbidden:
            # the token in use no longer allows it (renewed narrower while away): forgotten
            # as on `spectate_reset`
            self.store.dispatch(spectate_slice.left(spectating.guild_id))
            self.store.dispatch(spectate_slice.stopped("forbidden"))
            raise

    async def _refetch_pools(self) -> None:
        for entity_type, guild_id in list(self.state.pools):
            async for _ in self.pool_all(entity_type, guild_id):
                pass  # each page is applied as it comes, the pushes meanwhile by the watermark

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task
