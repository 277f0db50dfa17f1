"""Room names. Only the server moves sockets between rooms.

A socket starts in `<sid>` (python-socketio puts it there), elevation adds `<sid>_auth`, and a
spectator of guild G is in `guild:G` plus, by its access, `guild:G:settings`, `guild:G:logs`
and `guild:G:logs:private`. Pool changes go to `guild:G` except `setting` changes, which go
to `...:settings` (VIEW_SETTINGS); public entries go to `...:logs`, private ones to
`...:logs:private`. A socket with private access is in both log rooms (and one that may see
settings in both pool rooms), so each event is encoded once per class, never per socket.
"""

from __future__ import annotations

from architus_ws.auth.permissions import Access, LogAccess


def auth_room(sid: str) -> str:
    return f"{sid}_auth"


def guild_room(guild_id: str) -> str:
    return f"guild:{guild_id}"


def settings_room(guild_id: str) -> str:
    return f"guild:{guild_id}:settings"


def logs_room(guild_id: str) -> str:
    return f"guild:{guild_id}:logs"


def private_logs_room(guild_id: str) -> str:
    return f"guild:{guild_id}:logs:private"


def spectator_rooms(guild_id: str, access: Access) -> list[str]:
    rooms = [guild_room(guild_id)]
    if access.settings:
        rooms.append(settings_room(guild_id))
    if access.logs is not LogAccess.NONE:
        rooms.append(logs_room(guild_id))
    if access.logs is LogAccess.PRIVATE:
        rooms.append(private_logs_room(guild_id))
    return rooms
