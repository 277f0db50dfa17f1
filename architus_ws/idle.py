"""Anonymous sockets that ask nothing for a while are closed: an open socket costs memory and
a file descriptor, and an anonymous one that never elevates or interprets has no reason to
stay. Elevated sockets are kept (spectating is listening, not asking)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from architus_ws.session import Session

logger = logging.getLogger(__name__)


class IdleSockets:
    def __init__(
        self,
        sessions: dict[str, Session],
        close: Callable[[str], Awaitable[None]],
        idle_seconds: float,
        on_closed: Callable[[], None],
    ) -> None:
        self._sessions = sessions
        self._close = close
        self._idle_seconds = idle_seconds
        self._on_closed = on_closed
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._idle_seconds > 0:
            self._task = asyncio.create_task(self._sweep_forever(), name="idle-sockets")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def sweep(self) -> int:
        deadline = time.monotonic() - self._idle_seconds
        idle = [
            s.sid for s in self._sessions.values() if s.claims is None and s.last_active < deadline
        ]
        for sid in idle:
            await self._close(sid)
            self._on_closed()
        return len(idle)

    async def _sweep_forever(self) -> None:
        interval = min(5.0, self._idle_seconds / 4)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:
                logger.exception("idle-socket sweep failed")
