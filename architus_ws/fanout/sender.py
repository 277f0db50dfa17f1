"""How pushes reach sockets. The fan-out and the replay call only this, so the write path can
change without touching handlers or feeds.

`DirectSender` encodes each push once and hands the same Engine.IO frame to every recipient's
session through the engine's broadcast (`Engine.broadcast`: the packet is framed once for every
websocket in the room): no task per recipient, and no suspension between two recipients. A
websocket's frame is written straight to its transport; a long-polling session queues it for
its next poll. Stock `AsyncServer.emit` creates one task per recipient and awaits them all,
which costs a loop round trip per push: under load a replay of a few hundred pushes could then
fall behind a guild's live rate for good. Order per socket is the order of calls.

Sending is synchronous on purpose: a room is read and written to in one step of the event
loop, so the recipients are exactly the room's members at the moment of the write (a renewal
that took a socket out of the room before the send is seen; none can happen during it), and
no one socket's state can make the fan-out of its guild wait. A client that stops reading is
the transport's to cut (the outbound limit), never the sender's to wait for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from socketio import packet

from architus_sdk.wire import NAMESPACE
from architus_ws.transport import Engine


class Sender(Protocol):
    def to_room(self, room: str, event: str, message: Message) -> int:
        """Send one event to every socket in `room`; return how many sockets it went to."""

    def to_socket(self, sid: str, event: str, message: Message) -> bool:
        """Send one event to one socket; False if it is gone."""


@dataclass(frozen=True)
class RawJson:
    """A push whose JSON is already serialized (a bus payload): it is framed, never parsed."""

    text: str


Message = dict[str, Any] | RawJson


class DirectSender:
    def __init__(self, server: Any, engine: Engine) -> None:
        self._server = server  # python-socketio's AsyncServer: its manager's rooms
        self._engine = engine

    def _encode(self, event: str, message: Message) -> str:
        """The Socket.IO packet, as the Engine.IO message that carries it."""
        if isinstance(message, RawJson):
            # A Socket.IO EVENT on the default namespace is `2[name,payload]`.
            return f'{packet.EVENT}["{event}",{message.text}]'
        encoded: str = self._server.packet_class(
            packet.EVENT, namespace=NAMESPACE, data=[event, message]
        ).encode()
        return encoded

    def to_room(self, room: str, event: str, message: Message) -> int:
        members = self._server.manager.rooms.get(NAMESPACE, {}).get(room)
        if not members:
            return 0
        sessions = self._engine.sessions
        # the room's Engine.IO sids (its values); nothing below can change the room
        recipients = [session for eio_sid in members.values() if (session := sessions.get(eio_sid))]
        if not recipients:
            return 0
        return self._engine.broadcast(recipients, self._encode(event, message))

    def to_socket(self, sid: str, event: str, message: Message) -> bool:
        eio_sid = self._server.manager.eio_sid_from_sid(sid, NAMESPACE)
        if eio_sid is None:
            return False
        return self._engine.send(eio_sid, self._encode(event, message))
