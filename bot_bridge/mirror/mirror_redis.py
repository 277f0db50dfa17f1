"""`redis://` mirror: reads of the pools the bus's publish script writes (keys in bus/keys).

Pages and searches are Lua scripts: one round trip each, and each answers with the stored
JSON of the entities, never parsed here.
"""

from __future__ import annotations

import json
from typing import Any

from architus_sdk.wire import EntityType
from bot_bridge.bus import keys
from bot_bridge.bus.base import BusUnavailable
from bot_bridge.bus.connection import TRANSIENT, RedisClient, redis_client
from bot_bridge.mirror.base import (
    SEARCH_FIELDS,
    JsonEntities,
    Mirror,
    SearchHit,
    key_of_sort_key,
    sort_key,
)

# KEYS: order, entities (both by sort key). ARGV: range start, limit.
# Returns {JSON of the entities joined by commas, the next cursor or ""}.
_PAGE = """
local limit = tonumber(ARGV[2])
local sorted = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, limit + 1)
local count = math.min(#sorted, limit)
if count == 0 then return {'', ''} end
local values = redis.call('HMGET', KEYS[2], unpack(sorted, 1, count))
local present = {}
for i = 1, count do
  if values[i] then present[#present + 1] = values[i] end
end
local next_cursor = ''
if #sorted > limit then next_cursor = sorted[limit] end
return {table.concat(present, ','), next_cursor}
"""

# KEYS: search index, entities. ARGV: needle, limit, terms per entity, ZSCAN glob pattern.
# Prefix matches come from a range (they sort together), substring ones from one ZSCAN pass
# (its MATCH runs in C) only when prefixes do not fill the limit. Returns a flat list
# {is prefix, term, key, JSON, ...} in rank order.
_SEARCH = """
local needle, limit = ARGV[1], tonumber(ARGV[2])
local chosen, results = {}, {}
local function split(entry)
  local at = string.find(entry, '\\0', 1, true)
  return string.sub(entry, 1, at - 1), string.sub(entry, at + 1)
end
local window = limit * tonumber(ARGV[3])
local prefixed = redis.call('ZRANGEBYLEX', KEYS[1], '[' .. needle, '[' .. needle .. '\\255',
                            'LIMIT', 0, window)
for _, entry in ipairs(prefixed) do
  local term, key = split(entry)
  if not chosen[key] and #results < limit then
    chosen[key] = true
    results[#results + 1] = {1, term, key}
  end
end
if #results < limit then
  local best = {}
  local cursor = '0'
  repeat
    local reply = redis.call('ZSCAN', KEYS[1], cursor, 'MATCH', ARGV[4], 'COUNT', 10000)
    cursor = reply[1]
    local items = reply[2]
    for i = 1, #items, 2 do
      local term, key = split(items[i])
      if not chosen[key] and string.sub(term, 1, #needle) ~= needle then
        if best[key] == nil or term < best[key] then best[key] = term end
      end
    end
  until cursor == '0'
  local others = {}
  for key, term in pairs(best) do others[#others + 1] = {term, key} end
  table.sort(others, function(a, b)
    if a[1] == b[1] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  for _, other in ipairs(others) do
    if #results >= limit then break end
    results[#results + 1] = {0, other[1], other[2]}
  end
end
if #results == 0 then return {} end
local ids = {}
for i, result in ipairs(results) do ids[i] = result[3] end
local values = redis.call('HMGET', KEYS[2], unpack(ids))
local flat = {}
for i, result in ipairs(results) do
  if values[i] then
    flat[#flat + 1] = result[1]
    flat[#flat + 1] = result[2]
    flat[#flat + 1] = result[3]
    flat[#flat + 1] = values[i]
  end
end
return flat
"""


def _glob_escape(text: str) -> str:
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)


class RedisMirror(Mirror):
    def __init__(self, url: str) -> None:
        self._client: RedisClient = redis_client(url)
        self._page = self._client.register_script(_PAGE)
        self._search = self._client.register_script(_SEARCH)

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        await self._client.aclose()

    async def entities(
        self, guild_id: str, entity_type: EntityType, keys_: list[str]
    ) -> dict[str, str]:
        if not keys_:
            return {}
        sort_keys = [sort_key(entity_type, key) for key in keys_]
        found: list[str | None] = await self._run(
            self._client.hmget(keys.entities_key(guild_id, entity_type), sort_keys)
        )
        return {key: text for key, text in zip(keys_, found, strict=True) if text is not None}

    async def page(
        self, guild_id: str, entity_type: EntityType, after: str | None, limit: int
    ) -> tuple[JsonEntities, str | None]:
        joined, next_cursor = await self._run(
            self._page(
                keys=[
                    keys.order_key(guild_id, entity_type),
                    keys.entities_key(guild_id, entity_type),
                ],
                args=[f"({after}" if after is not None else "-", limit],
            )
        )
        # One bulk string for the whole page: nothing per entity is parsed on the way.
        return JsonEntities(joined), (next_cursor or None)

    async def search(
        self, guild_id: str, entity_type: EntityType, query: str, limit: int
    ) -> list[SearchHit]:
        needle = query.casefold().replace("\0", "")
        if not needle:
            return []
        flat: list[Any] = await self._run(
            self._search(
                keys=[
                    keys.search_key(guild_id, entity_type),
                    keys.entities_key(guild_id, entity_type),
                ],
                args=[needle, limit, len(SEARCH_FIELDS[entity_type]), f"*{_glob_escape(needle)}*"],
            )
        )
        return [
            SearchHit(
                bool(int(flat[i])),
                str(flat[i + 1]),
                key_of_sort_key(entity_type, str(flat[i + 2])),
                str(flat[i + 3]),
            )
            for i in range(0, len(flat), 4)
        ]

    async def all(self, guild_id: str, entity_type: EntityType) -> dict[str, dict[str, Any]]:
        stored: dict[str, str] = await self._run(
            self._client.hgetall(keys.entities_key(guild_id, entity_type))
        )
        return {key_of_sort_key(entity_type, key): json.loads(body) for key, body in stored.items()}

    async def has_guild(self, guild_id: str) -> bool:
        found = await self._run(
            self._client.hexists(
                keys.entities_key(guild_id, EntityType.GUILD), sort_key(EntityType.GUILD, guild_id)
            )
        )
        return bool(found)

    async def _run(self, pending: Any) -> Any:
        try:
            return await pending
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
