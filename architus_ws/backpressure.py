"""Slow consumers: a socket whose outbound queue outgrows its limit is cut off.

python-engineio gives every socket an unbounded queue drained by a writer task; a client that
stops reading (or a long-polling client that stops polling) would grow it for as long as its
guild publishes, or as long as it asks for large answers it does not read. Every socket counts
the bytes it has queued (`GatewaySocket.enqueue`) and stops queueing past its limit, marking
itself `over_limit` and calling `cut_soon`, which closes it in a task of its own (the sender
that found it over the limit never waits): its session demoted, its rooms left, its queue
emptied, its writer released. The client can reconnect and resume: its pushes are in the
bus's history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from architus_ws.server import GatewaySocket

logger = logging.getLogger(__name__)


class SlowConsumers:
    def __init__(self, on_cut: Callable[[], None]) -> None:
        self._on_cut = on_cut
        self._cutting: set[asyncio.Task[None]] = set()

    def cut_soon(self, eio_socket: GatewaySocket) -> None:
        """Called once by a socket that went over its limit."""
        # no sid in the log: it is a bearer credential of long-polling sessions
        logger.warning(
            "cutting off a slow consumer: %d packets, %d bytes queued",
            eio_socket.queue.qsize(),
            eio_socket.queued_bytes,
        )
        task = asyncio.create_task(self._cut(eio_socket))
        self._cutting.add(task)
        task.add_done_callback(self._cutting.discard)

    async def stop(self) -> None:
        if self._cutting:
            await asyncio.wait(list(self._cutting))

    async def _cut(self, eio_socket: GatewaySocket) -> None:
        if eio_socket.closed:
            return
        # abort=True: nothing more is written to a client that does not read. Closing runs
        # the Socket.IO disconnect handler, which takes the socket out of every room.
        await eio_socket.close(abort=True, reason="slow_consumer")
        queue = eio_socket.queue
        while not queue.empty():
            queue.get_nowait()
            queue.task_done()
        eio_socket.queued_bytes = 0
        queue.put_nowait(None)  # the writer task exits when it next looks
        self._on_cut()
