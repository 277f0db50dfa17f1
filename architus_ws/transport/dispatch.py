"""Each session's events to the upper layer, one at a time and in order.

A callback that returns an awaitable holds the session's later events in a small inbox
until it is done, so one socket's messages are handled one after the other; a session with
nothing in flight keeps no inbox and no task.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, cast

from architus_ws.transport.errors import Reason

if TYPE_CHECKING:
    from architus_ws.transport.engine import Engine
    from architus_ws.transport.session import Session, Sink

logger = logging.getLogger(__name__)


class Ordered:
    __slots__ = ("_inbox",)

    if TYPE_CHECKING:
        engine: Engine
        sid: str
        _ws: Sink | None

        def close(self, reason: str = Reason.SERVER_DISCONNECT) -> None: ...

    _inbox: list[tuple[str, Any]] | None

    def dispatch(self, event: str, argument: Any = None) -> None:
        inbox = self._inbox
        if inbox is not None:
            inbox.append((event, argument))
            if len(inbox) == self.engine.options.inbox_limit and self._ws is not None:
                self._ws.pause_reading()  # a flood waits in the kernel, not in this process
            return
        pending = self._call(event, argument)
        if pending is not None:
            self._inbox = []
            self.engine.spawn(self._drain(event, pending))

    def _call(self, event: str, argument: Any) -> Awaitable[None] | None:
        try:
            return self.engine.callback(event, cast("Session", self), argument)
        except Exception as error:
            self._handler_failed(event, error)
            return None

    def _handler_failed(self, event: str, error: BaseException) -> None:
        if event == "close":
            # no sid in logs: a long-polling sid is a bearer credential
            # (architus_ws/observability/logs.py)
            logger.exception("a session's close handler failed", exc_info=error)
            return
        # the upper layer could not take what the client sent (a packet that does not
        # decode, for one): that client is closed, as the protocol suites expect
        logger.info("closing a session, the %s handler refused it: %.200s", event, error)
        self.engine.violation("refused by the upper layer")
        self.close(Reason.TRANSPORT_ERROR)

    async def _drain(self, event: str, pending: Awaitable[None]) -> None:
        try:
            try:
                await pending
            except Exception as error:
                self._handler_failed(event, error)
            inbox = self._inbox
            while inbox:
                event, argument = inbox.pop(0)
                try:
                    result = self.engine.callback(event, cast("Session", self), argument)
                    if result is not None:
                        await result
                except Exception as error:
                    self._handler_failed(event, error)
        finally:
            self._inbox = None
            if self._ws is not None:
                self._ws.resume_reading()
