"""`pool` over a real socket on a real Redis: every type and mode, paging, search order,
permissions and bad requests."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from architus_sdk.wire import EntityType, PoolData
from architus_sdk.wire.entities import ENTITY_MODELS, GUILD_SCOPED
from bot_bridge.bus import Bus, mirror_for
from bot_bridge.publisher import Publisher
from bot_bridge.simulation import SimulatedGuild
from tests.conftest import Client, ClientFactory, RunningGateway, mirrored_guild, token

GUILD = "650000000000000001"
SECOND = "650000000000000002"
UNMIRRORED = "650000000000000003"
ADMIN = 0x1


@pytest.fixture
async def guilds(
    redis_gateway: RunningGateway, redis_url: str
) -> AsyncIterator[dict[str, SimulatedGuild]]:
    bus = Bus(redis_url)
    mirror = mirror_for(redis_url)
    await bus.connect()
    publisher = Publisher(bus, mirror)
    seeded = {}
    for guild_id, members in ((GUILD, 300), (SECOND, 20)):
        guild = SimulatedGuild(guild_id, rng=random.Random(guild_id))
        guild.seed(members)
        await guild.publish_seed(publisher)
        seeded[guild_id] = guild
    yield seeded
    await bus.disconnect()
    await mirror.disconnect()


async def pool(client: Client, **request: Any) -> dict[str, Any]:
    ack = await client.call("pool", {k: v for k, v in request.items()})
    assert ack["ok"], ack
    data: dict[str, Any] = ack["data"]
    PoolData.model_validate(data)
    return data


async def error(client: Client, **request: Any) -> tuple[int, str, str]:
    ack = await client.call("pool", request)
    assert ack["ok"] is False, ack
    return ack["error"]["code"], ack["error"]["reason"], ack["error"]["message"]


@pytest.fixture
async def admin(redis_gateway: RunningGateway, connect: ClientFactory) -> Client:
    return await connect(
        redis_gateway.url, auth={"token": token(guilds={GUILD: ADMIN, SECOND: 0x2, UNMIRRORED: 0})}
    )


@pytest.mark.parametrize("kind", sorted(GUILD_SCOPED))
async def test_every_guild_type_in_every_mode(
    guilds: dict[str, SimulatedGuild], admin: Client, kind: EntityType
) -> None:
    guild = guilds[GUILD]
    pool_of = {
        EntityType.MEMBER: guild.members,
        EntityType.CHANNEL: guild.channels,
        EntityType.ROLE: guild.roles,
        EntityType.EMOJI: guild.emojis,
        EntityType.AUTO_RESPONSE: guild.auto_responses,
        EntityType.SETTING: guild.settings,
    }
    expected = pool_of[kind]
    everything = await pool(admin, type=kind, guild_id=GUILD, all=True)
    assert everything["finished"] is True
    assert everything["next"] is None
    by_key = {e.get("key", e.get("id")): e for e in everything["data"]}
    assert by_key == expected
    for entity in everything["data"]:
        ENTITY_MODELS[kind].model_validate(entity)
    some = sorted(expected)[:3]
    missing = "99999" if kind is not EntityType.SETTING else "no_such_key"
    by_ids = await pool(admin, type=kind, guild_id=GUILD, ids=[*some, missing])
    assert [e.get("key", e.get("id")) for e in by_ids["data"]] == some
    assert by_ids["nonexistent"] == [missing]
    field = {
        EntityType.MEMBER: "name",
        EntityType.AUTO_RESPONSE: "trigger",
        EntityType.SETTING: "key",
    }.get(kind, "name")
    sample = expected[some[0]][field]
    found = await pool(admin, type=kind, guild_id=GUILD, search=sample[:3])
    assert expected[some[0]] in found["data"]


async def test_paging_10000_members_has_no_duplicate_or_gap(
    redis_gateway: RunningGateway, redis_url: str, connect: ClientFactory
) -> None:
    guild = await mirrored_guild(redis_url, GUILD, 10_000)
    client = await connect(redis_gateway.url, auth={"token": token(guilds={GUILD: 0x2})})
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        request: dict[str, Any] = {"type": "member", "guild_id": GUILD, "all": True, "limit": 3000}
        if cursor:
            request["after"] = cursor
        page = await pool(client, **request)
        pages += 1
        seen += [member["id"] for member in page["data"]]
        cursor = page["next"]
        assert page["finished"] is (cursor is None)
        if cursor is None:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == 10_000
    assert set(seen) == set(guild.members)
    assert seen == sorted(seen, key=int)
    default = await pool(client, type="member", guild_id=GUILD, all=True)
    assert len(default["data"]) == 1000


async def test_member_search_orders_prefix_matches_first(
    guilds: dict[str, SimulatedGuild], admin: Client, redis_url: str
) -> None:
    bus = Bus(redis_url)
    await bus.connect()
    people = [
        ("900", "Qüorra", None),
        ("901", "laqüorra", None),
        ("902", "Bob", "qüorra fan"),
        ("903", "QÜORRAY", None),
    ]
    await Publisher(bus).upsert(
        GUILD,
        EntityType.MEMBER,
        [
            {
                "id": i,
                "name": n,
                "nick": k,
                "avatar": None,
                "roles": [],
                "color": 0,
                "joined_at": None,
            }
            for i, n, k in people
        ],
    )
    await bus.disconnect()
    found = await pool(admin, type="member", guild_id=GUILD, search="qÜOR", limit=10)
    ids = [m["id"] for m in found["data"] if m["id"] in {"900", "901", "902", "903"}]
    assert ids == ["900", "902", "903", "901"]  # qüorra, qüorra fan, qüorray, then laqüorra
    assert len((await pool(admin, type="member", guild_id=GUILD, search="a"))["data"]) == 25


async def test_user_resolves_only_members_of_shared_guilds(
    guilds: dict[str, SimulatedGuild], redis_gateway: RunningGateway, connect: ClientFactory
) -> None:
    in_second = next(iter(guilds[SECOND].members))
    in_first = next(iter(guilds[GUILD].members))
    client = await connect(redis_gateway.url, auth={"token": token(guilds={SECOND: 0})})
    answer = await pool(client, type="user", ids=[in_second, in_first])
    assert [u["id"] for u in answer["data"]] == [in_second]
    assert answer["nonexistent"] == [in_first]
    member = guilds[SECOND].members[in_second]
    assert answer["data"][0] == {
        "id": in_second,
        "username": member["name"],
        "avatar": member["avatar"],
    }
    everyone = await pool(client, type="user", all=True, limit=5000)
    assert {u["id"] for u in everyone["data"]} == set(guilds[SECOND].members)
    assert everyone["finished"] is True


async def test_user_all_pages_across_guilds(
    guilds: dict[str, SimulatedGuild], admin: Client
) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        request: dict[str, Any] = {"type": "user", "all": True, "limit": 70}
        if cursor:
            request["after"] = cursor
        page = await pool(admin, **request)
        seen += [u["id"] for u in page["data"]]
        cursor = page["next"]
        if cursor is None:
            break
    expected = set(guilds[GUILD].members) | set(guilds[SECOND].members)
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


async def test_guild_pool_is_the_guilds_of_the_token(
    guilds: dict[str, SimulatedGuild], admin: Client
) -> None:
    answer = await pool(admin, type="guild", all=True)
    by_id = {g["id"]: g for g in answer["data"]}
    assert list(by_id) == [GUILD, SECOND, UNMIRRORED]
    assert by_id[GUILD] == {
        "id": GUILD,
        "name": guilds[GUILD].name,
        "icon": None,
        "member_count": len(guilds[GUILD].members),
        "has_architus": True,
        "architus_admin": True,
        "permissions": ADMIN,
    }
    assert by_id[SECOND]["architus_admin"] is False
    assert by_id[SECOND]["permissions"] == 0x2
    assert by_id[UNMIRRORED]["has_architus"] is False
    outside = await pool(admin, type="guild", ids=[GUILD, "123"])
    assert [g["id"] for g in outside["data"]] == [GUILD]
    assert outside["nonexistent"] == ["123"]
    assert [g["id"] for g in (await pool(admin, type="guild", search="demo"))["data"]] == [
        GUILD,
        SECOND,
    ]
    first = await pool(admin, type="guild", all=True, limit=2)
    rest = await pool(admin, type="guild", all=True, after=first["next"])
    assert [g["id"] for g in first["data"] + rest["data"]] == [GUILD, SECOND, UNMIRRORED]
    assert rest["finished"] is True


async def test_answers_carry_the_pool_seq_they_reflect(
    guilds: dict[str, SimulatedGuild], admin: Client, redis_url: str
) -> None:
    """Guild-scoped answers, in every mode, carry the pool seq of the last change they hold;
    guild-agnostic ones (user, guild) leave the field out."""
    bus = Bus(redis_url)
    await bus.connect()
    try:
        member = dict(next(iter(guilds[GUILD].members.values())), nick="watermarked")
        (event,) = await Publisher(bus).upsert(GUILD, EntityType.MEMBER, [member])
        seeded_seq = (await bus.position(SECOND)).pool_seq
    finally:
        await bus.disconnect()
    modes: list[dict[str, Any]] = [
        {"all": True, "limit": 5},
        {"ids": [member["id"]]},
        {"search": member["name"][:3]},
    ]
    for kind in sorted(GUILD_SCOPED):
        for mode in modes:
            answer = await pool(admin, type=kind, guild_id=GUILD, **mode)
            assert answer["pool_seq"] == event.seq, (kind, mode)
    answer = await pool(admin, type="member", guild_id=GUILD, ids=[member["id"]])
    assert answer["data"] == [member]
    other = await pool(admin, type="member", guild_id=SECOND, all=True)
    assert other["pool_seq"] == seeded_seq > 0
    agnostic: list[dict[str, Any]] = [
        {"type": "user", "all": True, "limit": 5},
        {"type": "user", "ids": [member["id"]]},
        {"type": "user", "search": member["name"][:3]},
        {"type": "guild", "all": True},
        {"type": "guild", "ids": [GUILD]},
        {"type": "guild", "search": "demo"},
    ]
    for request in agnostic:
        answer = await pool(admin, **request)
        assert answer["data"], request
        assert "pool_seq" not in answer, request


async def test_permissions_and_unknown_guilds(
    guilds: dict[str, SimulatedGuild], admin: Client
) -> None:
    assert await error(admin, type="member", guild_id="1", all=True) == (
        403,
        "forbidden",
        "guild 1 is not in your token",
    )
    assert await error(admin, type="setting", guild_id=SECOND, all=True) == (
        403,
        "forbidden",
        "setting needs VIEW_SETTINGS",
    )
    assert (await pool(admin, type="setting", guild_id=GUILD, ids=["prefix"]))["data"] == [
        {"key": "prefix", "value": "!"}
    ]
    code, reason, _ = await error(admin, type="member", guild_id=UNMIRRORED, all=True)
    assert (code, reason) == (404, "not_found")


async def test_pool_needs_elevation(redis_gateway: RunningGateway, connect: ClientFactory) -> None:
    anonymous = await connect(redis_gateway.url)
    code, reason, _ = await error(anonymous, type="guild", all=True)
    assert (code, reason) == (401, "unauthenticated")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"type": "member", "guild_id": GUILD}, "exactly one of ids, all, search"),
        (
            {"type": "member", "guild_id": GUILD, "all": True, "search": "a"},
            "exactly one of ids, all, search",
        ),
        ({"type": "member", "all": True}, "guild_id is required for member"),
        ({"type": "member", "guild_id": GUILD, "all": False}, "all: Input should be True"),
        (
            {"type": "member", "guild_id": GUILD, "all": True, "limit": 5001},
            "limit: Input should be less than or equal to 5000",
        ),
        (
            {"type": "member", "guild_id": GUILD, "search": "a", "limit": 1001},
            "a search returns at most 1000",
        ),
        ({"type": "member", "guild_id": GUILD, "ids": ["1"], "after": "x"}, "after goes with all"),
        (
            {"type": "member", "guild_id": GUILD, "ids": [1]},
            "ids.0: Input should be a valid string",
        ),
        ({"type": "member", "guild_id": GUILD, "ids": ["abc"]}, "ids must be snowflakes"),
        ({"type": "member", "guild_id": GUILD, "ids": []}, "ids: List should have at least 1"),
        ({"type": "widget", "all": True}, "type: Input should be"),
        (
            {"type": "member", "guild_id": GUILD, "all": True, "sort": "name"},
            "sort: Extra inputs are not permitted",
        ),
    ],
)
async def test_bad_pool_requests(admin: Client, request_: dict[str, Any], message: str) -> None:
    code, reason, text = await error(admin, **request_)
    assert (code, reason) == (400, "bad_request")
    assert message in text


async def test_pool_on_the_memory_bus(gateway: RunningGateway, connect: ClientFactory) -> None:
    guild = SimulatedGuild(GUILD)
    guild.seed(10)
    await guild.publish_seed(Publisher(gateway.gateway.bus, gateway.gateway.mirror))
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x2})})
    answer = await pool(client, type="member", guild_id=GUILD, all=True)
    assert {m["id"] for m in answer["data"]} == set(guild.members)
    position = await gateway.gateway.bus.position(GUILD)
    assert answer["pool_seq"] == position.pool_seq > 0
