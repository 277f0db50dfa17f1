"""A second listener, for Prometheus only: `GET /metrics` with the per-guild series.

It runs in the gateway's own event loop (the metrics read the gateway's state, which is not
thread-safe) and is a few lines of HTTP/1.1 rather than a second uvicorn server, which would
take over the process's signal handlers. One request per connection, then close: a scraper
needs nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
# A scrape's request line and headers; anything larger is not a scraper.
HEAD_LIMIT = 16 * 1024
READ_TIMEOUT = 10.0


class MetricsListener:
    def __init__(self, host: str, port: int, render: Callable[[], Awaitable[bytes]]) -> None:
        self.host = host
        self.port = port
        self._render = render
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        # Failing to bind fails the startup: a gateway without the metrics it was told to
        # serve would go unnoticed until someone looked at a dashboard.
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, limit=HEAD_LIMIT
        )
        logger.info("metrics on http://%s:%d/metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            method, target = _request_line(head)
            if target.split(b"?", 1)[0] != b"/metrics":
                await _respond(writer, b"404 Not Found", b"not found\n", method)
            elif method not in (b"GET", b"HEAD"):
                await _respond(writer, b"405 Method Not Allowed", b"GET only\n", method)
            else:
                await _respond(writer, b"200 OK", await self._render(), method, CONTENT_TYPE)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # not a scraper: nothing to answer
        except ConnectionError:
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def _request_line(head: bytes) -> tuple[bytes, bytes]:
    """`GET /metrics HTTP/1.1` -> (b"GET", b"/metrics"); ValueError if it is not one."""
    method, target, version = head.split(b"\r\n", 1)[0].split(b" ")
    if not version.startswith(b"HTTP/1."):
        raise ValueError(version)
    return method, target


async def _respond(
    writer: asyncio.StreamWriter,
    status: bytes,
    body: bytes,
    method: bytes,
    content_type: bytes = b"text/plain; charset=utf-8",
) -> None:
    writer.write(
        b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
        % (status, content_type, len(body))
    )
    if method != b"HEAD":
        writer.write(body)
    await writer.drain()
