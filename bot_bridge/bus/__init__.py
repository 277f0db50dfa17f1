"""The bus between the bot side and gateway nodes (see `bot_bridge.bus.base` for guarantees)."""

from bot_bridge.bus.base import (
    BusBackend,
    BusEvent,
    BusUnavailable,
    Draft,
    Position,
    Stream,
)
from bot_bridge.bus.bus import Bus, Subscription, backend_for

__all__ = [
    "Bus",
    "BusBackend",
    "BusEvent",
    "BusUnavailable",
    "Draft",
    "Position",
    "Stream",
    "Subscription",
    "backend_for",
]
