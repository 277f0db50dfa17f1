"""The permission rules of CONTRACT section 3, as pure functions of (claims, guild).

Every handler and the fan-out's room choice ask these; nothing else reads permission bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from architus_sdk.wire import Permission
from architus_ws.auth.tokens import Claims
from bot_bridge.bus import BusEvent, Stream


class EventClass(Enum):
    """Who may receive a bus event is decided by its class alone: the fan-out's rooms, a
    replay's filter and a spectator's room set all derive from `event_class` and
    `Access.classes`, so they cannot disagree."""

    POOL = "pool"  # a pool change other than a setting: every spectator
    SETTING = "setting"  # a `setting` pool change: VIEW_SETTINGS
    PUBLIC_LOG = "public_log"  # VIEW_PUBLIC_LOGS and include_logs
    PRIVATE_LOG = "private_log"  # VIEW_PRIVATE_LOGS and include_logs


def event_class(event: BusEvent) -> EventClass:
    if event.stream is Stream.POOL:
        return EventClass.SETTING if event.entity_type == "setting" else EventClass.POOL
    return EventClass.PRIVATE_LOG if event.private else EventClass.PUBLIC_LOG


class LogAccess(Enum):
    """What of a guild's log stream a spectator receives."""

    NONE = "none"
    PUBLIC = "public"
    PRIVATE = "private"  # public and private entries


def has(claims: Claims, guild_id: str, permission: Permission) -> bool:
    perms = claims.permissions(guild_id)
    if perms is None:
        return False
    return bool(perms & Permission.ADMINISTRATOR) or (perms & permission) == permission


def can_spectate(claims: Claims, guild_id: str) -> bool:
    return guild_id in claims.guilds


def can_read_pool(claims: Claims, guild_id: str) -> bool:
    return guild_id in claims.guilds


def can_view_settings(claims: Claims, guild_id: str) -> bool:
    return has(claims, guild_id, Permission.VIEW_SETTINGS)


def can_include_logs(claims: Claims, guild_id: str) -> bool:
    return has(claims, guild_id, Permission.VIEW_PUBLIC_LOGS)


@dataclass(frozen=True)
class Access:
    """What of a spectated guild's two streams a socket receives."""

    logs: LogAccess
    settings: bool  # `setting` changes in the pool stream (VIEW_SETTINGS)

    @property
    def classes(self) -> tuple[EventClass, ...]:
        """The classes of event received, in a fixed order."""
        received = [EventClass.POOL]
        if self.settings:
            received.append(EventClass.SETTING)
        if self.logs is not LogAccess.NONE:
            received.append(EventClass.PUBLIC_LOG)
        if self.logs is LogAccess.PRIVATE:
            received.append(EventClass.PRIVATE_LOG)
        return tuple(received)

    def receives(self, event: BusEvent) -> bool:
        return event_class(event) in self.classes


def access(claims: Claims, guild_id: str, include_logs: bool) -> Access:
    return Access(log_access(claims, guild_id, include_logs), can_view_settings(claims, guild_id))


def log_access(claims: Claims, guild_id: str, include_logs: bool) -> LogAccess:
    if not include_logs or not can_include_logs(claims, guild_id):
        return LogAccess.NONE
    if has(claims, guild_id, Permission.VIEW_PRIVATE_LOGS):
        return LogAccess.PRIVATE
    return LogAccess.PUBLIC
