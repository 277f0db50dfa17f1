"""python-socketio's AsyncServer with what stock gets wrong for a public gateway.

- A client's event named `connect` or `disconnect` would run the application's lifecycle
  handlers; here such events, and event names that are not strings, are answered like any
  unknown event.
- A long-polling client's pending GET would be held until the ping timeout after it closed.
- Engine.IO polls are batched within what python-engineio's client accepts.

These override private methods: python-socketio is pinned to 5.x and the tests cover each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from engineio import exceptions as engineio_exceptions
from engineio.async_socket import AsyncSocket
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

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        # python-engineio builds its sockets itself; give each one our poll (see below).
        engine_socket = self.eio.sockets.get(eio_sid)
        if engine_socket is not None and type(engine_socket) is AsyncSocket:
            engine_socket.__class__ = BatchedPollSocket
        return await super()._handle_eio_connect(eio_sid, environ)


# python-engineio's clients refuse a polling payload of more than 16 packets.
MAX_PACKETS_PER_POLL = 16


class BatchedPollSocket(AsyncSocket):  # type: ignore[misc]
    """python-engineio's socket with two changes to `poll` (used by the long-polling GET and
    the websocket writer alike): a batch holds at most 16 packets, because a push burst
    queued at once would otherwise make a payload python-engineio's own client rejects; and
    a packet already queued is taken without `asyncio.wait_for`, which costs a timer and a
    task per call on the hot path."""

    async def poll(self) -> list[Any]:
        try:
            first = self.queue.get_nowait()
        except asyncio.QueueEmpty:
            try:
                first = await asyncio.wait_for(
                    self.queue.get(), self.server.ping_interval + self.server.ping_timeout
                )
            except (TimeoutError, asyncio.CancelledError):
                raise engineio_exceptions.QueueEmpty() from None
        self.queue.task_done()
        if first is None:
            return []
        packets = [first]
        while len(packets) < MAX_PACKETS_PER_POLL:
            try:
                queued = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self.queue.task_done()
            if queued is None:
                self.queue.put_nowait(None)  # the close marker stays for the next poll
                break
            packets.append(queued)
        return packets
