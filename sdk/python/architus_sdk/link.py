"""The link to the gateway: python-socketio's AsyncClient to one node at a time, what a refused
connect means, and moving to the next node. The client above it says what a connect means
(elevate, resume) and what the pushes do.

python-socketio reconnects by itself, with backoff, when a connection drops; the connect `auth`
is the token keeper's, read at every attempt, so a token that ran out or was refused meanwhile
is replaced before it is offered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import socketio

from architus_sdk import errors
from architus_sdk.slices import connection
from architus_sdk.store import Dispatch
from architus_sdk.token_keeper import TokenKeeper
from architus_sdk.wire.codec import OrjsonCodec

logger = logging.getLogger(__name__)

# fresh tokens a `connect()` refused as unauthenticated tries before it gives up
FRESH_TOKENS_ON_CONNECT = 2


class Link:
    def __init__(
        self,
        urls: Sequence[str],
        tokens: TokenKeeper,
        dispatch: Dispatch,
        *,
        timeout: float,
        transports: Sequence[str],
        reconnect_delay: tuple[float, float],
    ) -> None:
        self._urls = list(urls)
        self._node = 0  # index in `_urls` of the node in use
        self._tokens = tokens
        self._dispatch = dispatch
        self._timeout = timeout
        self._transports = list(transports)
        self._reconnect_delay = reconnect_delay
        self._refusal: Any = None  # the last connect_error's payload
        self.sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=reconnect_delay[0],
            reconnection_delay_max=reconnect_delay[1],
            json=OrjsonCodec,
        )
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("connect_error", self._on_connect_error)

    @property
    def url(self) -> str:
        """The gateway node in use (or being connected to)."""
        return self._urls[self._node]

    async def connect(self) -> None:
        """Connect to the node in use. With a `token_provider`, a connect refused for an
        expired token is tried again with a fresh one (FRESH_TOKENS_ON_CONNECT times)."""
        self._dispatch(connection.changed(("connecting", None)))
        if self._tokens.provider is not None and self._tokens.token is None:
            await self._tokens.fresh()  # a provider failing before the first connect: raised
        for fresh_tokens in range(FRESH_TOKENS_ON_CONNECT + 1):
            try:
                await self._connect_once()
                return
            except errors.Unauthenticated:
                if self._tokens.provider is None or fresh_tokens == FRESH_TOKENS_ON_CONNECT:
                    raise
                # again: the connect `auth` asks the provider, the token held was refused

    async def _connect_once(self) -> None:
        self._refusal = None
        try:
            await self.sio.connect(
                self.url,
                auth=self._tokens.auth,
                transports=self._transports,
                wait_timeout=self._timeout,
            )
        except socketio.exceptions.ConnectionError as error:
            await self._release_transport()
            if isinstance(self._refusal, dict) and "reason" in self._refusal:
                raise errors.from_ack(self._refusal) from error  # refused: 401, 503, ...
            raise errors.NotConnected(f"cannot connect to {self.url}: {error}") from error

    async def _release_transport(self) -> None:
        """A connect that failed leaves Engine.IO's own HTTP session open: close it."""
        engine = self.sio.eio
        http = getattr(engine, "http", None)
        if http is not None and not getattr(engine, "external_http", False) and not http.closed:
            await http.close()

    async def disconnect(self) -> None:
        await self.sio.disconnect()

    async def move_on(self) -> None:
        """Leave this node for the next one (with one URL, a load balancer: the same URL)."""
        await self.sio.disconnect()
        delay, longest = self._reconnect_delay
        while True:
            self._node = (self._node + 1) % len(self._urls)
            try:
                await self.connect()
                return
            except errors.ArchitusError as error:
                # a node that drains too, or is down: the next, with python-socketio's backoff
                logger.info("reconnect to %s failed: %s", self.url, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)

    async def _on_disconnect(self, reason: Any = None) -> None:
        self._dispatch(connection.changed(("reconnecting", None)))

    async def _on_connect_error(self, data: Any = None) -> None:
        self._refusal = data
        if isinstance(data, dict) and data.get("reason") == errors.Unauthenticated.reason:
            # python-socketio's next attempt (or connect()'s) asks the provider first
            self._tokens.refused()
        self._dispatch(connection.failed(str(data)))
