"""Socket-level fuzzing over raw websockets against a real gateway: every request is answered
with a coded ack or refused at the protocol layer (the connection closed), other clients keep
being served, and afterwards no socket, session, room, feed or task is left behind and memory
is back near its baseline.

Sizes: ARCHITUS_FUZZ_EXAMPLES (default 40 per test; the nightly run sets thousands). Each
test prints the number of cases it ran (`pytest -s` shows them).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import aiohttp
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from architus_sdk.wire import ErrorReason
from architus_ws.config import RateLimit
from tests.architus_ws.fanout.test_slow_consumer import rss_kib
from tests.conftest import SECRET, ClientFactory, RunningGateway, start_gateway, token
from tests.conftest import settings as gateway_settings
from tests.raw_socket import RawSocket
from tests.strategies import HOSTILE, JSON, SNOWFLAKES, payloads

EXAMPLES = int(os.environ.get("ARCHITUS_FUZZ_EXAMPLES", "40"))
GUILD = "700000000000000001"
CODES = {reason.code for reason in ErrorReason}
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("ARCHITUS_FUZZ_SEED") is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
UNLIMITED = RateLimit(10**9, 1)


@pytest.fixture
async def target() -> AsyncIterator[RunningGateway]:
    running = await start_gateway(
        gateway_settings(
            request_rate=UNLIMITED,
            interpret_rate=UNLIMITED,
            interpret_address_rate=UNLIMITED,
            # the request path under load, not the transport's flood budget (test_gate.py)
            read_frames_per_second=10**9,
            read_bytes_per_second=10**12,
        )
    )
    # a first socket before any baseline (the heartbeat sweep starts with the first session)
    warm = await RawSocket.open(running.url)
    await warm.close()
    yield running
    await running.stop()


def assert_coded(ack: Any) -> None:
    """A well-formed ack: ok with data, or an error with a known code and reason."""
    assert isinstance(ack, dict), ack
    if ack["ok"] is True:
        assert "data" in ack, ack
        return
    assert ack["ok"] is False, ack
    error = ack["error"]
    assert error["code"] in CODES, ack
    # a 500 is the gateway's last defence against its own bugs: a fuzzer that finds one fails
    assert error["code"] != ErrorReason.INTERNAL.code, ack
    assert ErrorReason(error["reason"]).code == error["code"], ack
    assert isinstance(error["message"], str), ack


async def still_serves(running: RunningGateway, connect: ClientFactory) -> None:
    healthy = await connect(running.url)
    assert (await healthy.call("demote"))["ok"] is True
    await healthy.sio.disconnect()


async def settled(running: RunningGateway, tasks_before: set[int]) -> None:
    """Every fuzzing socket is gone, with everything it held."""
    gateway = running.gateway

    def left() -> dict[str, Any]:
        return {
            "engine.io sockets": len(gateway.engine.sessions),
            "sessions": len(gateway.sessions),
            "feeds": gateway.feeds.spectator_counts(),
            "new tasks": [
                task.get_coro() for task in asyncio.all_tasks() if id(task) not in tasks_before
            ],
        }

    try:
        async with asyncio.timeout(10):
            while any(left().values()):
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"left behind: {left()}") from None
    rooms = gateway.server.manager.rooms.get("/", {})
    assert not [room for room, members in rooms.items() if members], rooms


def in_thread(body: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Hypothesis calls tests synchronously: each example runs `body` on this test's loop
    (which also serves the gateway) from the thread hypothesis runs in."""
    loop = asyncio.get_running_loop()

    def example(*args: Any, **kwargs: Any) -> None:
        asyncio.run_coroutine_threadsafe(body(*args, **kwargs), loop).result(120)

    return example


