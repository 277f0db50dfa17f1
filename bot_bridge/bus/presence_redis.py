"""`redis://` presence (one Redis server or a Redis Cluster): the guarantees of `presence`.

Every write and every read is one Lua script on one guild's keys, all tagged `{<guild>}` so a
guild's presence lives on one cluster shard. Times are Redis's `TIME` (one clock for every
process). Per guild:

| name | kind | holds |
|---|---|---|
| `architus:{G}:bot:bridges` | sorted set | bridge id -> end of its announcement (ms) |
| `architus:{G}:bot:status` | hash | `online` ("1"/"0") and `since` (ms): outlives the above |
| `architus:{G}:viewers` | hash | node id -> JSON array of the users spectating there |
| `architus:{G}:viewers:ends` | sorted set | node id -> end of its statement (ms) |
| `architus:{G}:presence` | channel (sharded on a cluster) | "something changed": no state |

Notifications ride a pub/sub connection of their own (`redis_channels` / sharded
`redis_cluster_channels`, the bus's live delivery), opened by `connect`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, cast

import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster

from bot_bridge.bus.base import RESYNC, BusUnavailable
from bot_bridge.bus.presence import GuildPresence, Presence
from bot_bridge.bus.redis_channels import LiveChannels, ServerChannels
from bot_bridge.bus.redis_cluster_channels import ShardedChannels
from bot_bridge.bus.redis_connection import TRANSIENT, RedisClient, is_cluster, redis_client
from bot_bridge.bus.redis_keys import CONTROL_CHANNEL, PREFIX


def bridges_key(guild_id: str) -> str:
    return f"{PREFIX}:{{{guild_id}}}:bot:bridges"


def status_key(guild_id: str) -> str:
    return f"{PREFIX}:{{{guild_id}}}:bot:status"


def viewers_key(guild_id: str) -> str:
    return f"{PREFIX}:{{{guild_id}}}:viewers"


def viewer_ends_key(guild_id: str) -> str:
    return f"{PREFIX}:{{{guild_id}}}:viewers:ends"


def presence_channel(guild_id: str) -> str:
    return f"{PREFIX}:{{{guild_id}}}:presence"


def channel_guild(name: str) -> str:
    return name.split(":")[1][1:-1]


# KEYS[1], KEYS[2]: bridges, status. `settle` drops ended announcements; if that leaves the
# guild served by nobody while it reads online, the bridge crashed: offline since the moment
# its announcement ended. `{publish}` is PUBLISH, or SPUBLISH on a Redis Cluster.
_SETTLE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function settle()
  local ended = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES')
  if #ended > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  end
  if redis.call('HGET', KEYS[2], 'online') == '1' and redis.call('ZCARD', KEYS[1]) == 0 then
    local since = now
    if #ended > 0 then since = tonumber(ended[#ended]) end
    redis.call('HSET', KEYS[2], 'online', '0', 'since', since)
    return true
  end
  return false
end
"""

# ARGV: bridge id, lifetime (ms), channel
ANNOUNCE = (
    _SETTLE
    + """
local changed = settle()
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if redis.call('HGET', KEYS[2], 'online') ~= '1' then
  redis.call('HSET', KEYS[2], 'online', '1', 'since', now)
  changed = true
end
if changed then redis.call('{publish}', ARGV[3], 'bot') end
return changed and 1 or 0
"""
)

# ARGV: bridge id, channel
WITHDRAW = (
    _SETTLE
    + """
local changed = settle()
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], 'online') == '1' and redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[2], 'online', '0', 'since', now)
  changed = true
end
if changed then redis.call('{publish}', ARGV[2], 'bot') end
return changed and 1 or 0
"""
)

# KEYS: viewers, viewer ends. ARGV: node id, lifetime (ms), JSON array of users, channel,
# notify ("1"/"0"). Both keys expire with the longest statement, so a guild whose every node
# died leaves nothing behind.
STATE_VIEWERS = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local ttl = tonumber(ARGV[2])
if ARGV[3] == '[]' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
  for _, key in ipairs(KEYS) do
    if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
  end
