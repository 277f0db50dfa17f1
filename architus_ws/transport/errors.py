"""Why a request is refused, as Engine.IO's reference server answers it."""

from __future__ import annotations

import json
from typing import NamedTuple


class Refusal(NamedTuple):
    status: int
    code: int
    message: str

    def body(self) -> bytes:
        return json.dumps({"code": self.code, "message": self.message}).encode()


UNKNOWN_TRANSPORT = Refusal(400, 0, "Transport unknown")
UNKNOWN_SID = Refusal(400, 1, "Session ID unknown")
BAD_HANDSHAKE_METHOD = Refusal(400, 2, "Bad handshake method")
BAD_REQUEST = Refusal(400, 3, "Bad request")
FORBIDDEN = Refusal(403, 4, "Forbidden")
UNSUPPORTED_PROTOCOL_VERSION = Refusal(400, 5, "Unsupported protocol version")
# not Engine.IO's own: past this server's caps, or a body past max payload
TOO_MANY = Refusal(503, 6, "Too many connections")
TOO_LARGE = Refusal(413, 7, "Payload too large")
# a draining server: refused at the handshake, where socket.io-client retries by itself with its
# backoff (a Socket.IO CONNECT refused by the server makes it give up for good)
SHUTTING_DOWN = Refusal(503, 8, "Shutting down: connect to another server")


class Reason:
    """Why a session ended, with python-engineio's strings (python-socketio passes them on)."""

    SERVER_DISCONNECT = "server disconnect"
    CLIENT_DISCONNECT = "client disconnect"
    PING_TIMEOUT = "ping timeout"
    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"
