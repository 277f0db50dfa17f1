"""python-socketio's client manager with an index of each socket's rooms.

The stock manager finds a leaving socket's rooms by scanning every room of the namespace
(`basic_disconnect`, `get_rooms`). Every socket has rooms of its own (`<sid>`, `<sid>_auth`), so
one leaving socket costs O(sockets), and N sockets leaving together (a drain, a node's clients
all cut at once) cost O(N²): 5,000 took a drain of a 10 s window to 21-29 s, 15,000 kept a core
busy about 2 minutes. Here each socket's rooms are kept beside `rooms`, so a leave costs what
its own rooms cost.

The seam is python-socketio's documented `client_manager=` argument. The overrides are the
public `basic_*` hooks every room change goes through, and `basic_disconnect`'s own
bookkeeping (`callbacks`, `pending_connect`, `pending_disconnect`) is done as python-socketio
5.18 does it: the version is pinned, and `tests/architus_ws/transport/test_socketio_manager.py`
checks this manager against the stock one, operation by operation.
"""

from __future__ import annotations

from typing import Any

import socketio


class IndexedManager(socketio.AsyncManager):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        # namespace -> sid -> the rooms it is in (None, everybody connected, included); a list:
        # a socket is in a handful of rooms, and a list costs half a set
        self.socket_rooms: dict[str, dict[str, list[Any]]] = {}

    def basic_enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid)
        rooms = self.socket_rooms.setdefault(namespace, {}).setdefault(sid, [])
        if room not in rooms:
            rooms.append(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        sockets = self.socket_rooms.get(namespace)
        rooms = sockets.get(sid) if sockets is not None else None
        if sockets is None or rooms is None or room not in rooms:
            return
        rooms.remove(room)
        if not rooms:
            del sockets[sid]
            if not sockets:
                del self.socket_rooms[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        rooms = self.socket_rooms.get(namespace, {}).get(sid, ())
        return [room for room in rooms if room is not None]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        if namespace not in self.rooms:
            return
        for room in list(self.socket_rooms.get(namespace, {}).get(sid, ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            sids = pending.get(namespace)
            if sids is not None and sid in sids:
                sids.remove(sid)
                if not sids:
                    del pending[namespace]
