"""Spectating: rooms, live pushes, private filtering, switching, stopping."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from architus_sdk.wire import EntityType, LogOther, LogOtherBody, LogPool, Permission, SpectateData
from bot_bridge.publisher import Publisher
from tests.conftest import ClientFactory, RunningGateway, token

GUILD = "500000000000000001"
OTHER_GUILD = "500000000000000002"
ALL = int(sum(Permission))


@dataclass
class MemberChange:
    type: EntityType
    data: list[dict[str, Any]]


def member(member_id: str, name: str = "ada") -> MemberChange:
    return MemberChange(
        EntityType.MEMBER,
        [
            {
                "id": member_id,
                "name": name,
                "nick": None,
                "avatar": None,
                "roles": [],
                "color": 0,
                "joined_at": "2026-01-01T00:00:00Z",
            }
        ],
    )


_entry_ids = iter(range(1, 10**9))


def entry(private: bool = False, content: str = "hello") -> LogOtherBody:
    return LogOtherBody(
        id=str(next(_entry_ids)),
        action=3001,
        private=private,
        agent_id="9",
        subject_id=None,
        content=content,
        data={},
        timestamp="2026-01-01T00:00:00.000Z",
    )


async def test_spectator_receives_pool_and_log_pushes(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL})})
    ack = await client.call("spectate", {"guild_id": GUILD, "include_logs": True})
    data = SpectateData.model_validate(ack["data"])
    assert (data.guild_id, data.pool_seq, data.logs_seq, data.recovered, data.replayed) == (
        GUILD,
        0,
        0,
        False,
        0,
    )
    publisher = Publisher(gateway.gateway.bus)
    change = member("11")
    await publisher.upsert(GUILD, change.type, change.data)
    await publisher.log(GUILD, entry())
    await publisher.delete(GUILD, EntityType.MEMBER, ["11"])
    await client.wait_for(lambda c: len(c.pushes) == 3)
    (pool_upsert, pool_delete) = [LogPool.model_validate(p) for p in client.received("log_pool")]
    (log,) = [LogOther.model_validate(p) for p in client.received("log_other")]
    assert (pool_upsert.seq, pool_upsert.op, pool_upsert.data) == (1, "upsert", change.data)
    assert (pool_delete.seq, pool_delete.op, pool_delete.data) == (2, "delete", ["11"])
    assert (log.seq, log.content, log.epoch) == (1, "hello", data.epoch)


async def test_ack_seqs_are_where_the_socket_stands(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    publisher = Publisher(gateway.gateway.bus)
    first = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL})})
    await first.call("spectate", {"guild_id": GUILD, "include_logs": True})
    for n in range(5):
        await publisher.upsert(GUILD, EntityType.MEMBER, member(str(n)).data)
        await publisher.log(GUILD, entry())
    await first.wait_for(lambda c: len(c.pushes) == 10)
    second = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL})})
    ack = await second.call("spectate", {"guild_id": GUILD, "include_logs": True})
    assert (ack["data"]["pool_seq"], ack["data"]["logs_seq"]) == (5, 5)
    await publisher.log(GUILD, entry())
    await second.wait_for(lambda c: len(c.pushes) == 1)
    assert second.received("log_other")[0]["seq"] == 6


async def test_without_include_logs_only_pool_pushes_arrive(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL})})
    await client.call("spectate", {"guild_id": GUILD})
    publisher = Publisher(gateway.gateway.bus)
    await publisher.log(GUILD, entry())
    await publisher.upsert(GUILD, EntityType.MEMBER, member("1").data)
    await client.wait_for(lambda c: len(c.pushes) == 1)
    await asyncio.sleep(0.1)
    assert [name for name, _ in client.pushes] == ["log_pool"]


async def test_private_entries_reach_only_view_private_logs(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    public = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x2})})
    private = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x6})})
    admin = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x1})})
    for client in (public, private, admin):
        assert (await client.call("spectate", {"guild_id": GUILD, "include_logs": True}))["ok"]
    publisher = Publisher(gateway.gateway.bus)
    for n in range(10):
        await publisher.log(GUILD, entry(private=n % 3 == 0))
    await private.wait_for(lambda c: len(c.pushes) == 10)
    await admin.wait_for(lambda c: len(c.pushes) == 10)
    await public.wait_for(lambda c: len(c.pushes) == 6)
    await asyncio.sleep(0.1)
    assert [e["seq"] for e in public.received("log_other")] == [2, 3, 5, 6, 8, 9]
    assert not any(e["private"] for e in public.received("log_other"))
    assert [e["seq"] for e in private.received("log_other")] == list(range(1, 11))


async def test_setting_changes_reach_only_view_settings_live_and_replayed(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    """CONTRACT section 3: pool `setting` needs VIEW_SETTINGS, and no push may carry what a
    pool request would refuse (found by the leak property test, tests/architus_ws/test_leaks.py)."""
    without = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x2})})
    with_settings = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x100})})
    for client in (without, with_settings):
        assert (await client.call("spectate", {"guild_id": GUILD}))["ok"]
    publisher = Publisher(gateway.gateway.bus)
    for n in range(6):
        if n % 2:
            await publisher.upsert(GUILD, EntityType.SETTING, [{"key": "prefix", "value": n}])
        else:
            await publisher.upsert(GUILD, EntityType.MEMBER, member(str(n + 1)).data)
    await with_settings.wait_for(lambda c: len(c.pushes) == 6)
    await without.wait_for(lambda c: len(c.pushes) == 3)
    await asyncio.sleep(0.1)
    assert [p["type"] for p in without.received("log_pool")] == ["member"] * 3
    # replayed on resume: the same filter
    late = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x2})})
    ack = await late.call("spectate", {"guild_id": GUILD})
    resume = {"epoch": ack["data"]["epoch"], "pool_seq": 0, "logs_seq": 0}
    await late.call("spectate", {"guild_id": None})
    resumed = await late.call("spectate", {"guild_id": GUILD, "resume": resume})
    assert resumed["data"]["replayed"] == 3, resumed
    assert [p["type"] for p in late.received("log_pool")] == ["member"] * 3
    # a renewal that grants VIEW_SETTINGS lets them through from then on
    renewed = await without.call("request_elevation", {"token": token(guilds={GUILD: 0x102})})
    assert renewed["ok"]
    await publisher.upsert(GUILD, EntityType.SETTING, [{"key": "prefix", "value": "!"}])
    await without.wait_for(lambda c: len(c.pushes) == 4)
    assert without.received("log_pool")[-1]["type"] == "setting"


async def test_switching_guilds_leaves_the_old_one(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(
        gateway.url, auth={"token": token(guilds={GUILD: ALL, OTHER_GUILD: ALL})}
    )
    await client.call("spectate", {"guild_id": GUILD, "include_logs": True})
    assert (await client.call("spectate", {"guild_id": OTHER_GUILD}))["data"][
        "guild_id"
    ] == OTHER_GUILD
    assert gateway.gateway.feeds.spectator_counts() == {OTHER_GUILD: 1}
    assert gateway.gateway.bus.subscribed_guilds() == {OTHER_GUILD}
    publisher = Publisher(gateway.gateway.bus)
    await publisher.log(GUILD, entry())
    await publisher.upsert(GUILD, EntityType.MEMBER, member("1").data)
    await publisher.upsert(OTHER_GUILD, EntityType.MEMBER, member("2").data)
    await client.wait_for(lambda c: len(c.pushes) == 1)
    await asyncio.sleep(0.1)
    assert [(name, data["guild_id"]) for name, data in client.pushes] == [("log_pool", OTHER_GUILD)]


async def test_spectate_null_stops(gateway: RunningGateway, connect: ClientFactory) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL})})
    await client.call("spectate", {"guild_id": GUILD})
    assert await client.call("spectate", {"guild_id": None}) == {
        "ok": True,
        "data": {"guild_id": None},
    }
    assert gateway.gateway.feeds.spectator_counts() == {}
    assert gateway.gateway.bus.subscribed_guilds() == set()
    await Publisher(gateway.gateway.bus).upsert(GUILD, EntityType.MEMBER, member("1").data)
    await asyncio.sleep(0.1)
    assert client.pushes == []


async def test_changing_include_logs_on_the_same_guild(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL})})
    await client.call("spectate", {"guild_id": GUILD})
    publisher = Publisher(gateway.gateway.bus)
    await publisher.log(GUILD, entry())
    ack = await client.call("spectate", {"guild_id": GUILD, "include_logs": True})
    assert ack["data"]["logs_seq"] == 1
    await publisher.log(GUILD, entry())
    await client.wait_for(lambda c: len(c.pushes) == 1)
    assert client.received("log_other")[0]["seq"] == 2
    assert gateway.gateway.feeds.spectator_counts() == {GUILD: 1}


async def test_disconnect_releases_the_feed(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL})})
    await client.call("spectate", {"guild_id": GUILD})
    assert gateway.gateway.bus.subscribed_guilds() == {GUILD}
    await client.sio.disconnect()
    async with asyncio.timeout(2):
        while gateway.gateway.bus.subscribed_guilds():
            await asyncio.sleep(0.01)
    assert gateway.gateway.sessions == {}


async def test_long_polling_clients_receive_pushes(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(
        gateway.url, auth={"token": token(guilds={GUILD: 0x6})}, transport="polling"
    )
    await client.call("spectate", {"guild_id": GUILD, "include_logs": True})
    publisher = Publisher(gateway.gateway.bus)
    for n in range(20):
        await publisher.log(GUILD, entry(private=n % 2 == 0))
    await client.wait_for(lambda c: len(c.pushes) == 20)
    assert [e["seq"] for e in client.received("log_other")] == list(range(1, 21))
