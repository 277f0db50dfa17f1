"""Room names. Only the server moves sockets between rooms.

A socket starts in `<sid>` (python-socketio puts it there), elevation adds `<sid>_auth`, and a
spectator of guild G is in one room per class of event its access receives
(`permissions.EventClass`): `guild:G` (pool changes), `guild:G:settings`, `guild:G:logs` and
`guild:G:logs:private`. Each event goes to the one room of its class, so each is encoded once
per class, never per socket.
"""

from __future__ import annotations

from architus_ws.auth.permissions import Access, EventClass


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


_CLASS_ROOMS = {
    EventClass.POOL: guild_room,
    EventClass.SETTING: settings_room,
    EventClass.PUBLIC_LOG: logs_room,
    EventClass.PRIVATE_LOG: private_logs_room,
}


def class_room(guild_id: str, event_class: EventClass) -> str:
    """Where the guild's events of this class are sent."""
    return _CLASS_ROOMS[event_class](guild_id)


def spectator_rooms(guild_id: str, access: Access) -> list[str]:
    return [class_room(guild_id, received) for received in access.classes]
