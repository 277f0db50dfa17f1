"""`@architus/sdk` (sdk/js) under Node's own test runner, against real gateway processes on a
real private Redis with a real publisher (tests/sdk_js/harness.py): each test runs one file of
sdk/js/test/ with `node --test` and passes when it exits 0 (its output is shown otherwise)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RedisServer
from tests.sdk_js.harness import harness

pytestmark = pytest.mark.node

SDK = Path(__file__).parents[2] / "sdk" / "js"
GUILD = "740000000000000001"
NODE_TIMEOUT = 240  # ends a hung run; a passing file takes seconds


@pytest.fixture(scope="session")
def built_sdk() -> Path:
    """The package built from its sources, as `npm run build` builds it."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: the SDK tests need Node.js 18+ (apt-get nodejs)")
    if not (SDK / "node_modules" / "typescript").is_dir():
        pytest.fail("run `npm ci --prefix sdk/js` first (scripts/install test does it)")
    built = subprocess.run(
        ["npm", "run", "build", "--silent"], cwd=SDK, capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return SDK / "dist"


async def node_test(name: str, control: str, urls: list[str]) -> str:
    env = {**os.environ, "ARCHITUS_GUILD": GUILD}
    if control:
        env |= {"ARCHITUS_CONTROL": control, "ARCHITUS_URLS": ",".join(urls)}
    process = await asyncio.create_subprocess_exec(
        "node",
        "--test",
        "--test-reporter=spec",
        str(SDK / "test" / name),
        cwd=SDK,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), NODE_TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    text = output.decode(errors="replace")
    assert process.returncode == 0, f"node --test {name} failed:\n{text}"
    return text


@pytest.mark.parametrize(
    ("name", "history", "env"),
    [
        ("store.test.mjs", None, {}),
        ("resume.test.mjs", None, {}),
        # a history of 50 events: an outage longer than that cannot be replayed
        ("lost.test.mjs", 50, {}),
        ("drain.test.mjs", None, {"ARCHITUS_DRAIN_SECONDS": "4"}),
        ("renewal.test.mjs", None, {"ARCHITUS_RENEW_NOTICE_SECONDS": "2"}),
        ("reset.test.mjs", None, {}),
        ("errors.test.mjs", None, {}),
    ],
)
async def test_js_sdk(
    built_sdk: Path, own_redis: RedisServer, name: str, history: int | None, env: dict[str, str]
) -> None:
    async with harness(own_redis, GUILD, history, **env) as (running, control):
        output = await node_test(name, control, [node.url for node in running.nodes])
    print(output)


async def test_js_sdk_reducers(built_sdk: Path) -> None:
    """architusReducer on its own: no gateway needed."""
    print(await node_test("state.test.mjs", "", []))
