"""A sweep run every few seconds for as long as the gateway serves (slow consumers, idle
sockets): one place for the task, its cancellation, and "a failed sweep is logged, the next
one still runs"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, name: str, interval: float, sweep: Callable[[], Awaitable[int]]) -> None:
        self._name = name
        self._interval = interval
        self._sweep = sweep
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._sweep()
            except Exception:
                logger.exception("%s sweep failed", self._name)