end
if ARGV[5] == '1' then redis.call('{publish}', ARGV[4], 'viewers') end
return 1
"""

# KEYS: bridges, status, viewers, viewer ends. ARGV: channel. Answers {online, since, viewers}.
READ = (
    _SETTLE
    + """
local changed = settle()
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
  redis.call('HDEL', KEYS[3], unpack(gone))
  changed = true
end
local seen, count = {}, 0
for _, stated in ipairs(redis.call('HVALS', KEYS[3])) do
  for _, user in ipairs(cjson.decode(stated)) do
    if not seen[user] then
      seen[user] = true
      count = count + 1
    end
  end
end
if changed then redis.call('{publish}', ARGV[1], 'settled') end
local status = redis.call('HMGET', KEYS[2], 'online', 'since')
return {status[1] or '0', status[2] or '', count}
"""
)


class RedisPresence(Presence):
    def __init__(self, url: str) -> None:
        self._client: RedisClient = redis_client(url)
        self._channels: LiveChannels
        if is_cluster(url):
            publish = "SPUBLISH"
            self._channels = ShardedChannels(cast(RedisCluster, self._client))
        else:
            publish = "PUBLISH"
            self._channels = ServerChannels(cast(redis.Redis, self._client))
        register = self._client.register_script
        self._announce = register(ANNOUNCE.replace("{publish}", publish))
        self._withdraw = register(WITHDRAW.replace("{publish}", publish))
        self._state_viewers = register(STATE_VIEWERS.replace("{publish}", publish))
        self._read = register(READ.replace("{publish}", publish))

    async def connect(self) -> None:
        await self._channels.open()

    async def disconnect(self) -> None:
        await self._channels.close()
        await self._client.aclose()

    async def announce(self, bridge_id: str, guild_ids: Collection[str], ttl: float) -> None:
        ttl_ms = max(1, round(ttl * 1000))
        await asyncio.gather(
            *(
                self._call(
                    self._announce,
                    [bridges_key(guild), status_key(guild)],
                    [bridge_id, ttl_ms, presence_channel(guild)],
                )
                for guild in guild_ids
            )
        )

    async def withdraw(self, bridge_id: str, guild_ids: Collection[str]) -> None:
        await asyncio.gather(
            *(
                self._call(
                    self._withdraw,
                    [bridges_key(guild), status_key(guild)],
                    [bridge_id, presence_channel(guild)],
                )
                for guild in guild_ids
            )
        )

    async def state_viewers(
        self, node_id: str, guild_id: str, users: Collection[str], ttl: float, changed: bool
    ) -> None:
        await self._call(
            self._state_viewers,
            [viewers_key(guild_id), viewer_ends_key(guild_id)],
            [
                node_id,
                max(1, round(ttl * 1000)),
                json.dumps(sorted(users)),
                presence_channel(guild_id),
                "1" if changed else "0",
            ],
        )

    async def read(self, guild_id: str) -> GuildPresence:
        online, since, viewers = await self._call(
            self._read,
            [
                bridges_key(guild_id),
                status_key(guild_id),
                viewers_key(guild_id),
                viewer_ends_key(guild_id),
            ],
            [presence_channel(guild_id)],
        )
        began = datetime.fromtimestamp(int(since) / 1000, UTC) if since else None
        return GuildPresence(online == "1", began, int(viewers))

    async def watch(self, guild_id: str) -> None:
        await self._channels.subscribe([presence_channel(guild_id)])

    async def unwatch(self, guild_id: str) -> None:
        await self._channels.unsubscribe([presence_channel(guild_id)])

    async def next_change(self) -> str:
        while True:
            message = await self._channels.next_message()
            if message is RESYNC:
                # a change missed meanwhile shows at the watcher's next periodic read
                continue
            name, _ = message
            if name != CONTROL_CHANNEL:
                return channel_guild(name)

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=keys, args=args)
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
