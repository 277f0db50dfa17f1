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

Sending is synchronous on purpose: a room is read and written to in one step of the event
loop, so the recipients are exactly the room's members at the moment of the write (a renewal
that took a socket out of the room before the send is seen; none can happen during it), and
no one socket's state can make the fan-out of its guild wait.
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
    def to_room(self, room: str, event: str, message: Message, now: bool = False) -> int:
        """Send one event to every socket in `room`; return how many sockets it went to.
        `now`: write it to each idle websocket at once (no burst is behind it)."""

    def to_socket(self, sid: str, event: str, message: Message) -> bool:
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

    def to_room(self, room: str, event: str, message: Message, now: bool = False) -> int:
        members = self._server.manager.rooms.get(NAMESPACE, {}).get(room)
        if not members:
            return 0
        # the room's Engine.IO sids (its values); nothing below can change the room
        recipients = list(members.values())
        engine_sockets = self._server.eio.sockets
        pushed = self._encode(event, message)
        # the Engine.IO frame text, once for the whole room (written as is by `send_now`)
        frame = pushed.encode() if now else ""
        sent = 0
        for eio_sid in recipients:
            engine_socket = engine_sockets.get(eio_sid)
            if isinstance(engine_socket, GatewaySocket) and not engine_socket.closed:
                if now:
                    engine_socket.send_now(pushed, frame)
                else:
                    engine_socket.enqueue(pushed)
                sent += 1
        return sent

    def to_socket(self, sid: str, event: str, message: Message) -> bool:
        eio_sid = self._server.manager.eio_sid_from_sid(sid, NAMESPACE)
        engine_socket = self._server.eio.sockets.get(eio_sid) if eio_sid else None
        if not isinstance(engine_socket, GatewaySocket) or engine_socket.closed:
            return False
        engine_socket.enqueue(self._encode(event, message))
        return True
