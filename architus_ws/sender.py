"""How pushes reach sockets. The fan-out and the replay call only this, so the write path can
change (a direct websocket writer) without touching handlers or feeds.

`DirectSender` encodes each push once and puts the same Engine.IO packet straight into each
recipient's queue: no task per recipient, and no suspension between two recipients (the
queues are unbounded; `backpressure` bounds them). Stock `AsyncServer.emit` creates one task
per recipient and awaits them all, which costs a loop round trip per push: under load a
replay of a few hundred pushes could then fall behind a guild's live rate for good.
Order per socket is the order of calls, since every write goes to the same FIFO queue.
With `now`, an idle websocket gets the frame written at once instead, without the writer
task's wake (GatewaySocket.send_now keeps the order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import socketio
from engineio import packet as eio_packet
from socketio import packet

from architus_ws.server import GatewaySocket

NAMESPACE = "/"


class Sender(Protocol):
    async def to_room(self, room: str, event: str, message: Message, now: bool = False) -> int:
        """Send one event to every socket in `room`; return how many sockets it went to.
        `now`: write it to each idle websocket at once (no burst is behind it)."""

    async def to_socket(self, sid: str, event: str, message: Message) -> bool:
        """Send one event to one socket; False if it is gone."""


@dataclass(frozen=True)
class RawJson:
    """A push whose JSON is already serialized (a bus payload): it is framed, never parsed."""

    text: str


Message = dict[str, Any] | RawJson


class DirectSender:
    def __init__(self, server: socketio.AsyncServer) -> None:
        self._server = server

    def _encode(self, event: str, message: Message) -> Any:
        if isinstance(message, RawJson):
            # A Socket.IO EVENT on the default namespace is `2[name,payload]`.
            encoded = f'{packet.EVENT}["{event}",{message.text}]'
        else:
            encoded = self._server.packet_class(
                packet.EVENT, namespace=NAMESPACE, data=[event, message]
            ).encode()
        return eio_packet.Packet(eio_packet.MESSAGE, data=encoded)

    async def to_room(self, room: str, event: str, message: Message, now: bool = False) -> int:
        members = self._server.manager.rooms.get(NAMESPACE, {}).get(room)
        if not members:
            return 0
        # snapshot the room before the first write: the loop is never left in between anyway
        recipients = list(members._fwdm.values())
        engine_sockets = self._server.eio.sockets
        pushed = self._encode(event, message)
        # the Engine.IO frame text, once for the whole room (written as is by `send_now`)
        frame = pushed.encode() if now else ""
        sent = 0
        for eio_sid in recipients:
            engine_socket = engine_sockets.get(eio_sid)
            if engine_socket is not None and not engine_socket.closed:
                if now and isinstance(engine_socket, GatewaySocket):
                    await engine_socket.send_now(pushed, frame)
                else:
                    await engine_socket.send(pushed)
                sent += 1
        return sent

    async def to_socket(self, sid: str, event: str, message: Message) -> bool:
        eio_sid = self._server.manager.eio_sid_from_sid(sid, NAMESPACE)
        engine_socket = self._server.eio.sockets.get(eio_sid) if eio_sid else None
        if engine_socket is None or engine_socket.closed:
            return False
        await engine_socket.send(self._encode(event, message))
        return True
