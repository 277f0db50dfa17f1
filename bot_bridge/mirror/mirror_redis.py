"""`redis://` mirror: reads of the pools the bus's publish script writes (keys in bus/keys)."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as redis

from architus_sdk.wire import EntityType
from bot_bridge.bus import keys
from bot_bridge.bus.base import BusUnavailable
from bot_bridge.bus.bus_redis import TRANSIENT
from bot_bridge.mirror.base import Mirror, SearchHit, key_of_sort_key, rank_hits

# How many search-index entries one ZSCAN round trip may look at.
_SCAN_BATCH = 5000


def _glob_escape(text: str) -> str:
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)


class RedisMirror(Mirror):
    def __init__(self, url: str) -> None:
        self._client: redis.Redis = redis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2
        )

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        await self._client.aclose()

    async def entities(
        self, guild_id: str, entity_type: EntityType, keys_: list[str]
    ) -> dict[str, dict[str, Any]]:
        if not keys_:
            return {}
        try:
            found = await self._client.hmget(keys.entities_key(guild_id, entity_type), keys_)
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
        return {key: json.loads(body) for key, body in zip(keys_, found, strict=True) if body}

    async def page(
        self, guild_id: str, entity_type: EntityType, after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        start = f"({after}" if after is not None else "-"
        try:
            sort_keys: list[str] = await self._client.zrangebylex(  # type: ignore[assignment]
                keys.order_key(guild_id, entity_type), start, "+", start=0, num=limit + 1
            )
            more = len(sort_keys) > limit
            sort_keys = sort_keys[:limit]
            entity_keys = [key_of_sort_key(entity_type, key) for key in sort_keys]
            found = await self.entities(guild_id, entity_type, entity_keys)
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
        # An entity deleted between the two reads is simply not in this page.
        entities = [found[key] for key in entity_keys if key in found]
        return entities, (sort_keys[-1] if more else None)

    async def search(
        self, guild_id: str, entity_type: EntityType, query: str, limit: int
    ) -> list[SearchHit]:
        needle = query.casefold()
        index = keys.search_key(guild_id, entity_type)
        matches: dict[str, tuple[bool, str]] = {}  # entity key -> best (prefix, term)
        try:
            # ZSCAN MATCH runs the glob in Redis, in C, over the whole index: one pass finds
            # prefix and substring matches alike, whatever characters follow the query.
            cursor: int = 0
            batch: list[tuple[str, float]]
            pattern = f"*{_glob_escape(needle)}*"
            while True:
                cursor, batch = await self._client.zscan(  # type: ignore[assignment]
                    index, cursor, match=pattern, count=_SCAN_BATCH
                )
                for entry, _ in batch:
                    term, _, key = entry.rpartition("\0")
                    found_match = (term.startswith(needle), term)
                    current = matches.get(key)
                    if current is None or (not found_match[0], term) < (not current[0], current[1]):
                        matches[key] = found_match
                if cursor == 0:
                    break
            ranked = sorted(matches.items(), key=lambda item: (not item[1][0], item[1][1]))
            chosen = ranked[:limit]
            found = await self.entities(guild_id, entity_type, [key for key, _ in chosen])
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
        hits = [
            SearchHit(prefix, term, found[key]) for key, (prefix, term) in chosen if key in found
        ]
        return rank_hits(hits, entity_type, limit)

    async def all(self, guild_id: str, entity_type: EntityType) -> dict[str, dict[str, Any]]:
        try:
            stored: dict[str, str] = await self._client.hgetall(  # type: ignore[assignment]
                keys.entities_key(guild_id, entity_type)
            )
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
        return {key: json.loads(body) for key, body in stored.items()}

    async def has_guild(self, guild_id: str) -> bool:
        try:
            found = await self._client.hexists(
                keys.entities_key(guild_id, EntityType.GUILD), guild_id
            )
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
        return bool(found)
