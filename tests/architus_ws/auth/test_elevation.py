"""Elevation at connect and by request, renewal, another user, demote, expiry."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import jwt

from architus_sdk.wire import ElevationData, Permission
from architus_ws.fanout import rooms
from bot_bridge.publisher import Publisher
from tests.architus_ws.requests.test_spectate import GUILD, OTHER_GUILD, entry
from tests.conftest import SECRET, ClientFactory, RunningGateway, token

ALL = int(sum(Permission))


def rooms_of(running: RunningGateway, sid: str) -> set[str]:
    manager = running.gateway.server.manager
    # python-socketio keeps every socket in the room None (its "everyone" room)
    return {room for room, members in manager.rooms["/"].items() if sid in members and room}


async def test_elevation_data_and_rooms(gateway: RunningGateway, connect: ClientFactory) -> None:
    client = await connect(gateway.url)
    sid = client.sio.get_sid()
    assert rooms_of(gateway, sid) == {sid}
    ack = await client.call("request_elevation", {"token": token("77", {GUILD: 0x112}, ttl=120)})
    data = ElevationData.model_validate(ack["data"])
    assert data.user_id == "77"
    assert data.guilds == {GUILD: 0x112}
    assert abs(data.expires_at.timestamp() - (time.time() + 120)) < 2
    assert ack["data"]["expires_at"].endswith("Z")
    assert datetime.fromisoformat(ack["data"]["expires_at"]).tzinfo is not None
    assert rooms_of(gateway, sid) == {sid, rooms.auth_room(sid)}
    assert await client.call("demote") == {"ok": True, "data": {}}
    assert rooms_of(gateway, sid) == {sid}


async def test_token_in_connect_auth_elevates(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x112})})
    sid = client.sio.get_sid()
    assert rooms.auth_room(sid) in rooms_of(gateway, sid)
    assert (await client.call("spectate", {"guild_id": GUILD}))["ok"] is True


async def test_bad_token_at_connect_is_refused_with_a_code(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    import socketio

    for auth, code, reason in [
        ({"token": token(ttl=-1)}, 401, "unauthenticated"),
        ({"token": "garbage"}, 401, "unauthenticated"),
        ({"token": 5}, 400, "bad_request"),
        ({"token": token(), "extra": 1}, 400, "bad_request"),
    ]:
        errors: list[object] = []
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("connect_error", errors.append)
        try:
            await sio.connect(gateway.url, auth=auth, transports=["websocket"], wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            pass
        else:
            raise AssertionError(f"connect with {auth} was accepted")
        assert len(errors) == 1
        error = errors[0]
        assert isinstance(error, dict)
        assert (error["code"], error["reason"]) == (code, reason)
        assert error["data"] == {k: error[k] for k in ("code", "reason", "message")}
    assert gateway.gateway.sessions == {}


async def test_failed_elevation_keeps_the_session(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x112})})
    assert (await client.call("spectate", {"guild_id": GUILD}))["ok"] is True
    ack = await client.call("request_elevation", {"token": token(secret="w" * 32)})
    assert ack["ok"] is False
    session = gateway.gateway.sessions[client.sio.get_sid()]
    assert session.claims is not None
    assert session.spectating is not None


async def test_renewal_without_the_guild_resets_the_spectate(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL})})
    assert (await client.call("spectate", {"guild_id": GUILD, "include_logs": True}))["ok"]
    await client.call("request_elevation", {"token": token(guilds={OTHER_GUILD: ALL})})
    assert client.received("spectate_reset") == [
        {"guild_id": GUILD, "reason": "permissions_changed"}
    ]
    publisher = Publisher(gateway.gateway.bus)
    await publisher.log(GUILD, entry())
    await asyncio.sleep(0.2)
    assert client.received("log_other") == []
    assert gateway.gateway.feeds.spectator_counts() == {}


async def test_renewal_losing_public_logs_resets_only_with_include_logs(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    with_logs = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x2})})
    without = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x2})})
    assert (await with_logs.call("spectate", {"guild_id": GUILD, "include_logs": True}))["ok"]
    assert (await without.call("spectate", {"guild_id": GUILD}))["ok"]
    narrowed = {"token": token(guilds={GUILD: 0x100})}
    await with_logs.call("request_elevation", narrowed)
    await without.call("request_elevation", narrowed)
    assert with_logs.received("spectate_reset") == [
        {"guild_id": GUILD, "reason": "permissions_changed"}
    ]
    assert without.received("spectate_reset") == []
    assert gateway.gateway.feeds.spectator_counts() == {GUILD: 1}


async def test_renewal_dropping_private_logs_only_stops_private_entries(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x6})})
    assert (await client.call("spectate", {"guild_id": GUILD, "include_logs": True}))["ok"]
    publisher = Publisher(gateway.gateway.bus)
    await publisher.log(GUILD, entry(private=True))
    await client.wait_for(lambda c: len(c.received("log_other")) == 1)
    await client.call("request_elevation", {"token": token(guilds={GUILD: 0x2})})
    await publisher.log(GUILD, entry(private=True))
    await publisher.log(GUILD, entry(private=False))
    await client.wait_for(lambda c: len(c.received("log_other")) == 2)
    await asyncio.sleep(0.1)
    assert [(e["seq"], e["private"]) for e in client.received("log_other")] == [
        (1, True),
        (3, False),
    ]
    assert client.received("spectate_reset") == []
    # and widening it again brings private entries back
    await client.call("request_elevation", {"token": token(guilds={GUILD: 0x6})})
    await publisher.log(GUILD, entry(private=True))
    await client.wait_for(lambda c: len(c.received("log_other")) == 3)


async def test_token_of_another_user_demotes_first(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token("1", {GUILD: ALL})})
    assert (await client.call("spectate", {"guild_id": GUILD}))["ok"]
    ack = await client.call("request_elevation", {"token": token("2", {GUILD: ALL})})
    assert ack["data"]["user_id"] == "2"
    session = gateway.gateway.sessions[client.sio.get_sid()]
    assert session.spectating is None  # a fresh elevation spectates nothing
    assert client.received("spectate_reset") == []


async def test_expiry_demotes_within_a_second(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL}, ttl=2)})
    session = gateway.gateway.sessions[client.sio.get_sid()]
    expires_at = session.claims.expires_at if session.claims else 0
    assert (await client.call("spectate", {"guild_id": GUILD, "include_logs": True}))["ok"]
    await client.wait_for(lambda c: bool(c.received("elevation_expired")), timeout=4)
    assert time.time() - expires_at < 1.0
    assert client.received("elevation_expired") == [{"reason": "token_expired"}]
    sid = client.sio.get_sid()
    assert rooms_of(gateway, sid) == {sid}
    error = (await client.call("spectate", {"guild_id": GUILD}))["error"]
    assert error["code"] == 401


async def test_renewal_before_expiry_is_seamless(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: ALL}, ttl=1)})
    assert (await client.call("spectate", {"guild_id": GUILD}))["ok"]
    await client.call("request_elevation", {"token": token(guilds={GUILD: ALL}, ttl=60)})
    await asyncio.sleep(1.5)
    assert client.received("elevation_expired") == []
    publisher = Publisher(gateway.gateway.bus)
    from tests.architus_ws.requests.test_spectate import member

    await publisher.upsert(GUILD, member("5").type, member("5").data)
    await client.wait_for(lambda c: len(c.received("log_pool")) == 1)


async def test_a_far_exp_token_is_a_401_and_changes_nothing(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url)
    sid = client.sio.get_sid()
    for exp in (1e300, 10**30, 253402300800):
        far = jwt.encode({"sub": "5", "exp": exp, "guilds": {GUILD: ALL}}, SECRET, "HS256")
        ack = await client.call("request_elevation", {"token": far})
        assert ack["error"]["code"] == 401, ack
        assert rooms_of(gateway, sid) == {sid}
        ack = await client.call("spectate", {"guild_id": GUILD})
        assert ack["error"]["code"] == 401, ack