def current_rss_mib() -> float:
    """RSS after collecting garbage and handing glibc's free heap back to the system, so what
    is measured is what is held, not the allocator's slack from earlier tests."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_kib(os.getpid()) / 1024


def requests() -> st.SearchStrategy[tuple[str, Any]]:
    """(event, payload): every event of the handler table with payloads from its model, and
    unknown or reserved event names, payloads that are not objects."""
    from architus_ws.requests.handlers import RequestHandlers

    known = [
        st.tuples(st.just(event), payloads(model))
        for event, model in RequestHandlers.models().items()
    ]
    unknown = st.tuples(
        st.sampled_from(["nope", "connect", "disconnect", "", "x" * 300, "__proto__"]), JSON
    )
    not_objects = st.tuples(
        st.sampled_from(list(RequestHandlers.models())),
        st.one_of(HOSTILE, st.text(max_size=30).map(json.dumps)),
    )
    elevations = st.tuples(st.just("request_elevation"), hostile_tokens())
    triggers = st.tuples(st.just("interpret"), hostile_triggers())
    return st.one_of(*known, unknown, not_objects, elevations, triggers)


def hostile_tokens() -> st.SearchStrategy[dict[str, str]]:
    """Correctly signed tokens whose claims are not: an `exp` no date can carry, `sub` and
    `guilds` of the wrong shape (a token is validated whole before anything changes)."""
    claims = st.fixed_dictionaries(
        {
            "sub": st.one_of(SNOWFLAKES, JSON),
            "exp": st.one_of(
                st.sampled_from([1e300, 10**30, 253402300800, 2**63, -1, 0]),
                st.floats(min_value=time.time() + 60, max_value=1e12),
                JSON,
            ),
            "guilds": st.one_of(st.dictionaries(SNOWFLAKES, st.integers(-1, 2**70)), JSON),
        }
    )
    return claims.map(lambda body: {"token": jwt.encode(body, SECRET, algorithm="HS256")})


def hostile_triggers() -> st.SearchStrategy[dict[str, str]]:
    """`!set` and `!remove` with regexes that are costly to compile or to match."""
    pattern = st.one_of(
        st.integers(1, 10**8).map(lambda n: f"a{{{n}}}"),
        st.integers(2, 60).map(lambda depth: "(" * depth + "a+" + ")+" * depth),
        st.sampled_from(["(a|aa)+", "(.*)*x", r"\L<words>", "(?R)", "(a){e<=9}", "[" * 50]),
    ).map(lambda body: f"^{body}$")
    content = st.tuples(st.sampled_from(["!set ", "!remove "]), pattern).map(
        lambda parts: parts[0] + parts[1] + ("::x" if parts[0] == "!set " else "")
    )
    return content.map(
        lambda text: {"action": "send", "guild_id": "1", "message_id": "2", "content": text}
    )


class Counter:
    cases = 0


async def test_fuzzed_requests_get_coded_acks(
    target: RunningGateway, connect: ClientFactory
) -> None:
    tasks_before = {id(task) for task in asyncio.all_tasks()}
    elevated = token(guilds={GUILD: 0x7FF})
    counter = Counter()

    async def one(batch: list[tuple[str, Any]], authenticated: bool) -> None:
        raw = await RawSocket.open(target.url, {"token": elevated} if authenticated else None)
        try:
            for ack_id, (event, payload) in enumerate(batch):
                counter.cases += 1
                ack = await raw.request(ack_id, event, payload)
                assert ack is not None, (event, payload)  # a request never closes the connection
                assert_coded(ack)
        finally:
            await raw.close()

    run = FUZZ(
        given(batch=st.lists(requests(), min_size=1, max_size=12), authenticated=st.booleans())(
            in_thread(one)
        )
    )
    await asyncio.to_thread(run)
    print(f"fuzz: {counter.cases} requests, every one answered with a coded ack")
    await still_serves(target, connect)
    await settled(target, tasks_before)


def garbage_frames() -> st.SearchStrategy[str | bytes]:
    """Frames no client library sends."""
    return st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200),
        st.text(max_size=100).map(lambda text: "4" + text),
        st.text(max_size=100).map(lambda text: "42" + text),
        JSON.map(lambda value: "42" + json.dumps(value)),
        st.integers(0, 2**64).map(lambda n: f"43{n}[]"),  # acks for nothing the server asked
        st.sampled_from(
            [
                "0",
                "1",  # engine.io close
                "5",  # upgrade on a websocket
                "6",
                "2probe",
                "3",
                "40",  # connect again
                "41",  # disconnect, then more
                '40/admin,{"token":"x"}',  # an unknown namespace
                '42/admin,["spectate",{}]',
                '42["spectate"',
                '42["pool",{"_placeholder":true,"num":0}]',
                '451-["pool",{"_placeholder":true,"num":0}]',  # a binary attachment follows
                '452-["interpret",{"_placeholder":true,"num":1}]',
                '42["spectate",' + "[" * 5000 + "1" + "]" * 5000 + "]",
                "42" + "[" * 20000 + "]" * 20000,
                '42["interpret",' + json.dumps({"content": "é" * 200_000}) + "]",
            ]
        ),
    )


async def test_protocol_garbage_is_ignored_or_refused(
    target: RunningGateway, connect: ClientFactory
) -> None:
    tasks_before = {id(task) for task in asyncio.all_tasks()}
    counter = Counter()

    async def one(frames: list[str | bytes]) -> None:
        raw = await RawSocket.open(target.url)
        try:
            for frame in frames:
                counter.cases += 1
                if not await raw.send(frame):
                    return  # refused at the protocol layer: the server closed the connection
            # if the connection survived, it still answers requests (after connecting the
            # namespace again, in case a frame was `41`, the client leaving it)
            await raw.send("40")
            ack = await raw.request(9_000_001, "demote", {})
            if ack is not None:
                assert_coded(ack)
            else:
                assert raw.closed
        finally:
            await raw.close()

    run = FUZZ(given(frames=st.lists(garbage_frames(), min_size=1, max_size=8))(in_thread(one)))
    await asyncio.to_thread(run)
    print(f"fuzz: {counter.cases} garbage frames")
    async with aiohttp.ClientSession() as http, http.get(target.url + "/metrics") as response:
        metrics = await response.text()
    closed = [line for line in metrics.splitlines() if line.startswith("architus_protocol_")]
    assert closed, metrics
    assert float(closed[0].split()[-1]) > 0, closed
    await still_serves(target, connect)
    await settled(target, tasks_before)


async def test_floods_and_giants_leave_memory_and_tasks_at_baseline(
    target: RunningGateway, connect: ClientFactory
) -> None:
    """Ack floods, requests just under the payload limit, frames past the transport limit,
    many sockets at once: then all of it gone."""
    tasks_before = {id(task) for task in asyncio.all_tasks()}
    warm = await RawSocket.open(target.url)
    await warm.request(1, "demote", {})
    await warm.close()
    baseline = current_rss_mib()

    after_round: list[float] = []
    for _ in range(4):
        sockets = [await RawSocket.open(target.url) for _ in range(50)]
        for raw in sockets:
            for n in range(200):
                await raw.send(f"43{n}[{{}}]")  # acks nobody asked for
        giant = {"token": "t" * (60 * 1024)}
        answers = await asyncio.gather(
            *(raw.request(7, "request_elevation", giant) for raw in sockets)
        )
        for ack in answers:
            assert_coded(ack)
            assert ack["error"]["reason"] == "bad_request", ack  # past the token length limit
        too_big = await asyncio.gather(
            *(raw.request(8, "interpret", {"content": "z" * 70 * 1024}) for raw in sockets)
        )
        assert {ack["error"]["reason"] for ack in too_big} == {"payload_too_large"}
        for raw in sockets[:10]:
            await raw.send("42" + json.dumps(["demote", "w" * 1_100_000]))  # past 1 MB
        for raw in sockets[:10]:
            assert await raw.next_packet() is None  # closed at the transport layer
        for raw in sockets:
            await raw.close()
        await still_serves(target, connect)
        await settled(target, tasks_before)
        after_round.append(current_rss_mib())

    print(
        f"fuzz: memory {baseline:.1f} MiB before, after each round: "
        + ", ".join(f"{value:.1f}" for value in after_round)
    )
    # The first round leaves the allocator's high-water mark (1 MB frames went through);
    # held objects would grow it every round: 50 sockets, 10,000 stray acks and 10 frames
    # of 1 MB a round.
    assert after_round[-1] - after_round[0] < 4, after_round
