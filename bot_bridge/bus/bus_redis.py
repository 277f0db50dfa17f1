"""`redis://` backend (redis-py's `redis.asyncio`): any number of processes share the bus.

Publishing is one Lua script (one round trip, atomic): take or create the guild's epoch, INCR
the stream's seq, build the wire payload, XADD it to the stream's history under the id
`<seq>-0` (trimmed to about `max_events`, expiring `max_age` after the last publish) and
PUBLISH it on the guild's stream channel. Live delivery uses one pub/sub connection per
process; it reconnects with backoff and resubscribes, and `ping` fails meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from typing import Any

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot_bridge.bus import keys
from bot_bridge.bus.base import BusBackend, BusEvent, BusUnavailable, Draft, Position, Stream
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.mirror.base import MirrorWrite, search_terms, sort_key

logger = logging.getLogger(__name__)

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
redis.call('PUBLISH', ARGV[4], payload)
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


def connection_pool(url: str) -> redis.BlockingConnectionPool:
    """A pool that makes a burst wait for a free connection (up to 5 s) instead of failing:
    redis-py's default pool raises "Too many connections" past 100 at once."""
    return redis.BlockingConnectionPool.from_url(
        url,
        max_connections=64,
        timeout=5,
        decode_responses=True,
        health_check_interval=10,
        socket_connect_timeout=2,
    )


# Connection losses that mean "retry later", as opposed to bugs.
TRANSIENT = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisBackend(BusBackend):
    def __init__(self, url: str, limits: HistoryLimits) -> None:
        self._url = url
        self._limits = limits
        self._client: redis.Redis = redis.Redis(connection_pool=connection_pool(url))
        self._publish = self._client.register_script(_SEQUENCE_AND_PUBLISH)
        self._mirror_and_publish = self._client.register_script(_MIRROR + _SEQUENCE_AND_PUBLISH)
        self._position = self._client.register_script(_POSITION)
        self._pubsub = self._client.pubsub()
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._subscribed: set[str] = set()
        self._listening = asyncio.Event()
        self._connected = False

    async def connect(self) -> None:
        # A control channel keeps the pub/sub connection open even with no guild subscribed,
        # so `next_event` always has a connection to read (and future node-wide commands a
        # place to arrive).
        try:
            await self._pubsub.subscribe(keys.CONTROL_CHANNEL)
        except TRANSIENT as error:
            logger.warning("redis bus unreachable at start, will retry: %s", error)
        else:
            self._connected = True

    async def disconnect(self) -> None:
        with contextlib.suppress(*TRANSIENT, RedisError):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._client.aclose()

    async def ping(self) -> None:
        if not self._connected:
            raise BusUnavailable("the bus's live connection is down")
        try:
            await self._client.ping()
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error

    async def publish(self, draft: Draft, write: MirrorWrite | None = None) -> BusEvent:
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
        payload = await self._call(script, command_keys, args)
        return BusEvent(draft.stream, str(payload))

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
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.get(keys.seq_key(guild_id, stream))
                pipe.xrange(keys.history_key(guild_id, stream), min=f"{after + 1}-0")
                current, entries = await pipe.execute()
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
        last_seq = int(current or 0)
        if after >= last_seq:
            return []
        oldest_kept_ms = time.time() * 1000 - self._limits.max_age * 1000
        kept = [fields for _, fields in entries if int(fields["t"]) >= oldest_kept_ms]
        if len(kept) < last_seq - after:
            return None
        return [BusEvent(stream, fields["p"]) for fields in kept[: last_seq - after]]

    async def subscribe(self, guild_id: str) -> None:
        channels = [keys.channel(guild_id, stream) for stream in Stream]
        loop = asyncio.get_running_loop()
        waiting = [self._confirmations.setdefault(name, loop.create_future()) for name in channels]
        self._subscribed.add(guild_id)
        try:
            await self._pubsub.subscribe(*channels)
            # The reader resolves these on Redis's confirmation: only then is delivery certain.
            async with asyncio.timeout(5):
                await asyncio.gather(*waiting)
        except (*TRANSIENT, TimeoutError) as error:
            self._subscribed.discard(guild_id)
            for name in channels:
                self._confirmations.pop(name, None)
            with contextlib.suppress(*TRANSIENT):
                await self._pubsub.unsubscribe(*channels)
            raise BusUnavailable(f"cannot subscribe: {error}") from error

    async def unsubscribe(self, guild_id: str) -> None:
        self._subscribed.discard(guild_id)
        with contextlib.suppress(*TRANSIENT):
            await self._pubsub.unsubscribe(*(keys.channel(guild_id, s) for s in Stream))

    async def next_event(self) -> BusEvent:
        backoff = 0.05
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except TRANSIENT as error:
                if self._connected:
                    logger.warning("redis bus connection lost: %s", error)
                self._connected = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                await self._reconnect()
                continue
            except RuntimeError:
                # No connection yet (Redis was down at start): open it.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                await self._reconnect()
                continue
            backoff = 0.05
            if message is None:
                continue
            kind, name = message["type"], message["channel"]
            if kind == "subscribe":
                confirmation = self._confirmations.pop(name, None)
                if confirmation is not None and not confirmation.done():
                    confirmation.set_result(None)
            elif kind == "message" and name != keys.CONTROL_CHANNEL:
                _, stream = keys.parse_channel(name)
                return BusEvent(stream, message["data"])

    async def _reconnect(self) -> None:
        """Reopen the pub/sub connection; redis-py resubscribes every channel it knew."""
        try:
            if self._pubsub.connection is None:
                await self._pubsub.subscribe(keys.CONTROL_CHANNEL)
            else:
                await self._pubsub.ping()
        except TRANSIENT:
            return
        if not self._connected:
            logger.info("redis bus connection restored")
        self._connected = True

    async def _call(self, script: Any, command_keys: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=command_keys, args=args)
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error
