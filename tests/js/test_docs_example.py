"""docs/protocol.md's JavaScript example, run as printed against a real gateway with the
official socket.io-client: with a token that is about to expire, it renews on
`token_expiring` and receives every log entry once, in order, across the renewal."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from bot_bridge.publisher import Publisher
from tests.architus_ws.requests.test_spectate import entry
from tests.conftest import RunningGateway, settings, start_gateway, token

# needs node and the npm packages of tests/js (tests/js/package.json)
pytestmark = pytest.mark.node

HERE = Path(__file__).parent
DOCS = HERE.parent.parent / "docs" / "protocol.md"
GUILD = "697000000000000001"
ENTRIES = 30

# What the example leaves to the dashboard, as a dashboard would write it; every call is
# reported on stdout, one JSON line each, for the test to read.
HARNESS = """
const report = (kind, value) => console.log(JSON.stringify({ kind, value }));
const guildId = process.env.GUILD;
const tokens = JSON.parse(process.env.TOKENS);
const getToken = async () => { report("token", tokens.length); return tokens.shift(); };
const mergeIntoPool = (push) => report("log_pool", push.seq);
const appendToLog = (entry) => report("log_other", entry.seq);
const clearLog = () => report("clear_log", null);
const reloadPools = async () => report("reload_pools", null);
const clearPoolsAndLog = () => report("clear_pools_and_log", null);
const showStatus = (status) => report("guild_status", status);
socket.on("token_expiring", (notice) => report("token_expiring", notice));
socket.on("elevation_expired", () => report("elevation_expired", null));
"""


def example() -> str:
    """The ```js block of docs/protocol.md, as printed."""
    blocks = re.findall(r"```js\n(.*?)```", DOCS.read_text(), flags=re.S)
    assert len(blocks) == 1, "docs/protocol.md should hold one JavaScript example"
    return str(blocks[0])


@pytest.fixture
async def short_notice_gateway() -> Any:
    # a notice long before exp, so that a 4 s token is renewed at once
    running = await start_gateway(settings(renew_notice_seconds=60.0))
    yield running
    await running.stop()


async def test_the_docs_example_renews_and_loses_nothing(
    short_notice_gateway: RunningGateway, tmp_path: Path
) -> None:
    gateway = short_notice_gateway
    code = example().replace('"https://gateway.example"', json.dumps(gateway.url))
    # the harness goes after the `socket` it listens on is made
    code = code.replace("\nsocket.on(", "\n" + HARNESS + "\nsocket.on(", 1)
    (tmp_path / "node_modules").symlink_to(HERE / "node_modules")
    script = tmp_path / "example.mjs"
    script.write_text(code + '\nreport("page", page);\n')
    expires = time.time() + 4
    tokens = [token("5", {GUILD: 0x7}, ttl=4), token("5", {GUILD: 0x7}, ttl=3600)]
    process = await asyncio.create_subprocess_exec(
        "node",
        str(script),
        env={"GUILD": GUILD, "TOKENS": json.dumps(tokens), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    seen: list[dict[str, Any]] = []

    async def more() -> None:
        """Read the example's next report."""
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), 15)
        except TimeoutError:
            raise AssertionError(f"the example went quiet; it printed {seen}") from None
        assert line, (await process.stderr.read()).decode() if process.stderr else ""
        seen.append(json.loads(line))

    async def until(kind: str) -> None:
        """Until a report of this kind was read (they may come in any order)."""
        while kind not in [report["kind"] for report in seen]:
            await more()

    try:
        await until("page")  # connected, elevated, pool answered (a guild not mirrored: 404)
        await until("token_expiring")
        publisher = Publisher(gateway.gateway.bus)
        for _ in range(ENTRIES):
            await publisher.log(GUILD, entry())
        while [e["value"] for e in seen if e["kind"] == "log_other"][-1:] != [ENTRIES]:
            await more()
        # past the first token's exp, and the second within which its expiry would be pushed:
        # the renewal held the session (the wait is for the clock, the thing under test)
        await asyncio.sleep(max(0.0, expires + 1.5 - time.time()))
        for _ in range(ENTRIES):
            await publisher.log(GUILD, entry())
        while [e["value"] for e in seen if e["kind"] == "log_other"][-1:] != [2 * ENTRIES]:
            await more()
    finally:
        process.kill()
        await process.wait()
    kinds = [e["kind"] for e in seen]
    assert kinds.count("token") == 2  # the connect's token, and the renewal's
    assert "elevation_expired" not in kinds
    assert [e["value"] for e in seen if e["kind"] == "log_other"] == list(range(1, 2 * ENTRIES + 1))
