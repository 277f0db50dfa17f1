"""interpret over a real socket, anonymous: sandboxes, abuse limits, hostile regexes."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from architus_sdk.wire import InterpretData
from architus_ws.config import RateLimit
from bot_bridge.responder.maker import REGEX_BUDGET
from tests.conftest import Client, ClientFactory, RunningGateway, settings, start_gateway

GUILD = "670000000000000001"


@pytest.fixture
async def seeded() -> AsyncIterator[RunningGateway]:
    running = await start_gateway(settings(), random_source=lambda: random.Random(42))
    yield running
    await running.stop()


class Visitor:
    def __init__(self, client: Client, guild_id: str = GUILD) -> None:
        self.client = client
        self.guild_id = guild_id
        self.next_id = 0

    async def send(self, content: str) -> dict[str, Any]:
        self.next_id += 2
        return await self.client.call(
            "interpret",
            {
                "action": "send",
                "guild_id": self.guild_id,
                "message_id": str(self.next_id),
                "content": content,
            },
        )

    async def texts(self, content: str) -> list[str]:
        ack = await self.send(content)
        assert ack["ok"], ack
        data = InterpretData.model_validate(ack["data"])
        assert data.guild_id == self.guild_id
        return [a.content or "" for a in data.actions if a.action == "send"]


async def test_anonymous_golden_conversation_is_seeded_by_the_server(
    seeded: RunningGateway, connect: ClientFactory
) -> None:
    async def conversation() -> list[list[str]]:
        visitor = Visitor(await connect(seeded.url))
        return [
            await visitor.texts("!set thanks::[you're welcome!,no problem!]"),
            *[await visitor.texts("thanks") for _ in range(6)],
            await visitor.texts("!set hi::hello :wave:"),
            await visitor.texts("hi"),
            await visitor.texts("!remove thanks"),
            await visitor.texts("thanks"),
        ]

    first, second = await conversation(), await conversation()
    assert first == second  # the same seed, the same answers: randomness is the server's
    assert {answer for (answer,) in first[1:7]} <= {"you're welcome!", "no problem!"}
    assert first[8] == ["hello :wave:"]
    assert first[-1] == []


async def test_reactions_and_help_over_the_wire(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    visitor = Visitor(await connect(gateway.url))
    ack = await visitor.send("!help")
    help_id = ack["data"]["actions"][0]["message_id"]
    turned = await visitor.client.call(
        "interpret", {"action": "react", "guild_id": GUILD, "message_id": help_id, "emoji": "➡️"}
    )
    assert turned["data"]["actions"][0]["action"] == "edit"
    assert "page 2/3" in turned["data"]["actions"][0]["content"]
    back = await visitor.client.call(
        "interpret", {"action": "unreact", "guild_id": GUILD, "message_id": help_id, "emoji": "➡️"}
    )
    assert "page 3/3" in back["data"]["actions"][0]["content"]


async def test_sandboxes_are_per_connection_and_guild_and_die_with_it(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    alice = Visitor(await connect(gateway.url))
    bob = Visitor(await connect(gateway.url))
    alice_elsewhere = Visitor(alice.client, guild_id="670000000000000002")
    await alice.texts("!set secret::shh")
    assert await alice.texts("secret") == ["shh"]
    assert await bob.texts("secret") == []
    assert await alice_elsewhere.texts("secret") == []
    session = gateway.gateway.sessions[alice.client.sio.get_sid()]
    assert set(session.sandboxes) == {GUILD, "670000000000000002"}
    await alice.client.sio.disconnect()
    async with asyncio.timeout(2):
        while session.sid in gateway.gateway.sessions:
            await asyncio.sleep(0.01)
    again = Visitor(await connect(gateway.url))
    assert await again.texts("secret") == []


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"action": "send", "guild_id": GUILD, "message_id": "2"}, "send needs content"),
        ({"action": "send", "guild_id": GUILD, "message_id": "3", "content": "x"}, "even"),
        ({"action": "react", "guild_id": GUILD, "message_id": "3"}, "react needs emoji"),
        ({"action": "shout", "guild_id": GUILD, "message_id": "2", "content": "x"}, "action"),
        (
            {"action": "send", "guild_id": GUILD, "message_id": "2", "content": "x" * 2001},
            "content: String should have at most 2000",
        ),
    ],
)
async def test_bad_interpret_requests(
    gateway: RunningGateway, connect: ClientFactory, request_: dict[str, Any], message: str
) -> None:
    client = await connect(gateway.url)
    ack = await client.call("interpret", request_)
    assert ack["error"]["code"] == 400
    assert message in ack["error"]["message"]


async def test_default_interpret_budget_is_20_per_10_seconds(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    visitor = Visitor(await connect(gateway.url))
    answers = [await visitor.send("hello") for _ in range(21)]
    assert all(a["ok"] for a in answers[:20])
    assert answers[20]["error"]["code"] == 429
    assert answers[20]["error"]["reason"] == "rate_limited"
    assert 0 < answers[20]["error"]["retry_after"] <= 0.5
    # other events have their own budget
    assert (await visitor.client.call("demote"))["ok"]


async def test_interpret_limit_per_connection_recovers(connect: ClientFactory) -> None:
    running = await start_gateway(settings(interpret_rate=RateLimit(3, 0.3)))
    try:
        visitor = Visitor(await connect(running.url))
        answers = [await visitor.send("hi") for _ in range(4)]
        assert [a["ok"] for a in answers] == [True, True, True, False]
        await asyncio.sleep(answers[-1]["error"]["retry_after"] + 0.01)
        assert (await visitor.send("hi"))["ok"]
    finally:
        await running.stop()


async def test_interpret_limit_per_address_spans_connections(connect: ClientFactory) -> None:
    running = await start_gateway(
        settings(interpret_rate=RateLimit(100, 1), interpret_address_rate=RateLimit(5, 10))
    )
    try:
        visitors = [Visitor(await connect(running.url)) for _ in range(3)]
        answers = [await visitors[n % 3].send("hi") for n in range(6)]
        assert [a["ok"] for a in answers] == [True] * 5 + [False]
        assert answers[-1]["error"]["code"] == 429
    finally:
        await running.stop()


async def test_hostile_regex_does_not_stall_other_sockets(connect: ClientFactory) -> None:
    # the bystander asks every 5 ms for as long as the attack lasts: past the default budget
    gateway = await start_gateway(settings(request_rate=RateLimit(10**6, 1)))
    try:
        await hostile_regex_does_not_stall_other_sockets(gateway, connect)
    finally:
        await gateway.stop()


async def hostile_regex_does_not_stall_other_sockets(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    attacker = Visitor(await connect(gateway.url))
    bystander = Visitor(await connect(gateway.url))
    await attacker.texts(r"!set ^(a+)+$::boom")
    await attacker.texts(r"!set ^(a|aa)+$::boom")
    attack = [asyncio.create_task(attacker.send("a" * 1990 + "!")) for _ in range(6)]
    round_trips = []
    while not all(task.done() for task in attack):
        started = time.monotonic()
        ack = await bystander.client.call("demote")
        assert ack["ok"], ack
        round_trips.append(time.monotonic() - started)
        await asyncio.sleep(0.005)
    answers = [task.result() for task in attack]
    assert all(a["ok"] and a["data"]["actions"] == [] for a in answers), answers
    assert len(round_trips) >= 5
    # A loop blocked by the regexes would hold the bystander for a whole regex budget.
    assert max(round_trips) < REGEX_BUDGET / 2, round_trips
