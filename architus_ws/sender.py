"""How a push reaches the sockets of a room. The fan-out calls only this, so the broadcast
path can be replaced (a direct websocket writer) without touching handlers or feeds."""

from __future__ import annotations

from typing import Any, Protocol

import socketio


class RoomSender(Protocol):
    async def send(self, room: str, event: str, message: dict[str, Any]) -> int:
        """Send one event to every socket in `room`; return how many sockets it went to."""


class SocketIORoomSender:
    """Stock python-socketio: the packet is encoded once per call, queued per socket."""

    def __init__(self, server: socketio.AsyncServer) -> None:
        self._server = server

    async def send(self, room: str, event: str, message: dict[str, Any]) -> int:
        members = self._server.manager.rooms.get("/", {}).get(room)
        if not members:
            return 0
        await self._server.emit(event, message, to=room)
        return len(members)
