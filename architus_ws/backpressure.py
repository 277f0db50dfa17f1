"""Slow consumers: a socket whose outbound queue outgrows its limit is cut off.

python-engineio gives every socket an unbounded queue drained by a writer task; a client that
stops reading (or a long-polling client that stops polling) would grow it for as long as its
guild publishes. A sweep, not a check per message: every `interval` it looks at each queue's
length, and weighs the bytes only of queues already long. A socket over the limit is closed
at once (its session demoted, its rooms left, so nothing more is queued for it), its queue is
emptied, and its writer released. The client can reconnect and resume: its pushes are in the
bus's history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from architus_ws.sweeper import Sweeper

logger = logging.getLogger(__name__)

# Queues shorter than this are not weighed: they cannot be over any sensible byte limit.
_WEIGH_FROM = 64


def queued_bytes(queue: asyncio.Queue[Any]) -> int:
    total = 0
    for pkt in list(queue._queue):  # type: ignore[attr-defined]
        data = getattr(pkt, "data", None)
        total += len(data) if isinstance(data, str | bytes) else 64
    return total


class SlowConsumers:
    def __init__(
        self,
        engine: Any,
        limit_bytes: int,
        on_cut: Callable[[], None],
        interval: float = 0.25,
    ) -> None:
        self._engine = engine  # python-engineio's AsyncServer
        self._limit_bytes = limit_bytes
        self._on_cut = on_cut
        self.sweeper = Sweeper("slow-consumers", interval, self.sweep)

    async def sweep(self) -> int:
        """Cut every socket over the limit; return how many were cut."""
        cut = 0
        for eio_sid, eio_socket in list(self._engine.sockets.items()):
            queue = eio_socket.queue
            if queue.qsize() < _WEIGH_FROM or eio_socket.closed:
                continue
            size = queued_bytes(queue)
            if size > self._limit_bytes:
                logger.warning(
                    "cutting off slow consumer %s: %d packets, %d bytes queued",
                    eio_sid,
                    queue.qsize(),
                    size,
                )
                await self._cut(eio_socket)
                cut += 1
        return cut

    async def _cut(self, eio_socket: Any) -> None:
        # abort=True: nothing more is written to a client that does not read. Closing runs
        # the Socket.IO disconnect handler, which takes the socket out of every room.
        await eio_socket.close(wait=False, abort=True, reason="slow_consumer")
        queue = eio_socket.queue
        while not queue.empty():
            queue.get_nowait()
            queue.task_done()
        queue.put_nowait(None)  # the writer task exits when it next looks
        self._on_cut()
