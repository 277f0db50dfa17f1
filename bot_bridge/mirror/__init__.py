"""The bot's mirror of guild entities: written with the bus's publish in one atomic step,
read by the gateway to answer `pool` requests (see `bot_bridge.mirror.base`)."""

from bot_bridge.mirror.base import JsonEntities, Mirror, MirrorWrite, SearchHit, mirror_for

__all__ = ["JsonEntities", "Mirror", "MirrorWrite", "SearchHit", "mirror_for"]
