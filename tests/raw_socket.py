"""A Socket.IO client written by hand over a raw websocket, so tests can send what no real
client library would: any frame, text or binary, in any order."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


async def recv_text(connection: ClientConnection) -> str:
    """The next frame, which must be text (the gateway sends JSON only)."""
    frame = await connection.recv()
    assert isinstance(frame, str), frame
    return frame


class RawSocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, http_url: str, auth: dict[str, Any] | None = None) -> RawSocket:
        """Engine.IO open, then the Socket.IO connect of the default namespace."""
        url = http_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        connection = await connect(url, max_size=None, compression=None, open_timeout=5)
        socket = cls(connection)
        opened = await socket.next_packet()
        assert opened is not None
        assert opened.startswith("0{"), opened
        await socket.send("40" + (json.dumps(auth) if auth else ""))
        connected = await socket.next_packet()
        assert connected is not None
        assert connected.startswith("40{"), connected
        return socket

    async def send(self, frame: str | bytes) -> bool:
        """False once the server has closed the connection."""
        try:
            await self.connection.send(frame)
        except ConnectionClosed:
            return False
        return True

    async def next_packet(self, timeout: float = 5) -> str | None:
        """The next text frame that is not a ping (pings are answered); None once closed."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    frame = await self.connection.recv()
                except ConnectionClosed:
                    return None
                if frame == "2":
                    await self.send("3")
                    continue
                return frame if isinstance(frame, str) else frame.decode(errors="replace")

    async def ack(self, ack_id: int, timeout: float = 5) -> Any:
        """The answer to request `ack_id`; None if the connection closed first."""
        prefix = f"43{ack_id}"
        while True:
            packet = await self.next_packet(timeout)
            if packet is None:
                return None
            if packet.startswith(prefix + "["):
                return json.loads(packet[len(prefix) :])[0]

    async def request(self, ack_id: int, event: str, payload: Any, timeout: float = 5) -> Any:
        frame = f"42{ack_id}" + json.dumps([event, payload])
        if not await self.send(frame):
            return None
        return await self.ack(ack_id, timeout)

    @property
    def closed(self) -> bool:
        return self.connection.close_code is not None

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.connection.close()
