"""Every row of the contract's error table, over a real socket; none closes the connection."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from architus_ws.config import RateLimit
from architus_ws.requests.handlers import Handler
from tests.conftest import ClientFactory, RunningGateway, settings, start_gateway, token
from tests.ports import free_port
from tests.raw_socket import RawSocket

GUILD = "400000000000000001"


def error_of(ack: dict[str, Any]) -> tuple[int, str]:
    assert ack["ok"] is False, ack
    return ack["error"]["code"], ack["error"]["reason"]


async def still_serves(client: Any) -> None:
    assert (await client.call("demote"))["ok"] is True
    assert client.sio.connected


async def test_payload_as_object_as_json_string_or_absent(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url)
    elevate = {"token": token(guilds={GUILD: 0x112})}
    assert (await client.call("request_elevation", elevate))["ok"] is True
    assert (await client.call("request_elevation", json.dumps(elevate)))["ok"] is True
    assert await client.call("demote") == {"ok": True, "data": {}}
    assert await client.call("demote", "{}") == {"ok": True, "data": {}}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "payload is not JSON"),
        ("[1, 2]", "payload must be a JSON object"),
        ([1, 2], "payload must be a JSON object"),
        ("42", "payload must be a JSON object"),
        ({"guild_id": 42}, "guild_id: Input should be a valid string"),
        ({"guild_id": "12ab"}, "guild_id: String should match pattern"),
        (
            {"guild_id": GUILD, "include_logs": "yes"},
            "include_logs: Input should be a valid boolean",
        ),
        ({"guild_id": GUILD, "colour": "red"}, "colour: Extra inputs are not permitted"),
        ({}, "guild_id: Field required"),
        (
            {"guild_id": GUILD, "resume": {"epoch": "e", "pool_seq": -1, "logs_seq": 0}},
            "resume.pool_seq: Input should be greater than or equal to 0",
        ),
    ],
)
async def test_bad_requests_name_the_field(
    gateway: RunningGateway, connect: ClientFactory, payload: Any, message: str
) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x112})})
    ack = await client.call("spectate", payload)
    assert error_of(ack) == (400, "bad_request")
    assert message in ack["error"]["message"]
    await still_serves(client)


async def test_more_than_one_argument_is_a_bad_request(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url)
    ack = await client.sio.call("demote", ({}, {}), timeout=5)
    assert error_of(ack) == (400, "bad_request")


async def test_elevation_is_needed(gateway: RunningGateway, connect: ClientFactory) -> None:
    client = await connect(gateway.url)
    ack = await client.call("spectate", {"guild_id": GUILD})
    assert error_of(ack) == (401, "unauthenticated")
    ack = await client.call("request_elevation", {"token": token(ttl=-5)})
    assert error_of(ack) == (401, "unauthenticated")
    assert ack["error"]["message"] == "token expired"
    await still_serves(client)


async def test_forbidden(gateway: RunningGateway, connect: ClientFactory) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x100})})
    assert error_of(await client.call("spectate", {"guild_id": "1"})) == (403, "forbidden")
    ack = await client.call("spectate", {"guild_id": GUILD, "include_logs": True})
    assert error_of(ack) == (403, "forbidden")
    assert "VIEW_PUBLIC_LOGS" in ack["error"]["message"]
    assert (await client.call("spectate", {"guild_id": GUILD}))["ok"] is True


@pytest.mark.parametrize("name", ["no_such_event", "connect", "disconnect", "x" * 500])
async def test_unknown_events(gateway: RunningGateway, connect: ClientFactory, name: str) -> None:
    client = await connect(gateway.url, auth={"token": token(guilds={GUILD: 0x112})})
    ack = await client.call(name, {})
    assert error_of(ack) == (404, "unknown_event")
    assert len(ack["error"]["message"]) < 100
    # A client naming the lifecycle events must not have run them: still elevated.
    assert (await client.call("spectate", {"guild_id": GUILD}))["ok"] is True
    assert len(gateway.gateway.sessions) == 1


async def test_event_names_that_are_not_strings(gateway: RunningGateway) -> None:
    """Scalars are answered as unknown events; an object or array as a name (which
    python-socketio cannot look up) is refused at the protocol layer."""
    for ack_id, name in enumerate([None, 5, True, 1.5]):
        raw = await RawSocket.open(gateway.url)
        await raw.send(f"42{ack_id}" + json.dumps([name, {}]))
        assert error_of(await raw.ack(ack_id)) == (404, "unknown_event")
        assert (await raw.request(99, "demote", {}))["ok"] is True
        await raw.close()
    for structured in ({}, [1], {"a": [1]}):
        raw = await RawSocket.open(gateway.url)
        await raw.send("421" + json.dumps([structured, {}]))
        assert await raw.ack(1) is None
        assert raw.closed
    async with asyncio.timeout(5):
        while gateway.gateway.engine.sessions:
            await asyncio.sleep(0.02)


async def test_payload_too_large_is_checked_before_validation(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url)
    big = {"token": "x" * (65 * 1024)}
    for payload in (big, json.dumps(big)):
        ack = await client.call("request_elevation", payload)
        assert error_of(ack) == (413, "payload_too_large")
    junk = {"unknown": "y" * (70 * 1024)}
    assert error_of(await client.call("nope", junk)) == (404, "unknown_event")
    assert error_of(await client.call("demote", junk)) == (413, "payload_too_large")
    await still_serves(client)


async def test_frames_over_the_transport_limit_close_the_connection(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url)
    await client.sio.emit("demote", {"blob": "z" * 1_100_000})
    await client.wait_for(lambda c: not c.sio.connected)
    healthy = await connect(gateway.url)
    await still_serves(healthy)


async def test_default_request_budget_is_100_per_10_seconds(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    client = await connect(gateway.url)
    started = time.monotonic()
    allowed = 0
    while allowed < 1000:
        ack = await client.call("demote")
        if not ack["ok"]:
            break
        allowed += 1
    elapsed = time.monotonic() - started
    assert error_of(ack) == (429, "rate_limited")
    assert 0 < ack["error"]["retry_after"] <= 0.1
    # 100 at once, plus the 10 per second that refill while the requests go by
    assert 100 <= allowed <= 100 + int(elapsed * 10) + 1
    other = await connect(gateway.url)  # the budget is per connection
    assert (await other.call("demote"))["ok"] is True


async def test_rate_limit_recovers(connect: ClientFactory) -> None:
    running = await start_gateway(settings(request_rate=RateLimit(3, 0.3)))
    try:
        client = await connect(running.url)
        answers = [await client.call("demote") for _ in range(4)]
        assert [a["ok"] for a in answers] == [True, True, True, False]
        retry_after = answers[-1]["error"]["retry_after"]
        import asyncio

        await asyncio.sleep(retry_after + 0.01)
        assert (await client.call("demote"))["ok"] is True
    finally:
        await running.stop()


async def test_unavailable_bus_answers_503_and_keeps_state(connect: ClientFactory) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    running = await start_gateway(settings(dead))
    try:
        client = await connect(running.url, auth={"token": token(guilds={GUILD: 0x112})})
        ack = await client.call("spectate", {"guild_id": GUILD})
        assert error_of(ack) == (503, "unavailable")
        assert running.gateway.sessions[client.sio.get_sid()].spectating is None
        assert running.gateway.feeds.spectator_counts() == {}
        await still_serves(client)
    finally:
        await running.stop()


async def test_a_bug_answers_500_with_a_correlation_id(
    gateway: RunningGateway, connect: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    from architus_sdk.wire import DemoteRequest

    async def broken(session: Any, request: Any) -> Any:
        raise ZeroDivisionError("a bug")

    gateway.gateway.table["demote"] = Handler(DemoteRequest, broken)
    client = await connect(gateway.url)
    ack = await client.call("demote")
    assert error_of(ack) == (500, "internal")
    correlation_id = ack["error"]["correlation_id"]
    assert correlation_id in caplog.text
    assert "ZeroDivisionError" in caplog.text
    assert client.sio.connected
    assert (await client.call("request_elevation", {"token": token()}))["ok"] is True


async def test_unknown_events_are_charged_to_the_request_budget(connect: ClientFactory) -> None:
    """A flood of names that exist nowhere costs the sender its budget like any request."""
    running = await start_gateway(settings(request_rate=RateLimit(5, 100)))
    try:
        client = await connect(running.url)
        answers = [await client.call(name, {}) for name in ("nope", "connect", "x", "y", "z")]
        assert [error_of(a) for a in answers] == [(404, "unknown_event")] * 5
        assert error_of(await client.call("nope", {})) == (429, "rate_limited")
        assert error_of(await client.call("disconnect", {})) == (429, "rate_limited")
        assert error_of(await client.call("demote")) == (429, "rate_limited")
    finally:
        await running.stop()
