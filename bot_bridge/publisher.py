"""The one code path through which every producer (the bot, the simulator) publishes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from architus_sdk.wire import EntityType, LogOtherBody, LogPoolBody, PoolOp
from bot_bridge.bus import Bus, BusEvent, Draft, Stream


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Publisher:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def upsert(
        self, guild_id: str, entity_type: EntityType, entities: Sequence[dict[str, Any]]
    ) -> BusEvent:
        body = LogPoolBody(
            type=entity_type, op=PoolOp.UPSERT, data=list(entities), timestamp=timestamp()
        )
        return await self._bus.publish(Draft(guild_id, Stream.POOL, body.model_dump_json()))

    async def delete(self, guild_id: str, entity_type: EntityType, ids: Sequence[str]) -> BusEvent:
        body = LogPoolBody(
            type=entity_type, op=PoolOp.DELETE, data=list(ids), timestamp=timestamp()
        )
        return await self._bus.publish(Draft(guild_id, Stream.POOL, body.model_dump_json()))

    async def log(self, guild_id: str, entry: LogOtherBody) -> BusEvent:
        return await self._bus.publish(Draft(guild_id, Stream.LOGS, entry.model_dump_json()))
