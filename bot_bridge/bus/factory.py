"""The one place a URL's scheme picks a backend, for the bus, its mirror and its presence.

Both come from the same backend module (its publish writes the mirror), which is imported only
once a URL asks for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from urllib.parse import urlparse

from bot_bridge.bus.history import HistoryLimits

if TYPE_CHECKING:
    from bot_bridge.bus.base import BusBackend, Mirror
    from bot_bridge.bus.presence import Presence

# `+cluster`: a Redis Cluster, named by any of its nodes
SCHEMES: dict[str, Literal["memory", "redis"]] = {
    "memory": "memory",
    "redis": "redis",
    "rediss": "redis",
    "unix": "redis",
    "redis+cluster": "redis",
    "rediss+cluster": "redis",
}


def _backend(url: str, what: str) -> Literal["memory", "redis"]:
    backend = SCHEMES.get(urlparse(url).scheme)
    if backend is None:
        raise ValueError(f"no {what} for {url!r}: use {', '.join(f'{s}://' for s in SCHEMES)}")
    return backend


def backend_for(url: str, limits: HistoryLimits | None = None) -> BusBackend:
    limits = limits or HistoryLimits()
    if _backend(url, "bus backend") == "memory":
        from bot_bridge.bus.memory import MemoryBackend

        return MemoryBackend(url, limits)
    from bot_bridge.bus.redis import RedisBackend

    return RedisBackend(url, limits)


def mirror_for(url: str) -> Mirror:
    """The mirror that lives beside the bus of this URL."""
    if _backend(url, "mirror") == "memory":
        from bot_bridge.bus.memory import MemoryMirror

        return MemoryMirror(url)
    from bot_bridge.bus.redis import RedisMirror

    return RedisMirror(url)


def presence_for(url: str) -> Presence:
    """The presence (bot status and viewers, `presence.py`) on the bus of this URL."""
    if _backend(url, "presence") == "memory":
        from bot_bridge.bus.presence_memory import MemoryPresence

        return MemoryPresence(url)
    from bot_bridge.bus.presence_redis import RedisPresence

    return RedisPresence(url)
