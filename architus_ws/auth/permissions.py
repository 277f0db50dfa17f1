"""The permission rules of CONTRACT section 3, as pure functions of (claims, guild).

Every handler and the fan-out's room choice ask these; nothing else reads permission bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from architus_sdk.wire import Permission
from architus_ws.auth.tokens import Claims
from bot_bridge.bus import BusEvent, Stream


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

    def receives(self, event: BusEvent) -> bool:
        if event.stream is Stream.POOL:
            return self.settings or event.entity_type != "setting"
        if self.logs is LogAccess.NONE:
            return False
        return self.logs is LogAccess.PRIVATE or not event.private


def access(claims: Claims, guild_id: str, include_logs: bool) -> Access:
    return Access(log_access(claims, guild_id, include_logs), can_view_settings(claims, guild_id))


def log_access(claims: Claims, guild_id: str, include_logs: bool) -> LogAccess:
    if not include_logs or not can_include_logs(claims, guild_id):
        return LogAccess.NONE
    if has(claims, guild_id, Permission.VIEW_PRIVATE_LOGS):
        return LogAccess.PRIVATE
    return LogAccess.PUBLIC
