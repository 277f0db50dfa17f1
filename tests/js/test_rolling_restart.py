"""A rolling restart under load: 3 gateway processes on one Redis, 50 official-JS-client
dashboards, `architus-bridge simulate` publishing throughout, each node SIGTERMed (drained)
and restarted in turn. Half the dashboards resume on another node when told `reconnect`, half
let socket.io-client reconnect to the same URL by itself; every dashboard ends with every event
exactly once, in order, each node exits 0 within its drain window, and none is ever
disconnected at the Socket.IO layer (`io server disconnect`, after which the official client
would not reconnect)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from tests.conftest import SECRET, GatewayProcess, entry_point
from tests.js import fleet

# needs node and the npm packages of tests/js (tests/js/package.json)
pytestmark = pytest.mark.node

HERE = Path(__file__).parent
GUILD = "696000000000000001"
CLIENTS = 50
WINDOW = 3.0  # ARCHITUS_DRAIN_SECONDS of every node
# the process's own shutdown after the window (uvicorn closing, the bus disconnecting)
EXIT_MARGIN = 5.0
# History enough for the whole run (200 events/s for at most ~100 s): the default 1000 a
# stream is 10 s at this rate, and a `stay` dashboard waits for its node to restart, which on
# busy cores can take longer; how far history reaches is not what this test is about
# (tests/architus_ws/fanout/test_resume.py is).
ENV = {**os.environ, "ARCHITUS_JWT_SECRET": SECRET, "ARCHITUS_HISTORY_EVENTS": "20000"}


@pytest.mark.timeout(300)
async def test_a_rolling_restart_loses_nothing(redis_url: str) -> None:
    nodes = [GatewayProcess(redis_url, ARCHITUS_DRAIN_SECONDS=str(WINDOW)) for _ in range(3)]
    await asyncio.gather(*(node.start() for node in nodes))
    dashboards = await fleet.start("draining.mjs", [n.url for n in nodes], GUILD, CLIENTS)
    simulate = None
    exits: list[tuple[int, float]] = []
    try:
        simulate = await asyncio.create_subprocess_exec(
            entry_point("architus-bridge"),
            "simulate",
            "--guild",
            GUILD,
            "--members",
            "100",
            "--events",
            "0",  # until stopped: publishing lasts through every restart
            "--rate",
            "200",
            "--redis",
            redis_url,
            env=ENV,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for node in nodes:
            signalled = time.monotonic()
            code = await asyncio.wait_for(node.terminate(), WINDOW + EXIT_MARGIN + 30)
            exits.append((code, time.monotonic() - signalled))
            await node.start()
        simulate.terminate()
        await asyncio.wait_for(simulate.wait(), 30)
        final = await fleet.final_seqs(redis_url, GUILD)
        result = await fleet.report(dashboards, final)
    finally:
        await fleet.stop(simulate, dashboards)
        for node in nodes:
            await node.kill()
    report = result["report"]
    assert [code for code, _ in exits] == [0, 0, 0]
    assert all(seconds <= WINDOW + EXIT_MARGIN for _, seconds in exits), exits
    assert final["pool"] + final["logs"] > 1000  # publishing ran through the restarts
    behind = [d for d in report if (d["pool"], d["logs"]) != (final["pool"], final["logs"])]
    assert result["done"], (final, behind[:3])
    assert [d for d in report if d["errorCount"]] == []
    for dashboard in report:
        # spectating before the first publish: every event of the guild is in its count
        assert dashboard["startedAt"] == {"pool": 0, "logs": 0}
        assert "io server disconnect" not in dashboard["reasons"], dashboard
        # every dashboard was on a node when it drained, was told, and resumed
        assert dashboard["notices"] >= 1, dashboard
        assert dashboard["resumes"] >= dashboard["notices"], dashboard
    for mode in ("hop", "stay"):
        handovers = sorted(h for d in report if d["mode"] == mode for h in d["handovers"])
        print(
            f"rolling restart, {mode}: told-to-resumed median {handovers[len(handovers) // 2]} "
            f"ms, max {handovers[-1]} ms over {len(handovers)} handovers"
        )
    print(f"exits {[round(s, 2) for _, s in exits]} s after SIGTERM (window {WINDOW} s)")
