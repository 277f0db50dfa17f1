"""The one sweep per event loop behind every session's deadlines (transport/heartbeat.py),
on a real loop."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from architus_ws.transport.heartbeat import Heartbeat

TICK = 0.02


@dataclass(eq=False)
class Deadline:
    name: str
    fired: list[tuple[str, float]]
    slot: int = -1
    failing: bool = False

    def on_due(self, now: float) -> None:
        self.fired.append((self.name, now))
        if self.failing:
            raise RuntimeError("this session's deadline failed")


async def test_deadlines_fire_once_in_order_within_a_tick() -> None:
    loop = asyncio.get_running_loop()
    heartbeat = Heartbeat(loop, TICK)
    fired: list[tuple[str, float]] = []
    now = loop.time()
    items = {name: Deadline(name, fired) for name in ("late", "early", "middle")}
    heartbeat.schedule(items["late"], now + 0.3)
    heartbeat.schedule(items["early"], now + 0.05)
    heartbeat.schedule(items["middle"], now + 0.15)
    due = {"early": now + 0.05, "middle": now + 0.15, "late": now + 0.3}
    async with asyncio.timeout(10):
        while len(fired) < 3:
            await asyncio.sleep(TICK)
    assert [name for name, _ in fired] == ["early", "middle", "late"]
    for name, at in fired:
        # never before its deadline (a fiftieth of a tick of timer slack aside), and late
        # by at most a tick plus however long this busy machine's loop took to come round
        assert at >= due[name] - TICK / 50
    await asyncio.sleep(5 * TICK)
    assert len(fired) == 3  # each once


async def test_a_moved_deadline_fires_only_at_its_new_time_and_a_cancelled_one_never() -> None:
    loop = asyncio.get_running_loop()
    heartbeat = Heartbeat(loop, TICK)
    fired: list[tuple[str, float]] = []
    moved, cancelled, never = (
        Deadline("moved", fired),
        Deadline("cancelled", fired),
        Deadline("never", fired),
    )
    now = loop.time()
    heartbeat.schedule(moved, now + 0.05)
    heartbeat.schedule(moved, now + 0.25)  # pushed back (a pong came): the old bucket skips it
    heartbeat.schedule(cancelled, now + 0.05)
    heartbeat.cancel(cancelled)
    heartbeat.schedule(never, math.inf)
    async with asyncio.timeout(10):
        while not fired:
            await asyncio.sleep(TICK)
    assert [name for name, _ in fired] == ["moved"]
    assert fired[0][1] >= now + 0.25 - TICK / 50
    await asyncio.sleep(5 * TICK)
    assert [name for name, _ in fired] == ["moved"]


async def test_one_failing_deadline_does_not_stop_the_others() -> None:
    loop = asyncio.get_running_loop()
    reported: list[str] = []
    loop.set_exception_handler(lambda _, context: reported.append(context["message"]))
    try:
        heartbeat = Heartbeat(loop, TICK)
        fired: list[tuple[str, float]] = []
        now = loop.time()
        heartbeat.schedule(Deadline("failing", fired, failing=True), now + 0.05)
        heartbeat.schedule(Deadline("after it", fired), now + 0.05)
        heartbeat.schedule(Deadline("later", fired), now + 0.2)
        async with asyncio.timeout(10):
            while len(fired) < 3:
                await asyncio.sleep(TICK)
        assert sorted(name for name, _ in fired) == ["after it", "failing", "later"]
        assert reported == ["heartbeat: a session failed its deadline"]
    finally:
        loop.set_exception_handler(None)


async def test_one_heartbeat_per_loop_at_the_finest_tick_asked() -> None:
    loop = asyncio.get_running_loop()
    first = Heartbeat.for_loop(loop, 0.1)
    assert Heartbeat.for_loop(loop, 0.05) is first
    assert first.tick == 0.05
    assert Heartbeat.for_loop(loop, 0.2).tick == 0.05
