"""What only the Redis backend does: per-guild channels, one-round-trip publish, reconnects."""

from __future__ import annotations

import asyncio

import redis.asyncio as redis

from bot_bridge.bus import RESYNC, Bus, BusUnavailable, Stream
from bot_bridge.bus import redis_keys as keys
from tests.bot_bridge.bus.test_contract import GUILD, OTHER_GUILD, next_event, pool_draft
from tests.conftest import RedisServer


async def numsub(client: redis.Redis, guild_id: str) -> int:
    counts = await client.pubsub_numsub(keys.channel(guild_id, Stream.POOL))
    return int(counts[0][1])


async def test_only_subscribed_guilds_have_a_channel_subscription(
    redis_url: str, redis_client: redis.Redis
) -> None:
    bus = Bus(redis_url)
    await bus.connect()
    try:
        assert await numsub(redis_client, GUILD) == 0
        async with bus.subscribe(GUILD), bus.subscribe(GUILD):
            assert await numsub(redis_client, GUILD) == 1  # subscribed once for two followers
            assert await numsub(redis_client, OTHER_GUILD) == 0
        assert await numsub(redis_client, GUILD) == 0
    finally:
        await bus.disconnect()


async def test_history_is_bounded_and_expires(redis_url: str, redis_client: redis.Redis) -> None:
    from bot_bridge.bus.history import HistoryLimits

    bus = Bus(redis_url, HistoryLimits(max_events=100, max_age=30))
    await bus.connect()
    try:
        for n in range(1000):
            await bus.publish(pool_draft(n=n))
        length = await redis_client.xlen(keys.history_key(GUILD, Stream.POOL))
        ttl = await redis_client.pttl(keys.history_key(GUILD, Stream.POOL))
    finally:
        await bus.disconnect()
    assert 100 <= length < 300  # MAXLEN ~ trims by whole macro nodes
    assert 0 < ttl <= 30_000


async def test_survives_a_redis_restart_and_resubscribes(own_redis: RedisServer) -> None:
    bus = Bus(own_redis.url)
    await bus.connect()
    try:
        async with bus.subscribe(GUILD) as subscription:
            first = await bus.publish(pool_draft())
            assert (await next_event(subscription)).seq == 1
            await own_redis.kill()
            try:
                await bus.publish(pool_draft())
            except BusUnavailable:
                pass
            else:
                raise AssertionError("publish succeeded with Redis down")
            async with asyncio.timeout(5):
                while True:
                    try:
                        await bus.ping()
                    except BusUnavailable:
                        break
                    await asyncio.sleep(0.05)
            await own_redis.start()
            async with asyncio.timeout(10):
                while True:
                    try:
                        await bus.ping()
                        break
                    except BusUnavailable:
                        await asyncio.sleep(0.05)
            # Live delivery comes back with a RESYNC (what was published before the channels
            # were subscribed again is only in the history)...
            assert await asyncio.wait_for(anext(subscription), 10) is RESYNC
            # ...and Redis came back empty: a new history, so a new epoch, delivered live.
            again = await bus.publish(pool_draft())
            received = await next_event(subscription)
    finally:
        await bus.disconnect()
    assert received.payload == again.payload
    assert again.seq == 1
    assert again.epoch != first.epoch


async def test_a_foreign_message_on_a_channel_is_dropped_not_fatal(
    redis_url: str, redis_client: redis.Redis
) -> None:
    bus = Bus(redis_url)
    await bus.connect()
    try:
        async with bus.subscribe(GUILD) as subscription:
            await redis_client.publish(keys.channel(GUILD, Stream.POOL), "not json")
            await redis_client.publish(keys.channel(GUILD, Stream.POOL), '{"no": "guild"}')
            published = await bus.publish(pool_draft())
            received = await next_event(subscription)
    finally:
        await bus.disconnect()
    assert received.payload == published.payload


async def test_a_burst_waits_for_a_connection_instead_of_failing(redis_url: str) -> None:
    """redis-py's default pool refuses the 101st concurrent command; ours makes it wait."""
    bus = Bus(redis_url)
    await bus.connect()
    try:
        positions = await asyncio.gather(*(bus.position(GUILD) for _ in range(300)))
    finally:
        await bus.disconnect()
    assert len({position.epoch for position in positions}) == 1
