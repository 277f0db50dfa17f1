"""The bus between the bot side and gateway nodes, and the mirror of guild entities that its
publish writes (see `bot_bridge.bus.base` for the guarantees of both).

One module per backend: `memory` (one process) and `redis` (one Redis server or a Redis
Cluster, with `redis_*` beside it); `factory` picks one by the URL's scheme.
"""

from bot_bridge.bus.base import (
    RESYNC,
    BusBackend,
    BusEvent,
    BusUnavailable,
    Draft,
    JsonEntities,
    Mirror,
    MirrorWrite,
    Position,
    Resync,
    SearchHit,
    Stream,
)
from bot_bridge.bus.factory import backend_for, mirror_for, presence_for
from bot_bridge.bus.presence import Announcer, GuildPresence, Presence, PresenceTimings
from bot_bridge.bus.routing import Bus, Subscription

__all__ = [
    "RESYNC",
    "Announcer",
    "Bus",
    "BusBackend",
    "BusEvent",
    "BusUnavailable",
    "Draft",
    "GuildPresence",
    "JsonEntities",
    "Mirror",
    "MirrorWrite",
    "Position",
    "Presence",
    "PresenceTimings",
    "Resync",
    "SearchHit",
    "Stream",
    "Subscription",
    "backend_for",
    "mirror_for",
    "presence_for",
]
