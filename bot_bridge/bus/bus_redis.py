"""`redis://` backend (redis-py's `redis.asyncio`): any number of processes share the bus.

Publishing is one Lua script (one round trip, atomic): take or create the guild's epoch, INCR
the stream's seq, build the wire payload, XADD it to the stream's history under the id
`<seq>-0` (trimmed to about `max_events`, expiring `max_age` after the last publish) and
PUBLISH it on the guild's stream channel. Live delivery is `channels_redis` (one pub/sub
connection per process) or, on a Redis Cluster, `channels_redis_cluster` (sharded pub/sub, one
connection per shard that holds a subscribed guild); both reconnect with backoff and
resubscribe, and `ping` fails meanwhile.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, cast

import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster

from bot_bridge.bus import keys
from bot_bridge.bus.base import BusBackend, BusEvent, BusUnavailable, Draft, Position, Stream
from bot_bridge.bus.channels_redis import LiveChannels, ServerChannels
from bot_bridge.bus.channels_redis_cluster import ShardedChannels
from bot_bridge.bus.connection import TRANSIENT, RedisClient, is_cluster, redis_client
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.mirror.base import MirrorWrite, search_terms, sort_key

# KEYS[1..3]: epoch, seq, history. ARGV[1..6]: epoch candidate, guild id, body, channel,
# history count, history age (ms).
_SEQUENCE_AND_PUBLISH = """
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
_MIRROR = """
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
_HISTORY = """
return {redis.call('GET', KEYS[1]) or '0', redis.call('XRANGE', KEYS[2], ARGV[1], '+')}
"""

_POSITION = """
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


class RedisBackend(BusBackend):
    def __init__(self, url: str, limits: HistoryLimits) -> None:
        self._url = url
        self._limits = limits
        self._client: RedisClient = redis_client(url)
        self._channels: LiveChannels
        if is_cluster(url):
            # a cluster publishes on the guild's own shard: SPUBLISH is not copied to the others
            publish_command = "SPUBLISH"
            self._channels = ShardedChannels(cast(RedisCluster, self._client))
        else:
            publish_command = "PUBLISH"
            self._channels = ServerChannels(cast(redis.Redis, self._client))
        publish = _SEQUENCE_AND_PUBLISH.replace("{publish}", publish_command)
        self._publish = self._client.register_script(publish)
        self._mirror_and_publish = self._client.register_script(_MIRROR + publish)
        self._position = self._client.register_script(_POSITION)
        self._history = self._client.register_script(_HISTORY)

    async def connect(self) -> None:
        await self._channels.open()

    async def disconnect(self) -> None:
        await self._channels.close()
        await self._client.aclose()

    async def ping(self) -> None:
        if not self._channels.connected:
            raise BusUnavailable("the bus's live connection is down")
        try:
            await self._client.ping()
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error

    async def publish(self, draft: Draft, write: MirrorWrite | None = None) -> BusEvent:
        script, command_keys, args = self.publish_call(draft, write)
        payload = await self._call(script, command_keys, args)
        return BusEvent(draft.stream, str(payload))

    def publish_call(
        self, draft: Draft, write: MirrorWrite | None = None
    ) -> tuple[Any, list[str], list[Any]]:
        """The script (its `.script` is the Lua text), keys and arguments that publish `draft`;
        bench/lua_publisher.mjs replays them from Node to measure the gateway, not redis-py."""
        args: list[Any] = [
            secrets.token_hex(8),
            draft.guild_id,
            draft.body,
            keys.channel(draft.guild_id, draft.stream),
            self._limits.max_events,
            int(self._limits.max_age * 1000),
        ]
        command_keys = [
            keys.epoch_key(draft.guild_id),
            keys.seq_key(draft.guild_id, draft.stream),
            keys.history_key(draft.guild_id, draft.stream),
        ]
        script = self._publish
        if write is not None:
            script = self._mirror_and_publish
            kind = write.entity_type.value
            command_keys += [
                keys.entities_key(draft.guild_id, kind),
                keys.order_key(draft.guild_id, kind),
                keys.search_key(draft.guild_id, kind),
                keys.terms_key(draft.guild_id, kind),
            ]
            args.append(encode_write(write))
        return script, command_keys, args

    async def position(self, guild_id: str) -> Position:
        command_keys = [
            keys.epoch_key(guild_id),
            keys.seq_key(guild_id, Stream.POOL),
            keys.seq_key(guild_id, Stream.LOGS),
        ]
        epoch, pool_seq, logs_seq = await self._call(
            self._position, command_keys, [secrets.token_hex(8)]
        )
        return Position(str(epoch), int(pool_seq), int(logs_seq))

    async def history(self, guild_id: str, stream: Stream, after: int) -> list[BusEvent] | None:
        current, entries = await self._call(
            self._history,
            [keys.seq_key(guild_id, stream), keys.history_key(guild_id, stream)],
            [f"{after + 1}-0"],
        )
        last_seq = int(current)
        if after >= last_seq:
            return []
        oldest_kept_ms = time.time() * 1000 - self._limits.max_age * 1000
        # each entry is [id, [field, value, ...]] with the fields `p` (payload) and `t` (ms)
        kept = [dict(zip(f[::2], f[1::2], strict=True)) for _, f in entries]
        kept = [fields for fields in kept if int(fields["t"]) >= oldest_kept_ms]
        if len(kept) < last_seq - after:
            return None
        return [BusEvent(stream, fields["p"]) for fields in kept[: last_seq - after]]

    async def subscribe(self, guild_id: str) -> None:
        await self._channels.subscribe([keys.channel(guild_id, stream) for stream in Stream])

    async def unsubscribe(self, guild_id: str) -> None:
        await self._channels.unsubscribe([keys.channel(guild_id, stream) for stream in Stream])

    async def next_event(self) -> BusEvent:
        while True:
            name, data = await self._channels.next_message()
            if name != keys.CONTROL_CHANNEL:
                _, stream = keys.parse_channel(name)
                return BusEvent(stream, data)

    async def _call(self, script: Any, command_keys: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=command_keys, args=args)
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
