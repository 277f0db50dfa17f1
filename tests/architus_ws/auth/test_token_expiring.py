"""`token_expiring` (CONTRACT 2.3): once per token, the renew notice before `exp` (at once if
less is left), after the elevation's ack; re-armed by a renewal, cancelled by a demote, and
the expiry rule (`elevation_expired` within 1 s of `exp`) kept beside it.

Every timing is measured on the client, from when its ack (or connect) arrived: tokens carry
an exact `exp` a few seconds ahead and the gateway's notice is 2 s, so nothing waits long and
nothing sleeps a fixed time: a test that must show a notice did NOT come waits for an event
that comes after it would have (the socket's own expiry, or a control socket's notice).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
import pytest
import socketio

from architus_sdk.wire import ServerEvent, TokenExpiring
from tests.architus_ws.requests.test_spectate import GUILD
from tests.conftest import SECRET, RunningGateway, settings, start_gateway

NOTICE = 2.0


def token_until(exp: float, user: str = "7") -> str:
    """A token expiring at exactly `exp` (the shared `token()` rounds `iat` down to the
    second, which would move the notice by up to a second)."""
    return jwt.encode({"sub": user, "exp": exp, "guilds": {GUILD: 0x112}}, SECRET, "HS256")


@dataclass
class Timeline:
    """A python-socketio client recording what arrives, in order, with the monotonic time it
    arrived: the connect, every push and the acks of the requests sent through `call`."""

    sio: socketio.AsyncClient
    arrivals: list[tuple[float, str, Any]] = field(default_factory=list)

    def record(self, name: str) -> Callable[..., None]:
        def arrived(data: Any = None) -> None:
            self.arrivals.append((time.monotonic(), name, data))

        return arrived

    async def call(self, event: str, payload: dict[str, Any]) -> tuple[float, Any]:
        """Send a request; its ack is recorded in the timeline as `ack:<event>`."""
        answered: asyncio.Future[tuple[float, Any]] = asyncio.get_running_loop().create_future()

        def acked(ack: Any) -> None:
            self.arrivals.append((time.monotonic(), f"ack:{event}", ack))
            answered.set_result((time.monotonic(), ack))

        await self.sio.emit(event, payload, callback=acked)
        async with asyncio.timeout(5):
            return await answered

    def names(self) -> list[str]:
        return [name for _, name, _ in self.arrivals]

    def notices(self) -> list[tuple[float, TokenExpiring]]:
        return [
            (at, TokenExpiring.model_validate(data))
            for at, name, data in self.arrivals
            if name == ServerEvent.TOKEN_EXPIRING
        ]

    async def wait_for(self, name: str, count: int = 1, timeout: float = 6.0) -> None:
        async with asyncio.timeout(timeout):
            while self.names().count(name) < count:
                await asyncio.sleep(0.005)


TimelineFactory = Callable[..., Awaitable[Timeline]]


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    running = await start_gateway(settings(renew_notice_seconds=NOTICE))
    yield running
    await running.stop()


@pytest.fixture
async def timeline() -> AsyncIterator[TimelineFactory]:
    made: list[Timeline] = []

    async def factory(url: str, auth: Any = None) -> Timeline:
        sio = socketio.AsyncClient(reconnection=False)
        client = Timeline(sio)
        sio.on("connect", client.record("connect"))
        for event in ServerEvent:
            sio.on(event.value, client.record(event.value))
        made.append(client)
        await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
        return client

    yield factory
    for client in made:
        with contextlib.suppress(Exception):
            await client.sio.disconnect()


EXPIRING = ServerEvent.TOKEN_EXPIRING.value
EXPIRED = ServerEvent.ELEVATION_EXPIRED.value


async def test_the_notice_comes_the_notice_before_exp_once(
    gateway: RunningGateway, timeline: TimelineFactory
) -> None:
    client = await timeline(gateway.url)
    exp = time.time() + 3
    elevated_at, ack = await client.call("request_elevation", {"token": token_until(exp)})
    assert ack["ok"], ack
    await client.wait_for(EXPIRING)
    [(at, notice)] = client.notices()
    assert 0.8 <= at - elevated_at <= 2.0, at - elevated_at
    assert 1.7 <= notice.seconds_left <= NOTICE, notice
    assert notice.expires_at == datetime.fromisoformat(ack["data"]["expires_at"])
    assert abs(notice.expires_at.timestamp() - exp) < 1e-3
    # then the expiry, on time, and still one notice
    await client.wait_for(EXPIRED)
    assert time.time() - exp < 1.0
    assert client.names() == ["connect", "ack:request_elevation", EXPIRING, EXPIRED]


async def test_less_than_the_notice_left_is_told_at_once_after_the_ack(
    gateway: RunningGateway, timeline: TimelineFactory
) -> None:
    client = await timeline(gateway.url)
    exp = time.time() + 1.5
    elevated_at, ack = await client.call("request_elevation", {"token": token_until(exp)})
    assert ack["ok"], ack
    await client.wait_for(EXPIRING)
    [(at, notice)] = client.notices()
    assert at - elevated_at < 0.5
    assert 1.0 <= notice.seconds_left <= 1.5
    assert client.names() == ["connect", "ack:request_elevation", EXPIRING]


async def test_a_connect_time_elevation_is_told_after_the_connect(
    gateway: RunningGateway, timeline: TimelineFactory
) -> None:
    soon = await timeline(gateway.url, auth={"token": token_until(time.time() + 1.5)})
    later_exp = time.time() + 3
    later = await timeline(gateway.url, auth={"token": token_until(later_exp)})
    await soon.wait_for(EXPIRING)
    assert soon.names() == ["connect", EXPIRING]
    await later.wait_for(EXPIRING)
    connected_at = later.arrivals[0][0]
    [(at, notice)] = later.notices()
    assert 0.8 <= at - connected_at <= 2.0
    assert abs(notice.expires_at.timestamp() - later_exp) < 1e-3


async def test_a_renewal_rearms_the_notice_for_the_new_token(
    gateway: RunningGateway, timeline: TimelineFactory
) -> None:
    exp = time.time() + 3
    control = await timeline(gateway.url, auth={"token": token_until(exp)})
    renewed = await timeline(gateway.url, auth={"token": token_until(exp)})
    new_exp = exp + 1.5
    renewed_at, ack = await renewed.call("request_elevation", {"token": token_until(new_exp)})
    assert ack["ok"], ack
    # the old token's notice would have come with the control's, a second before this one
    await renewed.wait_for(EXPIRING)
    assert control.names() == ["connect", EXPIRING]
    [(at, notice)] = renewed.notices()
    assert abs(notice.expires_at.timestamp() - new_exp) < 1e-3
    assert 2.3 <= at - renewed_at <= 3.5
    # the control expires on its old token; the renewed socket does not
    await control.wait_for(EXPIRED)
    await renewed.wait_for(EXPIRED)
    assert time.time() - new_exp < 1.0
    assert renewed.names() == ["connect", "ack:request_elevation", EXPIRING, EXPIRED]


async def test_a_renewal_after_the_notice_is_told_again_for_the_new_token(
    gateway: RunningGateway, timeline: TimelineFactory
) -> None:
    client = await timeline(gateway.url, auth={"token": token_until(time.time() + 1.5)})
    await client.wait_for(EXPIRING)
    new_exp = time.time() + 3
    renewed_at, ack = await client.call("request_elevation", {"token": token_until(new_exp)})
    assert ack["ok"], ack
    await client.wait_for(EXPIRING, count=2)
    _, second = client.notices()
    assert abs(second[1].expires_at.timestamp() - new_exp) < 1e-3
    assert 0.8 <= second[0] - renewed_at <= 2.0
    # the first token's expiry went with it: the socket expires on the new token only
    await client.wait_for(EXPIRED)
    assert 0 <= time.time() - new_exp < 1.0
    assert client.names() == ["connect", EXPIRING, "ack:request_elevation", EXPIRING, EXPIRED]


async def test_the_same_exp_again_is_not_told_twice(
    gateway: RunningGateway, timeline: TimelineFactory
) -> None:
    exp = time.time() + 1.5
    client = await timeline(gateway.url, auth={"token": token_until(exp)})
    await client.wait_for(EXPIRING)
    # a client handed the same token again (or another with the same exp)
    for _ in range(2):
        _, ack = await client.call("request_elevation", {"token": token_until(exp)})
        assert ack["ok"], ack
    await client.wait_for(EXPIRED)
    assert time.time() - exp < 1.0
    assert client.names() == [
        "connect",
        EXPIRING,
        "ack:request_elevation",
        "ack:request_elevation",
        EXPIRED,
    ]


async def test_a_demote_cancels_the_notice(
    gateway: RunningGateway, timeline: TimelineFactory
) -> None:
    exp = time.time() + 3
    control = await timeline(gateway.url, auth={"token": token_until(exp)})
    demoted = await timeline(gateway.url, auth={"token": token_until(exp)})
    session = gateway.gateway.sessions[demoted.sio.get_sid()]
    assert session.expiry is not None
    _, ack = await demoted.call("demote", {})
    assert ack == {"ok": True, "data": {}}
    assert session.expiry is None
    await control.wait_for(EXPIRED)
    assert control.names() == ["connect", EXPIRING, EXPIRED]
    assert demoted.names() == ["connect", "ack:demote"]


async def test_the_notice_is_before_exp_and_the_expiry_after_the_leeway() -> None:
    running = await start_gateway(settings(renew_notice_seconds=NOTICE, jwt_leeway=1.0))
    sio = socketio.AsyncClient(reconnection=False)
    client = Timeline(sio)
    for event in (EXPIRING, EXPIRED):
        sio.on(event, client.record(event))
    try:
        exp = time.time() + 3
        await sio.connect(running.url, transports=["websocket"], wait_timeout=5)
        elevated_at, ack = await client.call("request_elevation", {"token": token_until(exp)})
        assert ack["ok"], ack
        await client.wait_for(EXPIRED, timeout=8)
        [(at, notice)] = client.notices()
        assert 0.8 <= at - elevated_at <= 2.0
        assert 1.7 <= notice.seconds_left <= NOTICE
        expired_at = time.time()
        assert exp + 1.0 <= expired_at < exp + 2.0
    finally:
        await sio.disconnect()
        await running.stop()
