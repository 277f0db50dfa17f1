"""interpret over a real socket, anonymous: sandboxes, abuse limits, hostile regexes."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from architus_sdk.wire import InterpretData
from architus_ws.config import RateLimit
from bot_bridge.responder.maker import REGEX_BUDGET
from tests.architus_ws.fanout.test_slow_consumer import rss_kib
from tests.conftest import (
    Client,
    ClientFactory,
    GatewayProcess,
    RunningGateway,
    settings,
    start_gateway,
)

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

    async def send(self, content: str, timeout: float = 5) -> dict[str, Any]:
        self.next_id += 2
        answer: dict[str, Any] = await self.client.call(
            "interpret",
            {
                "action": "send",
                "guild_id": self.guild_id,
                "message_id": str(self.next_id),
                "content": content,
            },
            timeout=timeout,
        )
        return answer

    async def texts(self, content: str, timeout: float = 5) -> list[str]:
        ack = await self.send(content, timeout)
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
    assert max(round_trips) < REGEX_BUDGET * 0.9, round_trips


@pytest.fixture
async def gateway_process(redis_url: str) -> AsyncIterator[GatewayProcess]:
    """A gateway in a process of its own, whose memory can be read; interpret budgets out of
    the way, so that only the regexes' cost is measured."""
    unlimited = "1000000/1"
    process = GatewayProcess(
        redis_url,
        ARCHITUS_REQUEST_RATE=unlimited,
        ARCHITUS_INTERPRET_RATE=unlimited,
        ARCHITUS_INTERPRET_ADDRESS_RATE=unlimited,
    )
    await process.start()
    yield process
    await process.kill()


def pid_of(gateway: GatewayProcess) -> int:
    assert gateway.process is not None
    return gateway.process.pid


async def connections(gateway: GatewayProcess) -> float:
    async with aiohttp.ClientSession() as http, http.get(gateway.url + "/metrics") as response:
        text = await response.text()
    (line,) = [line for line in text.splitlines() if line.startswith("architus_connections ")]
    return float(line.split()[1])


# Each was, before triggers were bounded, seconds of a frozen event loop and gigabytes kept by
# the regex package's process-wide cache; now each is a refusal, like any other `!set`.
HUGE_REGEXES = [
    ("!remove ^a{10000000}$", "❌ no auto response `^a{10000000}$`"),
    ("!set ^a{10000000}$::x", "❌ regex repeat counts are at most 100"),
    ("!set ^(a{99}){99}$::x", "❌ that regex's repeats write out 9803 items"),
    ("!remove ^((a{99}){99}){99}$", "❌ no auto response"),
    ("!set ^(?:(?:(?:a{10}){10}){10}){10}$::x", "❌ that regex's repeats write out"),
    ("!set ^a{100}b{100}c{100}d{100}e{100}f{100}$::x", "❌ that regex's repeats write out"),
    ("!set ^((((((a{9}){9}){9}){9}){9}){9})$::x", "❌ regex groups nest at most 5 deep"),
    ("!set ^a{0000000000000000000000000000000000000000000010000000}$::x", "❌ regex repeat"),
    ("!set ^a{99}{99}{99}$::x", "❌ `{` must follow something to repeat, once"),
    ("!set ^(?:a{100}){e<=3}$::x", "❌ a `{` in a regex must be a repeat"),
    ("!set ^(?i)(?:ß{100}){100}$::x", "❌ triggers support"),
    ("!set ^(?V1)[\\p{L}--\\p{Lu}]{100}$::x", "❌ triggers support"),
    ("!set ^(a)(?1){100}(?R)$::x", "❌ triggers support"),
    ("!set ^\\L<huge>$::x", "❌ `\\L` is not supported"),
    ("!set ^(?:(?:(?=a)?){100}[a-z])?$::x", "❌ that regex has 201 places to backtrack to"),
    ("!set ^(?=(?:a|aa)*?(a)+)+\\w*?\\1+$::y", "❌ a lookaround may not be repeated"),
    # the heaviest allowed; a second one finds this sandbox's regex memory spent
    ("!set ^(?:(\\w){10}){48}$::x", "✅"),
    ("!set ^(?:(\\w){10}){48}0$::x", "❌ that regex needs 191 KiB"),
    # the hungriest matches allowed, each run to its time limit: no reply, and memory back
    ("!set ^(?:(?:()?){49}[a-z])*$::x", "✅"),
    ("!set ^(?=(?:a|aa)*?(a)+){10}\\w*?\\1+$::y", "✅"),
    ("a" * 1999 + "!", None),
    ("a" * 1999 + "?", None),
]


