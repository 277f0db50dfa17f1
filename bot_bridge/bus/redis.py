"""`redis://` backend (redis-py's `redis.asyncio`): any number of processes share the bus and
its mirror.

Publishing is one Lua script (one round trip, atomic; `redis_scripts`): apply the mirror write
if there is one, take or create the guild's epoch, INCR the stream's seq, build the wire
payload, XADD it to the stream's history under the id `<seq>-0` (trimmed to about
`max_events`, expiring `max_age` after the last publish) and PUBLISH it on the guild's stream
channel. Live delivery is `redis_channels` (one pub/sub connection per process) or, on a Redis
Cluster, `redis_cluster_channels` (sharded pub/sub, one connection per shard that holds a
subscribed guild); both reconnect with backoff and resubscribe, and `ping` fails meanwhile.

The mirror's reads by id, page and search are Lua scripts too: one round trip each, each
answers with the stored JSON of the entities, never parsed here, and the guild's pool seq read
in the same script (the watermark; the guild's keys share its hash tag, so this is single-slot
on a Redis Cluster too).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, cast

import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster

from architus_sdk.wire import EntityType
from bot_bridge.bus import redis_keys as keys
from bot_bridge.bus import redis_scripts as scripts
from bot_bridge.bus.base import (
    RESYNC,
    SEARCH_FIELDS,
    BusBackend,
    BusEvent,
    BusUnavailable,
    Draft,
    JsonEntities,
    Mirror,
    MirrorWrite,
    Position,
    Resync,
    SearchHit,
    Stream,
    Watermarked,
    key_of_sort_key,
    sort_key,
)
from bot_bridge.bus.history import HistoryLimits
from bot_bridge.bus.redis_channels import LiveChannels, ServerChannels
from bot_bridge.bus.redis_cluster_channels import ShardedChannels
from bot_bridge.bus.redis_connection import TRANSIENT, RedisClient, is_cluster, redis_client


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
        publish = scripts.SEQUENCE_AND_PUBLISH.replace("{publish}", publish_command)
        self._publish = self._client.register_script(publish)
        self._mirror_and_publish = self._client.register_script(scripts.MIRROR_WRITE + publish)
        self._position = self._client.register_script(scripts.POSITION)
        self._history = self._client.register_script(scripts.HISTORY)

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
            args.append(scripts.encode_write(write))
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

    async def next_event(self) -> BusEvent | Resync:
        while True:
            message = await self._channels.next_message()
            if message is RESYNC:
                return RESYNC
            name, data = message
            if name != keys.CONTROL_CHANNEL:
                _, stream = keys.parse_channel(name)
                return BusEvent(stream, data)

    async def _call(self, script: Any, command_keys: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=command_keys, args=args)
        except TRANSIENT as error:
            raise BusUnavailable(str(error)) from error


def _pool_seq_key(guild_id: str) -> str:
    return keys.seq_key(guild_id, Stream.POOL)


def _glob_escape(text: str) -> str:
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)


class RedisMirror(Mirror):
    """Reads of the pools that `RedisBackend.publish` writes (`redis_scripts.MIRROR_WRITE`)."""

    def __init__(self, url: str) -> None:
        self._client: RedisClient = redis_client(url)
        self._entities = self._client.register_script(scripts.ENTITIES)
        self._page = self._client.register_script(scripts.PAGE)
        self._search = self._client.register_script(scripts.SEARCH)

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        await self._client.aclose()

    async def read_entities(
        self, guild_id: str, entity_type: EntityType, keys_: list[str]
    ) -> Watermarked[dict[str, str]]:
        command_keys = [keys.entities_key(guild_id, entity_type), _pool_seq_key(guild_id)]
        if not keys_:
            seq = await self._run(self._client.get(command_keys[1]))
            return Watermarked({}, int(seq or 0))
        sort_keys = [sort_key(entity_type, key) for key in keys_]
        seq, found = await self._run(self._entities(keys=command_keys, args=sort_keys))
        texts = {key: text for key, text in zip(keys_, found, strict=True) if text is not None}
        return Watermarked(texts, int(seq))

    async def read_page(
        self, guild_id: str, entity_type: EntityType, after: str | None, limit: int
    ) -> Watermarked[tuple[JsonEntities, str | None]]:
        joined, next_cursor, seq = await self._run(
            self._page(
                keys=[
                    keys.order_key(guild_id, entity_type),
                    keys.entities_key(guild_id, entity_type),
                    _pool_seq_key(guild_id),
                ],
                args=[f"({after}" if after is not None else "-", limit],
            )
        )
        # One bulk string for the whole page: nothing per entity is parsed on the way.
        return Watermarked((JsonEntities(joined), next_cursor or None), int(seq))

    async def read_search(
        self, guild_id: str, entity_type: EntityType, query: str, limit: int
    ) -> Watermarked[list[SearchHit]]:
        needle = query.casefold().replace("\0", "")
        if not needle:
            # nothing matches whatever the pool holds, so any current seq is a true watermark
            seq = await self._run(self._client.get(_pool_seq_key(guild_id)))
            return Watermarked([], int(seq or 0))
        seq, *flat = await self._run(
            self._search(
                keys=[
                    keys.search_key(guild_id, entity_type),
                    keys.entities_key(guild_id, entity_type),
                    _pool_seq_key(guild_id),
                ],
                args=[needle, limit, len(SEARCH_FIELDS[entity_type]), f"*{_glob_escape(needle)}*"],
            )
        )
        hits = [
            SearchHit(
                bool(int(flat[i])),
                str(flat[i + 1]),
                key_of_sort_key(entity_type, str(flat[i + 2])),
                str(flat[i + 3]),
            )
            for i in range(0, len(flat), 4)
        ]
        return Watermarked(hits, int(seq))

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
