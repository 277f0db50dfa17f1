"""The mirror's contract, on both backends: writes ride on the bus's publish, reads answer
by key, by page and by search."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from architus_sdk.wire import EntityType, LogOtherBody, LogPool
from bot_bridge.bus import Bus, Mirror, mirror_for
from bot_bridge.publisher import Publisher
from tests.bot_bridge.bus.test_contract import next_event

GUILD = "310000000000000001"


def member(member_id: int, name: str, nick: str | None = None) -> dict[str, Any]:
    return {
        "id": str(member_id),
        "name": name,
        "nick": nick,
        "avatar": None,
        "roles": [],
        "color": 0,
        "joined_at": None,
    }


@pytest.fixture
async def parts(bus_url: str) -> AsyncIterator[tuple[Publisher, Mirror, Bus]]:
    bus = Bus(bus_url)
    mirror = mirror_for(bus_url)
    await bus.connect()
    yield Publisher(bus, mirror), mirror, bus
    await bus.disconnect()
    await mirror.disconnect()


async def test_a_push_follows_its_mirror_write(parts: tuple[Publisher, Mirror, Bus]) -> None:
    publisher, mirror, bus = parts
    async with bus.subscribe(GUILD) as subscription:
        await publisher.upsert(GUILD, EntityType.MEMBER, [member(5, "Ada")])
        event = await next_event(subscription)
        # whoever holds the push finds its state in the mirror already
        stored = await mirror.entities(GUILD, EntityType.MEMBER, ["5"])
        assert {key: json.loads(text) for key, text in stored.items()} == {"5": member(5, "Ada")}
    push = LogPool.model_validate_json(event.payload)
    assert (push.type, push.op, push.data) == ("member", "upsert", [member(5, "Ada")])


async def test_entities_by_key_and_delete(parts: tuple[Publisher, Mirror, Bus]) -> None:
    publisher, mirror, _ = parts
    await publisher.upsert(GUILD, EntityType.MEMBER, [member(n, f"m{n}") for n in range(1, 6)])
    await publisher.delete(GUILD, EntityType.MEMBER, ["2", "4"])
    found = await mirror.entities(GUILD, EntityType.MEMBER, ["1", "2", "3", "4", "99"])
    assert sorted(found) == ["1", "3"]
    assert sorted(await mirror.all(GUILD, EntityType.MEMBER)) == ["1", "3", "5"]


async def test_paging_is_in_numeric_id_order(parts: tuple[Publisher, Mirror, Bus]) -> None:
    publisher, mirror, _ = parts
    ids = [7, 70, 700, 8, 80, 9, 123456789012345678, 5]
    await publisher.upsert(GUILD, EntityType.MEMBER, [member(n, f"m{n}") for n in ids])
    seen: list[str] = []
    cursor = None
    while True:
        entities, cursor = await mirror.page(GUILD, EntityType.MEMBER, cursor, 3)
        seen += [e["id"] for e in entities.parsed()]
        if cursor is None:
            break
    assert seen == [str(n) for n in sorted(ids)]


async def test_search_prefix_first_then_substring(parts: tuple[Publisher, Mirror, Bus]) -> None:
    publisher, mirror, _ = parts
    await publisher.upsert(
        GUILD,
        EntityType.MEMBER,
        [
            member(1, "Annabel"),
            member(2, "Joanna"),
            member(3, "bob", nick="ANNA"),
            member(4, "Hanna"),
            member(5, "Zed"),
            member(6, "anne", nick="Anne-Marie"),
            member(7, "Ann😀"),
            member(8, "xANNy€"),
        ],
    )
    hits = await mirror.search(GUILD, EntityType.MEMBER, "AnN", 10)
    assert [(h.prefix, h.term, h.key) for h in hits] == [
        (True, "anna", "3"),
        (True, "annabel", "1"),
        (True, "anne", "6"),
        (True, "ann😀", "7"),
        (False, "hanna", "4"),
        (False, "joanna", "2"),
        (False, "xanny€", "8"),
    ]
    assert [h.key for h in await mirror.search(GUILD, EntityType.MEMBER, "ann", 2)] == [
        "3",
        "1",
    ]


async def test_renames_move_the_search_terms(parts: tuple[Publisher, Mirror, Bus]) -> None:
    publisher, mirror, _ = parts
    await publisher.upsert(GUILD, EntityType.MEMBER, [member(1, "Old", nick="Nick")])
    await publisher.upsert(GUILD, EntityType.MEMBER, [member(1, "New")])
    assert await mirror.search(GUILD, EntityType.MEMBER, "old", 5) == []
    assert await mirror.search(GUILD, EntityType.MEMBER, "nick", 5) == []
    assert [
        json.loads(h.entity)["name"] for h in await mirror.search(GUILD, EntityType.MEMBER, "ew", 5)
    ] == ["New"]
    await publisher.delete(GUILD, EntityType.MEMBER, ["1"])
    assert await mirror.search(GUILD, EntityType.MEMBER, "new", 5) == []


async def test_search_treats_glob_characters_literally(
    parts: tuple[Publisher, Mirror, Bus],
) -> None:
    publisher, mirror, _ = parts
    await publisher.upsert(
        GUILD,
        EntityType.MEMBER,
        [member(1, "a*b"), member(2, "axb"), member(3, "[x]"), member(4, "x")],
    )
    assert [h.key for h in await mirror.search(GUILD, EntityType.MEMBER, "*", 5)] == ["1"]
    assert [h.key for h in await mirror.search(GUILD, EntityType.MEMBER, "[x", 5)] == ["3"]


async def test_sync_publishes_only_the_difference(parts: tuple[Publisher, Mirror, Bus]) -> None:
    publisher, mirror, _ = parts
    await publisher.upsert(
        GUILD, EntityType.MEMBER, [member(1, "a"), member(2, "b"), member(3, "c")]
    )
    events = await publisher.sync(
        GUILD, EntityType.MEMBER, [member(1, "a"), member(2, "B!"), member(4, "d")]
    )
    pushes = [LogPool.model_validate_json(e.payload) for e in events]
    assert [(p.op, [x if isinstance(x, str) else x["id"] for x in p.data]) for p in pushes] == [
        ("upsert", ["2", "4"]),
        ("delete", ["3"]),
    ]
    assert sorted(await mirror.all(GUILD, EntityType.MEMBER)) == ["1", "2", "4"]
    assert (
        await publisher.sync(
            GUILD, EntityType.MEMBER, [member(1, "a"), member(2, "B!"), member(4, "d")]
        )
        == []
    )


async def test_big_writes_are_cut_into_pushes(parts: tuple[Publisher, Mirror, Bus]) -> None:
    publisher, mirror, _ = parts
    events = await publisher.upsert(
        GUILD, EntityType.MEMBER, [member(n, f"m{n}") for n in range(1, 1202)]
    )
    assert [len(LogPool.model_validate_json(e.payload).data) for e in events] == [500, 500, 201]
    assert len(await mirror.all(GUILD, EntityType.MEMBER)) == 1201


async def test_entities_are_validated_before_anything_is_written(
    parts: tuple[Publisher, Mirror, Bus],
) -> None:
    from pydantic import ValidationError

    publisher, mirror, _ = parts
    with pytest.raises(ValidationError):
        await publisher.upsert(GUILD, EntityType.MEMBER, [member(1, "ok"), {"id": "2"}])
    assert await mirror.all(GUILD, EntityType.MEMBER) == {}
    with pytest.raises(ValueError, match="derived"):
        await publisher.upsert(
            GUILD, EntityType.USER, [{"id": "1", "username": "x", "avatar": None}]
        )


# The watermark: every read answers the pool seq it reflects, read atomically with it.

WATERMARK_MEMBERS = 6
WRITES = 300


def planned_write(i: int) -> tuple[str, int, str]:
    """The i-th pool change (0-based): (op, member id, name). Every member is renamed in turn,
    and every 7th change deletes one, so reads see entities come and go."""
    member_id = i % WATERMARK_MEMBERS + 1
    return ("delete" if i % 7 == 3 else "upsert", member_id, f"w{i:05d}")


def pool_after(changes: int) -> dict[str, str]:
    """Member id -> name after the first `changes` planned writes."""
    names: dict[str, str] = {}
    for i in range(changes):
        op, member_id, name = planned_write(i)
        if op == "delete":
            names.pop(str(member_id), None)
        else:
            names[str(member_id)] = name
    return names


def a_log_entry() -> LogOtherBody:
    return LogOtherBody(
        id="5",
        action=3001,
        private=False,
        agent_id=None,
        subject_id=None,
        content="hi",
        data={},
        timestamp="2026-01-01T00:00:00.000Z",
    )


async def test_reads_carry_the_pool_seq_of_the_last_write_they_reflect(
    parts: tuple[Publisher, Mirror, Bus],
) -> None:
    publisher, mirror, _ = parts
    ids = ["1", "2", "3"]
    assert (await mirror.read_page(GUILD, EntityType.MEMBER, None, 10)).pool_seq == 0
    assert (await mirror.read_entities(GUILD, EntityType.MEMBER, ids)).pool_seq == 0
    assert (await mirror.read_search(GUILD, EntityType.MEMBER, "m", 10)).pool_seq == 0
    (first,) = await publisher.upsert(GUILD, EntityType.MEMBER, [member(1, "m1"), member(2, "m2")])
    (second,) = await publisher.delete(GUILD, EntityType.MEMBER, ["2"])
    (third,) = await publisher.upsert(GUILD, EntityType.ROLE, [role(9)])
    await publisher.log(GUILD, a_log_entry())  # the logs stream is not the watermark
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    page = await mirror.read_page(GUILD, EntityType.MEMBER, None, 10)
    assert (page.value[0].parsed(), page.value[1], page.pool_seq) == ([member(1, "m1")], None, 3)
    found = await mirror.read_entities(GUILD, EntityType.MEMBER, ids)
    assert (sorted(found.value), found.pool_seq) == (["1"], 3)
    hits = await mirror.read_search(GUILD, EntityType.MEMBER, "m", 10)
    assert ([hit.key for hit in hits.value], hits.pool_seq) == (["1"], 3)
    # another guild's stream is its own
    assert (await mirror.read_page("310000000000000002", EntityType.MEMBER, None, 1)).pool_seq == 0


def role(role_id: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": "r",
        "color": 0,
        "position": 1,
        "hoist": False,
        "managed": False,
        "mentionable": False,
    }


async def test_reads_interleaved_with_writes_match_their_watermark(
    parts: tuple[Publisher, Mirror, Bus],
) -> None:
    """A writer publishes a known sequence of changes while readers read by page, by ids and by
    search: each answer must be exactly the pool after the writes up to its pool_seq."""
    publisher, mirror, _ = parts
    writing = True

    async def write() -> list[int]:
        nonlocal writing
        seqs = []
        for i in range(WRITES):
            op, member_id, name = planned_write(i)
            if op == "delete":
                events = await publisher.delete(GUILD, EntityType.MEMBER, [str(member_id)])
            else:
                events = await publisher.upsert(GUILD, EntityType.MEMBER, [member(member_id, name)])
            seqs += [event.seq for event in events]
            await asyncio.sleep(0)  # let the readers in between writes on the memory backend too
        writing = False
        return seqs

    async def read(kind: str) -> list[tuple[int, dict[str, str]]]:
        seen = []
        all_ids = [str(n) for n in range(1, WATERMARK_MEMBERS + 1)]
        while writing:
            if kind == "page":
                # two members a page: a page is one read, so only its own watermark applies
                page = await mirror.read_page(GUILD, EntityType.MEMBER, "00000000000000000002", 2)
                pool_seq = page.pool_seq
                names = {e["id"]: e["name"] for e in page.value[0].parsed()}
                after_two = sorted(int(k) for k in pool_after(pool_seq) if int(k) > 2)
                expected_ids = {str(k) for k in after_two[:2]}
            elif kind == "ids":
                found = await mirror.read_entities(GUILD, EntityType.MEMBER, all_ids)
                pool_seq = found.pool_seq
                names = {key: json.loads(text)["name"] for key, text in found.value.items()}
                expected_ids = set(all_ids)
            else:
                hits = await mirror.read_search(GUILD, EntityType.MEMBER, "w", 10)
                pool_seq = hits.pool_seq
                names = {hit.key: json.loads(hit.entity)["name"] for hit in hits.value}
                expected_ids = set(all_ids)
            expected = {k: v for k, v in pool_after(pool_seq).items() if k in expected_ids}
            seen.append((pool_seq, expected))
            assert names == expected, f"{kind} read at pool_seq {pool_seq}"
            await asyncio.sleep(0)  # a memory read never suspends: let the writer in
        return seen

    seqs, *reads = await asyncio.gather(write(), read("page"), read("ids"), read("search"))
    assert seqs == list(range(1, WRITES + 1))  # one push per change: seq i+1 is change i
    for seen in reads:
        # the readers did see the pool mid-way, at many different watermarks
        watermarks = {pool_seq for pool_seq, _ in seen}
        assert len([w for w in watermarks if 0 < w < WRITES]) >= 5