async def test_huge_regexes_are_refused_and_cost_nobody_anything(
    gateway_process: GatewayProcess, connect: ClientFactory
) -> None:
    pid = pid_of(gateway_process)
    attacker = Visitor(await connect(gateway_process.url))
    bystander = Visitor(await connect(gateway_process.url))
    # warm both paths (a compile, a match) before the baseline
    assert (await attacker.texts(r"!set ^warm (\w+)$::up"))[0].startswith("✅")
    assert await attacker.texts("warm it") == ["up"]
    assert await bystander.texts("hello") == []
    baseline = rss_kib(pid)

    # Patient calls: a frozen gateway should fail on the figures below, not on a timeout.
    async def round_trip() -> float:
        started = time.monotonic()
        assert await bystander.texts("hello", timeout=60) == []
        return time.monotonic() - started

    round_trips = []
    for attack, answer in HUGE_REGEXES:
        # the bystander asks while the attack is being answered
        replies, took = await asyncio.gather(attacker.texts(attack, timeout=60), round_trip())
        round_trips.append(took)
        grown = (rss_kib(pid) - baseline) / 1024
        assert grown < 30, f"{attack[:40]}: the gateway grew {grown:.0f} MB"
        assert took < 1.5, f"{attack[:40]}: the bystander waited {took:.1f} s"
        if answer is None:
            assert replies == [], (attack[:40], replies)
        else:
            assert len(replies) == 1, (attack, replies)
            assert replies[0].startswith(answer), (attack, replies)
    print(
        f"\ngateway RSS {baseline / 1024:.0f} MB, {grown:+.1f} MB after the attack, peak "
        f"{(rss_kib(pid, 'VmHWM') - baseline) / 1024:+.1f} MB; "
        f"bystander's slowest round trip {max(round_trips) * 1000:.0f} ms"
    )


async def test_a_flood_of_regexes_leaves_with_its_sockets(
    gateway_process: GatewayProcess, connect: ClientFactory
) -> None:
    pid = pid_of(gateway_process)
    sockets, guilds, per_sandbox = 4, 4, 12

    async def flood(round_: int) -> None:
        clients = [await connect(gateway_process.url) for _ in range(sockets)]

        async def fill(s: int, client: Client) -> None:
            for g in range(guilds):
                visitor = Visitor(client, guild_id=f"67000000000000{g:04d}")
                for n in range(per_sandbox):
                    # distinct and as heavy as allowed: ~190 KiB compiled each
                    tag = f"{round_}{s}{g}{n:02d}"
                    (reply,) = await visitor.texts(rf"!set ^(?:(\w){{10}}){{48}}{tag}$::x")
                    replies.append((n, reply))

        await asyncio.gather(*(fill(s, client) for s, client in enumerate(clients)))
        for client in clients:
            await client.sio.disconnect()
        async with asyncio.timeout(10):
            while await connections(gateway_process) > 0:
                await asyncio.sleep(0.02)

    replies: list[tuple[int, str]] = []
    await flood(0)  # warm: every regex thread has compiled, every arena has grown
    settled = rss_kib(pid)
    for round_ in (1, 2):
        await flood(round_)
    grown = (rss_kib(pid) - settled) / 1024
    print(f"\n{2 * sockets * guilds * per_sandbox} more heavy regexes: gateway {grown:+.1f} MB")
    # before: each of these stayed in the regex package's cache, ~190 KiB apiece
    assert grown < 8, f"the gateway kept {grown:.0f} MB after the sockets left"
    # each sandbox kept its first, and refused the others for its regex memory
    kept = [reply for n, reply in replies if n == 0]
    assert all(reply.startswith("✅") for reply in kept), kept
    refused = [reply for n, reply in replies if n > 0]
    assert all(reply.startswith("❌ that regex needs") for reply in refused), refused
