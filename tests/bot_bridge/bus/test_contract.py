"""One contract suite, run against every backend: the guarantees stated in bus/base.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from architus_sdk.wire import LogOther, LogOtherBody, LogPool
from bot_bridge.bus import Bus, BusEvent, Draft, Resync, Stream, backend_for
from bot_bridge.bus.history import HistoryLimits

GUILD = "300000000000000001"
OTHER_GUILD = "300000000000000002"


def pool_draft(guild_id: str = GUILD, n: int = 0) -> Draft:
    body = {
        "type": "member",
        "op": "upsert",
        "data": [{"id": str(n), "name": f"m{n}"}],
        "timestamp": "2026-01-01T00:00:00.000Z",
    }
    return Draft(guild_id, Stream.POOL, json.dumps(body))


def log_draft(guild_id: str = GUILD, private: bool = False) -> Draft:
    entry = LogOtherBody(
        id="5",
        action=3001,
        private=private,
        agent_id="7",
        subject_id=None,
        content="hi",
        data={},
        timestamp="2026-01-01T00:00:00.000Z",
    )
    return Draft(guild_id, Stream.LOGS, entry.model_dump_json())


@pytest.fixture
async def bus(bus_url: str) -> AsyncIterator[Bus]:
    bus = Bus(bus_url, HistoryLimits(max_events=50, max_age=600))
    await bus.connect()
    yield bus
    await bus.disconnect()


async def next_event(subscription: AsyncIterator[BusEvent | Resync]) -> BusEvent:
    """The next event; nothing interrupts the bus here, so a RESYNC fails the test."""
    item = await asyncio.wait_for(anext(subscription), 2)
    assert isinstance(item, BusEvent), item
    return item


async def test_seqs_start_at_one_and_count_per_stream(bus: Bus) -> None:
    seqs = [
        (event.stream, event.seq)
        for event in [
            await bus.publish(pool_draft()),
            await bus.publish(pool_draft()),
            await bus.publish(log_draft()),
            await bus.publish(pool_draft()),
            await bus.publish(log_draft()),
        ]
    ]
    assert seqs == [
        (Stream.POOL, 1),
        (Stream.POOL, 2),
        (Stream.LOGS, 1),
        (Stream.POOL, 3),
        (Stream.LOGS, 2),
    ]
    other = await bus.publish(pool_draft(OTHER_GUILD))
    assert other.seq == 1


async def test_payload_is_the_wire_model(bus: Bus) -> None:
    pool = await bus.publish(pool_draft())
    entry = await bus.publish(log_draft(private=True))
    position = await bus.position(GUILD)
    parsed_pool = LogPool.model_validate_json(pool.payload)
    parsed_entry = LogOther.model_validate_json(entry.payload)
    assert (parsed_pool.guild_id, parsed_pool.epoch, parsed_pool.seq) == (GUILD, position.epoch, 1)
    assert parsed_entry.private is True
    assert entry.private is True
    assert parsed_entry.seq == 1


async def test_epoch_is_created_once_and_kept(bus: Bus) -> None:
    first = await bus.position(GUILD)
    assert (first.pool_seq, first.logs_seq) == (0, 0)
    event = await bus.publish(pool_draft())
    again = await bus.position(GUILD)
    assert event.epoch == first.epoch == again.epoch
    assert again.pool_seq == 1
    assert (await bus.position(OTHER_GUILD)).epoch != first.epoch


async def test_subscriber_receives_its_guild_in_order(bus: Bus) -> None:
    async with bus.subscribe(GUILD) as subscription:
        for n in range(20):
            await bus.publish(pool_draft(n=n))
            await bus.publish(pool_draft(OTHER_GUILD, n=n))
        received = [await next_event(subscription) for _ in range(20)]
    assert [event.seq for event in received] == list(range(1, 21))
    assert {event.guild_id for event in received} == {GUILD}


async def test_reference_counting_keeps_the_guild_until_the_last_leaves(bus: Bus) -> None:
    async with bus.subscribe(GUILD) as first:
        async with bus.subscribe(GUILD) as second:
            await bus.publish(pool_draft())
            assert (await next_event(first)).seq == 1
            assert (await next_event(second)).seq == 1
        assert bus.subscribed_guilds() == {GUILD}
        await bus.publish(pool_draft())
        assert (await next_event(first)).seq == 2
    assert bus.subscribed_guilds() == set()


async def test_unsubscribed_guild_is_not_delivered(bus: Bus, bus_url: str) -> None:
    async with bus.subscribe(GUILD):
        pass
    async with bus.subscribe(OTHER_GUILD) as other:
        await bus.publish(pool_draft(GUILD))
        await bus.publish(pool_draft(OTHER_GUILD))
        event = await next_event(other)
    assert event.guild_id == OTHER_GUILD
    # The bus drops events of guilds it has no subscriber for, which would hide a backend that
    # kept delivering after `unsubscribe`: so ask a backend itself.
    backend = backend_for(bus_url)
    await backend.connect()
    delivered = asyncio.create_task(backend.next_event())
    try:
        await backend.subscribe(GUILD)
        await backend.unsubscribe(GUILD)
        await backend.publish(pool_draft(GUILD))
        await backend.subscribe(GUILD)
        wanted = await backend.publish(pool_draft(GUILD))
        # One guild, one channel, one connection: had the first subscription lived on, the
        # event published in between would have been delivered before `wanted`.
        got = await asyncio.wait_for(delivered, 2)
        assert isinstance(got, BusEvent), got
        assert got.payload == wanted.payload
    finally:
        delivered.cancel()
        await asyncio.gather(delivered, return_exceptions=True)
        await backend.disconnect()


async def test_history_returns_everything_after_a_seq(bus: Bus) -> None:
    published = [await bus.publish(pool_draft(n=n)) for n in range(10)]
    history = await bus.history(GUILD, Stream.POOL, after=4)
    assert history is not None
    assert [event.payload for event in history] == [event.payload for event in published[4:]]
    assert await bus.history(GUILD, Stream.POOL, after=10) == []
    assert await bus.history(GUILD, Stream.LOGS, after=0) == []


async def test_history_that_no_longer_reaches_back_says_so(bus: Bus) -> None:
    for n in range(200):
        await bus.publish(pool_draft(n=n))
    assert await bus.history(GUILD, Stream.POOL, after=0) is None
    recent = await bus.history(GUILD, Stream.POOL, after=190)
    assert recent is not None
    assert [event.seq for event in recent] == list(range(191, 201))


async def test_two_buses_on_one_url_share_the_streams(bus: Bus, bus_url: str) -> None:
    other = Bus(bus_url)
    await other.connect()
    try:
        async with other.subscribe(GUILD) as subscription:
            await bus.publish(pool_draft())
            assert (await next_event(subscription)).seq == 1
        assert (await other.position(GUILD)).epoch == (await bus.position(GUILD)).epoch
    finally:
        await other.disconnect()
