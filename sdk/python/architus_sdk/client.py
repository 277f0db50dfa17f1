"""The client: python-socketio's AsyncClient, requests as awaitables, pushes as actions.

Every push is dispatched to the store (`pushes/log_pool` merges into the pools). When the
connection drops, python-socketio reconnects with backoff; the token (fresh from
`token_provider` if one is given) rides in the connect `auth`, and the spectate resumes from
the last seqs the store saw, so no event is lost. If the gateway answers `recovered: false`,
the pools this client loaded are fetched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import socketio

from architus_sdk import errors
from architus_sdk.slices import RootState, connection, interpret, pools, pushes, root_reducer
from architus_sdk.slices import session as session_slice
from architus_sdk.slices import spectate as spectate_slice
from architus_sdk.store import Middleware, Store
from architus_sdk.wire import ElevationData, InterpretData, PoolData, SpectateData, TokenExpiring
from architus_sdk.wire.codec import OrjsonCodec
from architus_sdk.wire.entities import GUILD_SCOPED

logger = logging.getLogger(__name__)

TokenProvider = Callable[[], Awaitable[str]]
RENEW_BEFORE = 30.0  # seconds before `exp` a token_provider's token is renewed
# a `token_expiring` this soon after the elevation was pushed at once: see `_on_expiring`
TOLD_AT_ONCE = 0.5


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
        self._urls = [url, *other_urls]
        self._node = 0  # index in `_urls` of the node this client uses now
        self._reconnect_delay = reconnect_delay
        self.store: Store[RootState] = Store(root_reducer, middleware)
        self._token = token
        self._token_provider = token_provider
        self._timeout = timeout
        self._transports = list(transports)
        self._sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=reconnect_delay[0],
            reconnection_delay_max=reconnect_delay[1],
            json=OrjsonCodec,
        )
        self._background: set[asyncio.Task[Any]] = set()
        self._renewal: asyncio.TimerHandle | None = None
        self._renewing: asyncio.Future[Any] | None = None  # the renewal in flight
        self._elevated_at = 0.0  # monotonic time of the last elevation's ack
        self._resumed = asyncio.Event()
        self._refusal: Any = None  # the last connect_error's payload
        self._pool_recordings = pools.PushRecordings()
        self._register()

    # ---- lifecycle -------------------------------------------------------------------

    async def connect(self) -> None:
        self.store.dispatch(connection.changed(("connecting", None)))
        if self._token_provider is not None and self._token is None:
            self._token = await self._token_provider()
        self._refusal = None
        try:
            await self._sio.connect(
                self.node_url,
                auth=self._auth,
                transports=self._transports,
                wait_timeout=self._timeout,
            )
        except socketio.exceptions.ConnectionError as error:
            await self._release_transport()
            if isinstance(self._refusal, dict) and "reason" in self._refusal:
                raise errors.from_ack(self._refusal) from error  # refused: 401, 503, ...
            raise errors.NotConnected(f"cannot connect to {self.node_url}: {error}") from error

    async def _release_transport(self) -> None:
        """A connect that failed leaves Engine.IO's own HTTP session open: close it."""
        engine = self._sio.eio
        http = getattr(engine, "http", None)
        if http is not None and not getattr(engine, "external_http", False) and not http.closed:
            await http.close()

    async def close(self) -> None:
        if self._renewal is not None:
            self._renewal.cancel()
        for task in list(self._background):
            task.cancel()
        await self._sio.disconnect()

    async def __aenter__(self) -> ArchitusClient:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def node_url(self) -> str:
        """The gateway node this client is (or is getting) connected to."""
        return self._urls[self._node]

    @property
    def state(self) -> RootState:
        return self.store.get_state()

    # ---- requests --------------------------------------------------------------------

    async def elevate(self, token: str | None = None) -> ElevationData:
        if token is not None:
            self._token = token
        if self._token is None:
            raise errors.Unauthenticated("no token to elevate with")
        data = ElevationData.model_validate(
            await self._request("request_elevation", {"token": self._token})
        )
        self.store.dispatch(session_slice.elevated(data))
        self._schedule_renewal(data)
        return data

    async def demote(self) -> None:
        await self._request("demote", {})
        self.store.dispatch(session_slice.demoted("demoted"))
        self.store.dispatch(spectate_slice.stopped("demoted"))

    async def spectate(self, guild_id: str | None, include_logs: bool = False) -> SpectateData:
        payload: dict[str, Any] = {"guild_id": guild_id}
        if guild_id is not None:
            payload["include_logs"] = include_logs
        data = SpectateData.model_validate(await self._request("spectate", payload))
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

    async def _auth(self) -> dict[str, str]:
        return {"token": self._token} if self._token else {}

    def _register(self) -> None:
        sio = self._sio
        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        sio.on("connect_error", self._on_connect_error)
        for name, creator in (("log_pool", pushes.log_pool), ("log_other", pushes.log_other)):
            sio.on(name, self._pusher(creator))
        sio.on("elevation_expired", self._on_expired)
        sio.on("token_expiring", self._on_expiring)
        sio.on("spectate_reset", self._on_reset)
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

    async def _on_disconnect(self, reason: Any = None) -> None:
        self.store.dispatch(connection.changed(("reconnecting", None)))

    async def _on_connect_error(self, data: Any = None) -> None:
        self._refusal = data
        self.store.dispatch(connection.failed(str(data)))

    async def _on_expired(self, data: Any = None) -> None:
        self.store.dispatch(session_slice.demoted("token_expired"))
        if self._token_provider is None:
            self.store.dispatch(spectate_slice.stopped("token_expired"))
        else:
            # keep the spectate position: a fresh token resumes it with nothing lost
            self._token = await self._token_provider()
            self._spawn(self._resume())

    async def _on_reset(self, data: Any = None) -> None:
        self.store.dispatch(pushes.spectate_reset(data))
        self.store.dispatch(spectate_slice.stopped("permissions_changed"))

    async def _on_reconnect_notice(self, data: Any = None) -> None:
        """The node drains (CONTRACT 2.3): leave now, for the next node, rather than wait to
        be closed within the window; the connect resumes from the store's seqs as any
        reconnect does, so nothing is lost or repeated."""
        self.store.dispatch(connection.changed(("reconnecting", None)))
        self._spawn(self._move())

    async def _move(self) -> None:
        await self._sio.disconnect()
        delay, longest = self._reconnect_delay
        while True:
            self._node = (self._node + 1) % len(self._urls)
            try:
                await self.connect()
                return
            except errors.ArchitusError as error:
                # a node that drains too, or is down: the next, with python-socketio's backoff
                logger.info("reconnect to %s failed: %s", self.node_url, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)

    async def _resume(self) -> None:
        """After a (re)connect: elevated by the connect `auth`; spectate again from where the
        store stands, and re-fetch the pools if the gateway cannot replay what was missed."""
        spectating = self.state.spectate
        try:
            # python-socketio marks itself connected only after the connect handlers ran
            async with asyncio.timeout(self._timeout):
                while not self._sio.connected:  # noqa: ASYNC110 (no event to await)
                    await asyncio.sleep(0.01)
            if self._token:
                data = await self._request("request_elevation", {"token": self._token})
                elevation = ElevationData.model_validate(data)
                self.store.dispatch(session_slice.elevated(elevation))
                self._schedule_renewal(elevation)
            if spectating.guild_id is None:
                return
            ack = SpectateData.model_validate(
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
            self.store.dispatch(spectate_slice.started((ack, spectating.include_logs)))
            if not ack.recovered:
                await self._refetch_pools()
        except (errors.ArchitusError, TimeoutError) as error:
            logger.warning("resume after reconnect failed: %s", error)
            self.store.dispatch(connection.failed(str(error)))
        finally:
            self._resumed.set()

    async def _refetch_pools(self) -> None:
        for entity_type, guild_id in list(self.state.pools):
            async for _ in self.pool_all(entity_type, guild_id):
                pass  # each page is applied as it comes, the pushes meanwhile by the watermark

    def _schedule_renewal(self, data: ElevationData) -> None:
        self._elevated_at = time.monotonic()
        if self._token_provider is None:
            return
        if self._renewal is not None:
            self._renewal.cancel()
        # A token with less than RENEW_BEFORE left is renewed half way, not at once: at once,
        # a provider whose tokens are that short would be asked again and again.
        left = data.expires_at.timestamp() - time.time()
        delay = left - RENEW_BEFORE if left > RENEW_BEFORE else max(0.0, left / 2)
        loop = asyncio.get_running_loop()
        self._renewal = loop.call_later(delay, self._start_renewal)

    async def _on_expiring(self, data: Any = None) -> None:
        """The gateway's notice: in the store always (tooling without a provider reacts to
        `session/expiring`); with a provider, renewed now."""
        notice = TokenExpiring.model_validate(data)
        self.store.dispatch(session_slice.expiring(notice))
        if self._token_provider is None or notice.expires_at != self.state.session.expires_at:
            return  # nothing to renew with, or about a token already replaced
        if time.monotonic() - self._elevated_at < TOLD_AT_ONCE:
            # Pushed right after the elevation: the token was inside the notice when it was
            # given, and a fresh one from the same provider would be too; renewing on each
            # such notice would renew without end. The timer renews it half way instead.
            return
        self._start_renewal()

    def _start_renewal(self) -> None:
        """The notice and the timer may both ask for a renewal: one runs at a time (one that
        finished scheduled the next timer, and a later notice about its token is stale)."""
        if self._renewing is not None and not self._renewing.done():
            return
        self._renewing = self._spawn(self._renew())

    async def _renew(self) -> None:
        """Before `exp`: elevate with a fresh token; the gateway renews in place."""
        assert self._token_provider is not None
        self._token = await self._token_provider()
        with contextlib.suppress(errors.ArchitusError):
            await self.elevate()

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task
