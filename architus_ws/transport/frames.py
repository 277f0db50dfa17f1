"""Server websocket frames, built with websockets' own `Frame` (never by hand).

A server's frames are unmasked and, with no extension negotiated, the same bytes for every
recipient: a push to a room is framed once and written to each transport as is.
"""

from __future__ import annotations

from websockets.frames import Frame, Opcode

from architus_ws.transport.packets import Encoded


def text_or_binary_frame(packet: Encoded) -> bytes:
    if isinstance(packet, str):
        return Frame(Opcode.TEXT, packet.encode()).serialize(mask=False)
    return Frame(Opcode.BINARY, packet).serialize(mask=False)
