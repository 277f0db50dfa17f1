"""Chaos: 3 gateway processes on one Redis, 50 official-JS-client dashboards spread over
them, `architus-bridge simulate` publishing 10,000 events while nodes are SIGKILLed and
restarted at random; every dashboard ends with every event exactly once, in order."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from pathlib import Path

import pytest

from tests.conftest import SECRET, GatewayProcess, entry_point
from tests.js import fleet

# needs node and the npm packages of tests/js (tests/js/package.json)
pytestmark = pytest.mark.node

HERE = Path(__file__).parent
GUILD = "695000000000000001"
EVENTS = 10_000
RATE = 300
CLIENTS = 50
ENV = {**os.environ, "ARCHITUS_JWT_SECRET": SECRET}


# Its own waits (the dashboards' 120 s to reach the end, 150 s for their report) are the
# bounds; pytest's default 120 s for the whole test would cut them short on a busy machine.
@pytest.mark.timeout(300)
async def test_dashboards_lose_nothing_while_nodes_die(redis_url: str) -> None:
    nodes = [GatewayProcess(redis_url) for _ in range(3)]
    await asyncio.gather(*(node.start() for node in nodes))
    dashboards = await fleet.start("resuming.mjs", [n.url for n in nodes], GUILD, CLIENTS)
    simulate = None
    kills = 0
    try:
        simulate = await asyncio.create_subprocess_exec(
            entry_point("architus-bridge"),
            "simulate",
            "--guild",
            GUILD,
            "--members",
            "100",
            "--events",
            str(EVENTS),
            "--rate",
            str(RATE),
            "--redis",
            redis_url,
            # history holds the whole run: how far it reaches is not what this test is about
            env={**ENV, "ARCHITUS_HISTORY_EVENTS": str(EVENTS)},
            stderr=asyncio.subprocess.DEVNULL,
        )
        rng = random.Random(11)
        restarts: list[asyncio.Task[None]] = []

        async def restart(node: GatewayProcess) -> None:
            await asyncio.sleep(rng.uniform(0.1, 0.4))
            await node.start()

        while simulate.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(simulate.wait(), rng.uniform(1.0, 2.5))
            if simulate.returncode is not None:
                break
            up = [node for node in nodes if node.running]
            if len(up) < 2:
                continue  # keep at least one node serving
            victim = rng.choice(up)
            await victim.kill()
            kills += 1
            restarts.append(asyncio.create_task(restart(victim)))
        await asyncio.gather(*restarts)
        assert await simulate.wait() == 0
        final = await fleet.final_seqs(redis_url, GUILD)
        result = await fleet.report(dashboards, final)
    finally:
        await fleet.stop(simulate, dashboards)
        for node in nodes:
            await node.kill()
    report = result["report"]
    assert kills >= 10
    behind = [d for d in report if (d["pool"], d["logs"]) != (final["pool"], final["logs"])]
    assert result["done"], (final, kills, len(behind), behind[:3])
    errored = [(d["index"], d["errors"], d["reasons"]) for d in report if d["errorCount"]]
    assert errored == []
    for dashboard in report:
        assert (dashboard["pool"], dashboard["logs"]) == (final["pool"], final["logs"])
        assert dashboard["startedAt"] == {"pool": 0, "logs": 0}
    assert sum(d["reconnects"] for d in report) >= kills  # the kills did reach dashboards
    assert sum(d["replayed"] for d in report) > 0
