"""The one code path through which every producer (the bot, the simulator) publishes.

Pool changes are written to the mirror and published as `log_pool` in one atomic bus step;
log entries are published as `log_other`. Entities are validated against the wire models
here, once, so nothing malformed reaches the mirror or a client.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from architus_sdk.wire import EntityType, LogOtherBody, LogPoolBody, PoolOp
from architus_sdk.wire.entities import MIRRORED_MODELS, entity_id
from bot_bridge.bus import Bus, BusEvent, Draft, Mirror, MirrorWrite, Stream

# Entities per log_pool push: big syncs are cut into pushes a browser parses comfortably.
CHUNK = 500


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Publisher:
    """Publishes of one guild are applied in call order: discord.py runs each event's
    listeners as separate tasks, and a later change must never be overwritten by an earlier
    one that happened to reach Redis second. A per-guild lock (FIFO) gives that order."""

    def __init__(self, bus: Bus, mirror: Mirror | None = None) -> None:
        self._bus = bus
        self._mirror = mirror
        self._guild_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def upsert(
        self, guild_id: str, entity_type: EntityType, entities: Sequence[dict[str, Any]]
    ) -> list[BusEvent]:
        async with self._guild_locks[guild_id]:
            return await self._upsert(guild_id, entity_type, entities)

    async def delete(
        self, guild_id: str, entity_type: EntityType, keys: Sequence[str]
    ) -> list[BusEvent]:
        async with self._guild_locks[guild_id]:
            return await self._delete(guild_id, entity_type, keys)

    async def sync(
        self, guild_id: str, entity_type: EntityType, entities: Sequence[dict[str, Any]]
    ) -> list[BusEvent]:
        """Make the mirrored pool equal `entities`, publishing only the difference (after a
        restart, what changed while the bot was away)."""
        async with self._guild_locks[guild_id]:
            return await self._sync(guild_id, entity_type, entities)

    async def log(self, guild_id: str, entry: LogOtherBody) -> BusEvent:
        async with self._guild_locks[guild_id]:
            return await self._bus.publish(Draft(guild_id, Stream.LOGS, entry.model_dump_json()))

    async def _upsert(
        self, guild_id: str, entity_type: EntityType, entities: Sequence[dict[str, Any]]
    ) -> list[BusEvent]:
        model = MIRRORED_MODELS.get(entity_type)
        if model is None:
            raise ValueError(f"{entity_type} entities are derived, not published")
        checked = [model.model_validate(entity).model_dump(mode="json") for entity in entities]
        return await self._publish_chunks(guild_id, entity_type, PoolOp.UPSERT, checked)

    async def _delete(
        self, guild_id: str, entity_type: EntityType, keys: Sequence[str]
    ) -> list[BusEvent]:
        return await self._publish_chunks(guild_id, entity_type, PoolOp.DELETE, list(keys))

    async def _publish_chunks(
        self, guild_id: str, entity_type: EntityType, op: PoolOp, items: list[Any]
    ) -> list[BusEvent]:
        """One `log_pool` and mirror write per CHUNK items (entities, or keys to delete)."""
        events = []
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            body = LogPoolBody(type=entity_type, op=op, data=chunk, timestamp=timestamp())
            if op is PoolOp.UPSERT:
                write = MirrorWrite(entity_type, upserts=chunk)
            else:
                write = MirrorWrite(entity_type, deletes=chunk)
            draft = Draft(guild_id, Stream.POOL, body.model_dump_json())
            events.append(await self._bus.publish(draft, write))
        return events

    async def _sync(
        self, guild_id: str, entity_type: EntityType, entities: Sequence[dict[str, Any]]
    ) -> list[BusEvent]:
        if self._mirror is None:
            raise RuntimeError("sync needs the mirror to compare against")
        model = MIRRORED_MODELS[entity_type]
        wanted = {
            entity_id(entity_type, checked): checked
            for checked in (model.model_validate(e).model_dump(mode="json") for e in entities)
        }
        current = await self._mirror.all(guild_id, entity_type)
        changed = [entity for key, entity in wanted.items() if current.get(key) != entity]
        gone = [key for key in current if key not in wanted]
        events = await self._upsert(guild_id, entity_type, changed) if changed else []
        if gone:
            events += await self._delete(guild_id, entity_type, gone)
        return events
