"""Anonymous sockets that ask nothing for a while are closed: an open socket costs memory and
a file descriptor, and an anonymous one that never elevates or interprets has no reason to
stay. Elevated sockets are kept (spectating is listening, not asking)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from architus_ws.connections.session import Session
from architus_ws.connections.sweeper import Sweeper


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
        self.sweeper = Sweeper("idle-sockets", min(5.0, idle_seconds / 4), self.sweep)

    def start(self) -> None:
        if self._idle_seconds > 0:
            self.sweeper.start()

    async def sweep(self) -> int:
        deadline = time.monotonic() - self._idle_seconds
        idle = [
            s.sid for s in self._sessions.values() if s.claims is None and s.last_active < deadline
        ]
        for sid in idle:
            await self._close(sid)
            self._on_closed()
        return len(idle)
