"""Room names. Only the server moves sockets between rooms.

A socket starts in `<sid>` (python-socketio puts it there), elevation adds `<sid>_auth`, and a
spectator of guild G is in `guild:G` plus, by its log access, `guild:G:logs` and
`guild:G:logs:private`. Public entries go to `...:logs`, private ones to `...:logs:private`;
a socket with private access is in both rooms, so each entry is encoded once per class.
"""

from __future__ import annotations

from architus_ws.permissions import LogAccess


def auth_room(sid: str) -> str:
    return f"{sid}_auth"


def guild_room(guild_id: str) -> str:
    return f"guild:{guild_id}"


def logs_room(guild_id: str) -> str:
    return f"guild:{guild_id}:logs"


def private_logs_room(guild_id: str) -> str:
    return f"guild:{guild_id}:logs:private"


def spectator_rooms(guild_id: str, access: LogAccess) -> list[str]:
    rooms = [guild_room(guild_id)]
    if access is not LogAccess.NONE:
        rooms.append(logs_room(guild_id))
    if access is LogAccess.PRIVATE:
        rooms.append(private_logs_room(guild_id))
    return rooms
