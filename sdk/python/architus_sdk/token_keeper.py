"""The token a client elevates with, and when to ask its `token_provider` for a fresh one:
before `exp` by the client's own timer, on the gateway's `token_expiring` (one renewal at a
time), and before a connect whose token ran out or was refused.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from architus_sdk import errors
from architus_sdk.slices import connection
from architus_sdk.store import Dispatch
from architus_sdk.wire import ElevationData, TokenExpiring

logger = logging.getLogger(__name__)

TokenProvider = Callable[[], Awaitable[str]]
RENEW_BEFORE = 30.0  # seconds before `exp` a token_provider's token is renewed
# a `token_expiring` this soon after the elevation was pushed at once: see `noticed`
TOLD_AT_ONCE = 0.5


class TokenKeeper:
    def __init__(
        self,
        token: str | None,
        provider: TokenProvider | None,
        *,
        dispatch: Dispatch,
        elevate: Callable[[], Awaitable[Any]],
        spawn: Callable[[Awaitable[Any]], asyncio.Future[Any]],
    ) -> None:
        self.token = token
        self.provider = provider
        self._dispatch = dispatch
        self._elevate = elevate
        self._spawn = spawn
        self._timer: asyncio.TimerHandle | None = None
        self._renewing: asyncio.Future[Any] | None = None  # the renewal in flight
        self._elevated_at = 0.0  # monotonic time of the last elevation's ack
        # the `exp` the gateway gave for the token held, once elevated with it
        self._expires_at: datetime | None = None
        self._refused = False  # the gateway refused the token held (401)

    def replace(self, token: str) -> None:
        if token != self.token:
            self.token, self._expires_at, self._refused = token, None, False

    async def fresh(self) -> str:
        """A new token from the provider, held from now on (the provider's errors propagate)."""
        assert self.provider is not None
        self.replace(await self.provider())
        assert self.token is not None
        return self.token

    def refused(self) -> None:
        """The gateway refused a connect with this token as unauthenticated (expired)."""
        self._refused = True

    @property
    def stale(self) -> bool:
        """The token held cannot be taken any more: refused, or past the `exp` it was given."""
        if self._refused:
            return True
        return self._expires_at is not None and self._expires_at.timestamp() <= time.time()

    async def auth(self) -> dict[str, str]:
        """The connect `auth`, read at every attempt, python-socketio's own reconnects included:
        a token that ran out while away (or was refused) is replaced first."""
        if self.provider is not None and (self.token is None or self.stale):
            try:
                await self.fresh()
            except Exception as error:  # any provider failure: the next attempt asks again
                logger.warning("token_provider failed before a connect: %s", error)
                self._dispatch(connection.failed(f"token_provider: {error!r}"))
        return {"token": self.token} if self.token else {}

    # ---- renewal ---------------------------------------------------------------------

    def elevated(self, data: ElevationData) -> None:
        """After each elevation with the token held: renew RENEW_BEFORE seconds before `exp`."""
        self._elevated_at = time.monotonic()
        self._expires_at, self._refused = data.expires_at, False
        if self.provider is None:
            return
        self.cancel()
        # A token with less than RENEW_BEFORE left is renewed half way, not at once: at once,
        # a provider whose tokens are that short would be asked again and again.
        left = data.expires_at.timestamp() - time.time()
        delay = left - RENEW_BEFORE if left > RENEW_BEFORE else max(0.0, left / 2)
        self._timer = asyncio.get_running_loop().call_later(delay, self.start)

    def noticed(self, notice: TokenExpiring, in_place: datetime | None) -> None:
        """The gateway's `token_expiring`; `in_place` the `exp` of the session's token."""
        if self.provider is None or notice.expires_at != in_place:
            return  # nothing to renew with, or about a token already replaced
        if time.monotonic() - self._elevated_at < TOLD_AT_ONCE:
            # Pushed right after the elevation: the token was inside the notice when it was
            # given, and a fresh one from the same provider would be too; renewing on each
            # such notice would renew without end. The timer renews it half way instead.
            return
        self.start()

    def start(self) -> None:
        """The notice and the timer may both ask for a renewal: one runs at a time (one that
        finished scheduled the next timer, and a later notice about its token is stale)."""
        if self._renewing is not None and not self._renewing.done():
            return
        self._renewing = self._spawn(self._renew())

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _renew(self) -> None:
        """Before `exp`: elevate with a fresh token; the gateway renews in place. Not connected,
        the reconnect carries the new token."""
        try:
            await self.fresh()
        except Exception as error:  # the provider's own failure, whatever it is
            # the gateway's notice and `elevation_expired` still come: the store says why
            logger.warning("token renewal failed: %s", error)
            self._dispatch(connection.failed(f"renewal: {error!r}"))
            return
        try:
            await self._elevate()
        except errors.ArchitusError as error:
            self._dispatch(connection.failed(f"renewal: {error}"))
