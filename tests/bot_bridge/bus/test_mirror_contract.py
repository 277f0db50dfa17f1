"""The mirror's contract, on both backends: writes ride on the bus's publish, reads answer
by key, by page and by search."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from architus_sdk.wire import EntityType, LogPool
from bot_bridge.bus import Bus, Mirror, mirror_for
from bot_bridge.publisher import Publisher

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
        event = await anext(subscription)
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
