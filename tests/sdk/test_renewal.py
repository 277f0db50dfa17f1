"""The SDK renews on the gateway's `token_expiring` (a real `architus-ws serve`, a real Redis
bus, a publisher publishing throughout): no gap, no duplicate, no `elevation_expired`; one
renewal at a time; without a provider the notice is in the store."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import jwt
import pytest

from architus_sdk import ArchitusClient
from architus_sdk.store import Action, Dispatch, MiddlewareAPI
from bot_bridge.bus import Bus, mirror_for
from bot_bridge.publisher import Publisher
from tests.architus_ws.requests.test_spectate import entry
from tests.conftest import SECRET, GatewayProcess

GUILD = "730000000000000001"
NOTICE = "2"  # ARCHITUS_RENEW_NOTICE_SECONDS of the gateway
TTL = 3.0  # the provider's tokens: told 1 s after each elevation; the SDK's own timer at 1.5 s


def token_until(exp: float) -> str:
    # an exact `exp` (the shared `token()` rounds to the second, moving the notice)
    return jwt.encode({"sub": "7", "exp": exp, "guilds": {GUILD: 0x2}}, SECRET, "HS256")


@pytest.fixture
async def gateway(redis_url: str) -> AsyncIterator[GatewayProcess]:
    process = GatewayProcess(redis_url, ARCHITUS_RENEW_NOTICE_SECONDS=NOTICE)
    await process.start()
    yield process
    await process.kill()


@pytest.fixture
async def publisher(redis_url: str) -> AsyncIterator[Publisher]:
    bus, mirror = Bus(redis_url), mirror_for(redis_url)
    await bus.connect()
    yield Publisher(bus, mirror)
    await bus.disconnect()
    await mirror.disconnect()


def recorder(actions: list[tuple[float, str, Any]]) -> Callable[[MiddlewareAPI[Any]], Any]:
    """A middleware keeping every action with the monotonic time it was dispatched."""

    def middleware(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            def dispatch(action: Action) -> Any:
                actions.append((time.monotonic(), action.type, action.payload))
                return next_dispatch(action)

            return dispatch

        return wrap

    return middleware


def renewed(client: ArchitusClient, exps: list[float], times: int) -> bool:
    """The client is elevated with the provider's token number `times` (0: the first), of
    the `exps` the provider gave."""
    expires_at = client.state.session.expires_at
    return (
        len(exps) > times
        and expires_at is not None
        and abs(expires_at.timestamp() - exps[times]) < 1e-3
    )


async def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


@pytest.mark.behaviour("renew-notice")
async def test_renewal_on_the_notice_loses_and_repeats_nothing(
    gateway: GatewayProcess, publisher: Publisher
) -> None:
    provided: list[tuple[float, float]] = []  # (monotonic time asked, exp given)

    async def provider() -> str:
        exp = time.time() + TTL
        provided.append((time.monotonic(), exp))
        return token_until(exp)

    actions: list[tuple[float, str, Any]] = []
    client = ArchitusClient(gateway.url, token_provider=provider, middleware=[recorder(actions)])
    await client.connect()
    published = 0
    try:
        await client.elevate()
        await client.spectate(GUILD, include_logs=True)
        # publish throughout three renewals, then let the last pushes arrive
        while not renewed(client, [exp for _, exp in provided], 3):
            await publisher.log(GUILD, entry())
            published += 1
            await asyncio.sleep(0.01)  # a paced publisher (~100 entries a second), not a wait
        await eventually(lambda: client.state.spectate.logs_seq == published)
    finally:
        await client.close()

    seqs = [entry.seq for entry in client.state.logs.entries]
    assert seqs == list(range(1, published + 1))  # every entry, once, in order
    assert not [payload for _, name, payload in actions if name == "session/demoted"]
    assert client.state.spectate.guild_id == GUILD

    # each renewal was the notice's: the provider was asked right after a `session/expiring`
    # about the token then in place, before the SDK's own timer (half way) was due
    notices = [(at, payload) for at, name, payload in actions if name == "session/expiring"]
    for (notice_at, notice), (asked_at, _), (given_at, given_exp) in zip(
        notices[:3], provided[1:4], provided[:3], strict=True
    ):
        assert abs(notice.expires_at.timestamp() - given_exp) < 1e-3
        assert 0 <= asked_at - notice_at < 0.3
        assert asked_at - given_at < TTL / 2
    # one renewal per token: each token elevated once by the renewal (and the first one by
    # `elevate()` after the connect), none expired, none renewed twice
    elevated = [p.expires_at.timestamp() for _, name, p in actions if name == "session/elevated"]
    given = [exp for _, exp in provided[:4]]
    assert [round(e, 3) for e in elevated[:5]] == [round(e, 3) for e in given[:1] + given]


@pytest.mark.behaviour("renew-expired")
async def test_after_expiry_a_fresh_token_resumes_with_nothing_lost(
    gateway: GatewayProcess, publisher: Publisher
) -> None:
    first_exp = time.time() + TTL
    asked: list[float] = []
    expired = asyncio.Event()

    async def provider() -> str:
        asked.append(time.time())
        if len(asked) == 1:
            return token_until(first_exp)
        # the dashboard's REST API answers the renewal (started 1.5 s before exp) only once
        # the token has run out
        async with asyncio.timeout(TTL + 5):
            await expired.wait()
        return token_until(time.time() + 3600)

    def watch(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            def dispatch(action: Action) -> Any:
                if action.type == "session/demoted" and action.payload == "token_expired":
                    expired.set()
                return next_dispatch(action)

            return dispatch

        return wrap

    actions: list[tuple[float, str, Any]] = []
    client = ArchitusClient(
        gateway.url, token_provider=provider, middleware=[recorder(actions), watch]
    )
    await client.connect()
    published = 0

    def on_a_fresh_token() -> bool:
        expires_at = client.state.session.expires_at
        return expires_at is not None and expires_at.timestamp() > time.time() + 600

    try:
        await client.elevate()
        await client.spectate(GUILD, include_logs=True)
        # publish before, through and after the expiry
        deadline = time.monotonic() + 15
        while not on_a_fresh_token() or published < 400:
            assert time.monotonic() < deadline, "not elevated again with a fresh token"
            await publisher.log(GUILD, entry())
            published += 1
            await asyncio.sleep(0.01)  # a paced publisher (~100 entries a second), not a wait
        await eventually(lambda: client.state.spectate.logs_seq == published)
    finally:
        await client.close()

    assert expired.is_set()  # it did run out: the gateway's elevation_expired came
    assert len(asked) >= 2
    assert client.state.spectate.guild_id == GUILD
    seqs = [entry.seq for entry in client.state.logs.entries]
    assert seqs == list(range(1, published + 1))  # every entry, once, in order
    resumed = [p[0] for _, name, p in actions if name == "spectate/started"][-1]
    assert resumed.recovered is True


@pytest.mark.behaviour("notice-in-store", "expired-without-provider")
async def test_without_a_provider_the_notice_is_in_the_store(gateway: GatewayProcess) -> None:
    exp = time.time() + TTL
    actions: list[tuple[float, str, Any]] = []
    async with ArchitusClient(
        gateway.url, token=token_until(exp), middleware=[recorder(actions)]
    ) as client:
        await client.elevate()
        await client.spectate(GUILD)
        await eventually(lambda: client.state.session.expiring is not None)
        notice = client.state.session.expiring
        assert notice is not None
        assert abs(notice.expires_at.timestamp() - exp) < 1e-3
        assert 0 < notice.seconds_left <= float(NOTICE)
        # nothing renews it: it expires
        await eventually(lambda: not client.state.session.elevated)
        assert time.time() >= exp
        assert client.state.session.expiring is None
        assert client.state.spectate.guild_id is None
    assert [name for _, name, _ in actions].count("session/expiring") == 1


@pytest.mark.behaviour("renew-once")
async def test_one_renewal_at_a_time(gateway: GatewayProcess) -> None:
    """The SDK's own timer (half way, for tokens this short) starts a renewal; the gateway's
    notice arrives while the provider is still answering: no second renewal."""
    ttl = 6.0  # the timer at 3 s, the notice (2 s before exp) at 4 s
    provided: list[float] = []
    noticed = asyncio.Event()

    async def provider() -> str:
        if provided:
            # a slow provider: still answering when the notice comes
            async with asyncio.timeout(ttl):
                await noticed.wait()
        provided.append(time.time() + ttl)
        return token_until(provided[-1])

    def watch(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            def dispatch(action: Action) -> Any:
                result = next_dispatch(action)
                if action.type == "session/expiring":
                    noticed.set()
                return result

            return dispatch

        return wrap

    async with ArchitusClient(gateway.url, token_provider=provider, middleware=[watch]) as client:
        await client.elevate()
        await eventually(lambda: renewed(client, provided, 1))
    assert noticed.is_set()
    assert len(provided) == 2  # the connect's token and one renewal


@pytest.mark.behaviour("renew-timer")
async def test_tokens_shorter_than_the_notice_are_renewed_half_way_not_in_a_loop(
    gateway: GatewayProcess,
) -> None:
    """Each fresh token is inside the notice already, so the gateway tells it at once: renewing
    on that would renew without end. The SDK renews such tokens half way through instead."""
    ttl = 1.5  # under the gateway's 2 s notice
    asked: list[float] = []
    exps: list[float] = []

    async def provider() -> str:
        asked.append(time.monotonic())
        exps.append(time.time() + ttl)
        return token_until(exps[-1])

    actions: list[tuple[float, str, Any]] = []
    async with ArchitusClient(
        gateway.url, token_provider=provider, middleware=[recorder(actions)]
    ) as client:
        await client.elevate()
        await eventually(lambda: len(asked) >= 5)
    assert [name for _, name, _ in actions].count("session/expiring") >= 4
    assert not [payload for _, name, payload in actions if name == "session/demoted"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(asked[:5])]
    assert all(ttl / 2 - 0.1 <= gap < ttl for gap in gaps), gaps
