"""The Lua scripts of the Redis backend, each one round trip and atomic, and the argument the
mirror write script reads. Key names are in `redis_keys`.

Writes: every publish is `SEQUENCE_AND_PUBLISH`; a pool change puts `MIRROR_WRITE` before it
in the same script, so the mirror write and the `log_pool` that announces it are one atomic step.
Reads of the bus: `POSITION`, `HISTORY`. Reads of the mirror: `ENTITIES`, `PAGE`, `SEARCH`;
each answers with the stored JSON of the entities, never parsed in Python, and the guild's pool
seq read in the same script (the watermark: the publish script writes the mirror and takes the
seq in one step, so a read in one script sees both or neither).
"""

from __future__ import annotations

import json

from bot_bridge.bus.base import MirrorWrite, search_terms, sort_key

# The bus

# KEYS[1..3]: epoch, seq, history. ARGV[1..6]: epoch candidate, guild id, body, channel,
# history count, history age (ms). `{publish}` is PUBLISH, or SPUBLISH on a Redis Cluster.
SEQUENCE_AND_PUBLISH = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end
local seq = redis.call('INCR', KEYS[2])
local payload = '{"guild_id":"' .. ARGV[2] .. '","epoch":"' .. epoch .. '","seq":' .. seq
  .. ',' .. string.sub(ARGV[3], 2)
local now = redis.call('TIME')
local now_ms = now[1] .. string.format('%03d', math.floor(now[2] / 1000))
if ARGV[5] ~= '0' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], seq .. '-0', 'p', payload, 't', now_ms)
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
end
redis.call('{publish}', ARGV[4], payload)
return payload
"""

# KEYS[4..7]: entities, order, search, terms of one type's pool. ARGV[7]: JSON
# {"u": [[key, sort key, entity JSON, [terms]]], "d": [[key, sort key]]}.
MIRROR_WRITE = """
local write = cjson.decode(ARGV[7])
local function forget_terms(key)
  local old = redis.call('HGET', KEYS[7], key)
  if old then
    for term in string.gmatch(old, '[^\1]+') do
      redis.call('ZREM', KEYS[6], term .. '\0' .. key)
    end
  end
end
for _, upsert in ipairs(write.u) do
  local key = upsert[1]
  forget_terms(key)
  redis.call('HSET', KEYS[4], key, upsert[3])
  redis.call('ZADD', KEYS[5], 0, upsert[2])
  for _, term in ipairs(upsert[4]) do
    redis.call('ZADD', KEYS[6], 0, term .. '\0' .. key)
  end
  redis.call('HSET', KEYS[7], key, table.concat(upsert[4], '\1'))
end
for _, delete in ipairs(write.d) do
  local key = delete[1]
  forget_terms(key)
  redis.call('HDEL', KEYS[4], key)
  redis.call('ZREM', KEYS[5], delete[2])
  redis.call('HDEL', KEYS[7], key)
end
"""

# KEYS: seq, history. ARGV: the first history id wanted. One round trip, and one shard in a
# cluster (a pipeline in a MULTI would be neither there).
HISTORY = """
return {redis.call('GET', KEYS[1]) or '0', redis.call('XRANGE', KEYS[2], ARGV[1], '+')}
"""

POSITION = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]) or '0',
        redis.call('GET', KEYS[3]) or '0'}
"""


def encode_write(write: MirrorWrite) -> str:
    """The write as the mirror script reads it. Redis keeps every entity under its sort key
    (a zero-padded id), so a page is read in id order with no conversion per entity."""
    kind = write.entity_type
    return json.dumps(
        {
            "u": [
                [
                    sort_key(kind, key),
                    sort_key(kind, key),
                    json.dumps(entity, separators=(",", ":"), ensure_ascii=False),
                    search_terms(kind, entity),
                ]
                for key, entity in write.keyed_upserts()
            ],
            "d": [[sort_key(kind, key), sort_key(kind, key)] for key in write.deletes],
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


# The mirror

# KEYS: entities, pool seq. ARGV: sort keys. Returns {pool seq, {JSON or nil per key}}.
ENTITIES = """
return {redis.call('GET', KEYS[2]) or '0', redis.call('HMGET', KEYS[1], unpack(ARGV))}
"""

# KEYS: order, entities (both by sort key), pool seq. ARGV: range start, limit.
# Returns {JSON of the entities joined by commas, the next cursor or "", pool seq}.
PAGE = """
local limit = tonumber(ARGV[2])
local seq = redis.call('GET', KEYS[3]) or '0'
local sorted = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, limit + 1)
local count = math.min(#sorted, limit)
if count == 0 then return {'', '', seq} end
local values = redis.call('HMGET', KEYS[2], unpack(sorted, 1, count))
local present = {}
for i = 1, count do
  if values[i] then present[#present + 1] = values[i] end
end
local next_cursor = ''
if #sorted > limit then next_cursor = sorted[limit] end
return {table.concat(present, ','), next_cursor, seq}
"""

# KEYS: search index, entities, pool seq. ARGV: needle, limit, terms per entity, ZSCAN glob
# pattern. Prefix matches come from a range (they sort together), substring ones from one ZSCAN
# pass (its MATCH runs in C) only when prefixes do not fill the limit. Returns a flat list
# {pool seq, is prefix, term, key, JSON, ...} in rank order.
SEARCH = """
local needle, limit = ARGV[1], tonumber(ARGV[2])
local seq = redis.call('GET', KEYS[3]) or '0'
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
if #results == 0 then return {seq} end
local ids = {}
for i, result in ipairs(results) do ids[i] = result[3] end
local values = redis.call('HMGET', KEYS[2], unpack(ids))
local flat = {seq}
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
