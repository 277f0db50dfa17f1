"""Redis key and channel names. Every name of a guild carries the hash tag `{<guild_id>}`, so
a guild's epoch, seqs, histories, channels and mirror pools live on one Redis Cluster shard."""

from __future__ import annotations

from bot_bridge.bus.base import Stream

PREFIX = "architus"
CONTROL_CHANNEL = f"{PREFIX}:control"


def epoch_key(guild_id: str) -> str:
    return f"{PREFIX}:{{{guild_id}}}:epoch"


def seq_key(guild_id: str, stream: Stream) -> str:
    return f"{PREFIX}:{{{guild_id}}}:{stream}:seq"


def history_key(guild_id: str, stream: Stream) -> str:
    return f"{PREFIX}:{{{guild_id}}}:{stream}:history"


def channel(guild_id: str, stream: Stream) -> str:
    """`architus:{<guild>}:pool` carries log_pool, `architus:{<guild>}:logs` log_other."""
    return f"{PREFIX}:{{{guild_id}}}:{stream}"


def parse_channel(name: str) -> tuple[str, Stream]:
    _, tagged, stream = name.split(":")
    return tagged[1:-1], Stream(stream)


def entities_key(guild_id: str, entity_type: str) -> str:
    """Hash: sort key (zero-padded id, or setting key) -> entity JSON."""
    return f"{PREFIX}:{{{guild_id}}}:e:{entity_type}"


def order_key(guild_id: str, entity_type: str) -> str:
    """Sorted set (all scores 0) of sort keys: id order for paging."""
    return f"{PREFIX}:{{{guild_id}}}:i:{entity_type}"


def search_key(guild_id: str, entity_type: str) -> str:
    """Sorted set (all scores 0) of `<casefolded term>\\0<sort key>`: prefix search by range,
    substring search by ZSCAN MATCH."""
    return f"{PREFIX}:{{{guild_id}}}:s:{entity_type}"


def terms_key(guild_id: str, entity_type: str) -> str:
    """Hash: sort key -> the entity's current terms joined by \\x01, to remove them on change."""
    return f"{PREFIX}:{{{guild_id}}}:t:{entity_type}"
