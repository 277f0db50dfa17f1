"""Drain: a node that is told to stop hands its sockets to the others before it exits.

On the first SIGTERM or SIGINT the node stops being ready (`/readyz` 503), refuses new
Socket.IO connects (503 `unavailable`), pushes `reconnect` to every socket and closes the
sockets at the Engine.IO layer, spread over the drain window, so that the official clients
reconnect by themselves (`transport close`, with their own backoff) and resume on another
node instead of all arriving there at once. Then it hands the signal to the server's own
handler (uvicorn's), which shuts down as it always does: the process exits 0. A second signal
closes what is left at once.

The handler is installed from the application's startup, which uvicorn runs after it put its
own handlers in place (its `capture_signals` wraps the whole of serving): so it sees the
signal first, in every process (`--workers N` included: the supervisor's SIGTERM reaches each
worker), and uvicorn restores its predecessors when it is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Drain:
    """`spread(window, hurry)` closes the node's sockets over `window` seconds and returns
    when they are all gone; `hurry` is set when a second signal asks for it to end now."""

    def __init__(self, spread: Callable[[float, asyncio.Event], Awaitable[None]], window: float):
        self._spread = spread
        self.window = window
        self._task: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()
        self._previous: dict[int, Any] = {}

    @property
    def started(self) -> bool:
        return self._task is not None

    async def install(self) -> None:
        """Take SIGTERM and SIGINT (from the main thread, inside the server's own handling).
        A coroutine, so that Quart runs it on the loop's thread, not in an executor."""
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            previous = signal.getsignal(sig)
            if not callable(previous):
                continue  # nobody would shut the server down after the drain
            self._previous[sig] = previous
            signal.signal(sig, functools.partial(self._on_signal, loop))

    async def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError):  # not the main thread any more
                signal.signal(sig, previous)
        self._previous.clear()

    def _on_signal(
        self, loop: asyncio.AbstractEventLoop, sig: int, frame: FrameType | None
    ) -> None:
        if self._task is None:
            loop.call_soon_threadsafe(self._begin, sig)
        else:
            logger.warning("second signal: closing the remaining sockets now")
            loop.call_soon_threadsafe(self._hurry.set)

    def _begin(self, sig: int) -> None:
        if self._task is not None:
            return
        logger.info("draining: sockets told to reconnect elsewhere within %.1f s", self.window)
        self._task = asyncio.get_running_loop().create_task(self._run(sig))

    async def _run(self, sig: int) -> None:
        try:
            await self._spread(self.window, self._hurry)
        except Exception:
            logger.exception("the drain failed; shutting down")
        finally:
            previous = self._previous.get(sig)
            if previous is not None:
                previous(sig, None)  # the server's own shutdown from here
