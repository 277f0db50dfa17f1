"""python-socketio's AsyncServer, closed to clients that name reserved events.

Stock python-socketio routes a client's event named `connect` or `disconnect` to the
application's lifecycle handlers; here such events, and event names that are not strings,
are answered like any unknown event instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from socketio import packet


class GatewayServer(socketio.AsyncServer):  # type: ignore[misc]
    def __init__(
        self, refuse: Callable[[Any, str], Awaitable[dict[str, Any]]], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._refuse = refuse

    async def _handle_event_internal(
        self, server: Any, sid: str, eio_sid: str, data: list[Any], namespace: str, id: Any
    ) -> None:
        name = data[0] if data else None
        if isinstance(name, str) and name not in self.reserved_events:
            await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)
            return
        answer = await self._refuse(name, sid)
        if id is not None:
            await server._send_packet(
                eio_sid, self.packet_class(packet.ACK, namespace=namespace, id=id, data=[answer])
            )

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        # python-engineio leaves a long-polling client's pending GET waiting for the ping
        # timeout (45 s) after the client closed; release it now so neither side holds it.
        eio_socket = self.eio.sockets.get(eio_sid)
        if eio_socket is not None and not eio_socket.upgraded:
            eio_socket.queue.put_nowait(None)
