"""Tokens that cannot be taken any more (a real `architus-ws serve` killed and restarted, a real
Redis): with a `token_provider`, a connect or a reconnect refused for an expired token, or
offering one that ran out while away, goes through with a fresh one; a provider that fails
says so in the store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import jwt
import pytest

from architus_sdk import ArchitusClient, errors
from architus_sdk.store import Action, Dispatch, MiddlewareAPI
from architus_sdk.wire import SpectateData
from tests.conftest import SECRET, GatewayProcess, token

GUILD = "760000000000000001"


@pytest.fixture
async def gateway(redis_url: str) -> AsyncIterator[GatewayProcess]:
    process = GatewayProcess(redis_url)
    await process.start()
    yield process
    await process.kill()


def token_until(exp: float) -> str:
    return jwt.encode({"sub": "7", "exp": exp, "guilds": {GUILD: 0x2}}, SECRET, "HS256")


def kept(into: list[Action]) -> Callable[[MiddlewareAPI[Any]], Any]:
    def middleware(api: MiddlewareAPI[Any]) -> Callable[[Dispatch], Dispatch]:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            def dispatch(action: Action) -> Any:
                into.append(action)
                return next_dispatch(action)

            return dispatch

        return wrap

    return middleware


def payloads(actions: list[Action], name: str) -> list[Any]:
    return [action.payload for action in actions if action.type == name]


async def eventually(check: Callable[[], object], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


@pytest.mark.behaviour("refused-expired-connect")
async def test_a_connect_refused_for_an_expired_token_is_retried_with_a_fresh_one(
    gateway: GatewayProcess,
) -> None:
    asked: list[str] = []

    async def provider() -> str:
        asked.append(token("7", {GUILD: 0x2}))
        return asked[-1]

    actions: list[Action] = []
    client = ArchitusClient(
        gateway.url,
        token=token("7", {GUILD: 0x2}, ttl=-5),
        token_provider=provider,
        middleware=[kept(actions)],
        reconnect_delay=(0.1, 0.4),
    )
    try:
        await client.connect()  # refused once, then connected with the provider's token
        assert len(asked) == 1
        assert any("unauthenticated" in str(p) for p in payloads(actions, "connection/failed"))
        await eventually(lambda: client.state.session.user_id == "7")
        await client.spectate(GUILD, include_logs=True)

        # python-socketio's own reconnect, offering a token that expired while away
        await gateway.kill()
        await eventually(lambda: client.state.connection.status == "reconnecting")
        with pytest.raises(errors.NotConnected):
            await client.elevate(token("7", {GUILD: 0x2}, ttl=-5))
        refusals = len(payloads(actions, "connection/failed"))
        await gateway.start()
        await eventually(lambda: len(payloads(actions, "spectate/started")) == 2, timeout=30)
        resumed: SpectateData = payloads(actions, "spectate/started")[1][0]
        assert resumed.recovered is True
        assert len(asked) == 2
        # the expired token was offered and refused once, then the fresh one taken
        refused = payloads(actions, "connection/failed")[refusals:]
        assert sum("unauthenticated" in str(p) for p in refused) == 1
        assert client.state.session.user_id == "7"
        assert client.state.connection.status == "connected"
    finally:
        await client.close()


async def test_a_failing_provider_is_told_and_a_token_that_ran_out_away_is_replaced(
    gateway: GatewayProcess,
) -> None:
    exps: list[float] = []

    async def provider() -> str:
        if len(exps) == 1:
            exps.append(0.0)
            raise RuntimeError("the REST API is down")
        exps.append(time.time() + (3.0 if not exps else 3600.0))
        return token_until(exps[-1])

    actions: list[Action] = []
    client = ArchitusClient(
        gateway.url, token_provider=provider, middleware=[kept(actions)], reconnect_delay=(0.1, 0.4)
    )
    try:
        await client.connect()
        await eventually(lambda: client.state.session.elevated)
        await client.spectate(GUILD)
        await gateway.kill()
        # the renewal (half way through the 3 s token) asks the provider, which fails
        await eventually(lambda: len(exps) == 2)
        failed = payloads(actions, "connection/failed")
        assert "renewal: RuntimeError('the REST API is down')" in failed
        await eventually(lambda: time.time() > exps[0], timeout=5)  # the token ran out away
        await gateway.start()
        # the reconnect asks the provider before offering the expired token
        await eventually(lambda: len(payloads(actions, "spectate/started")) == 2, timeout=30)
        assert len(exps) == 3
        expires_at = client.state.session.expires_at
        assert expires_at is not None
        assert abs(expires_at.timestamp() - exps[2]) < 1e-3
        assert not any("unauthenticated" in str(p) for p in payloads(actions, "connection/failed"))
        assert client.state.spectate.guild_id == GUILD
    finally:
        await client.close()
