"""The demo page in a real browser (Debian's headless Chromium driven by Playwright), on
`@architus/sdk` bundled by `npm run build --prefix web`: the mock Discord answers
`!set hi::hello` then `hi`; the simulated guild's status, members and log come from the SDK's
store, agree with the gateway, and stay true through a network drop. Screenshots are kept in
test-artifacts/."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright

from tests.conftest import Client, ClientFactory, demo_process

ARTIFACTS = Path(__file__).parent.parent.parent / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What the page's store holds for the watched guild, read in one go (one consistent state).
READ_STORE = """() => {
  const state = window.demo.client.store.getState().architus;
  const guild = window.demo.guildId;
  const members = state.pools.member?.[guild];
  const log = state.logs[guild];
  return {
    poolSeq: state.spectate.pool_seq,
    members: members ? members.ids : null,
    log: log ? log.ids.map((id) => ({ id, seq: log.entities[id].seq })) : [],
    status: state.guildStatus[guild] ?? null,
    connection: state.connection.status,
    connects: window.demo.connects,
    domSeqs: [...document.querySelectorAll("#logs li")].map((e) => Number(e.dataset.seq)),
  };
}"""
# The page's member pool is loaded and its store stands at or past a pool position.
POOL_AT = """(seq) => {
  const state = window.demo.client.store.getState().architus;
  return state.pools.member?.[window.demo.guildId] !== undefined && state.spectate.pool_seq >= seq;
}"""
# The page's log holds every one of these entry ids.
HOLDS_ENTRIES = """(ids) => {
  const log = window.demo.client.store.getState().architus.logs[window.demo.guildId];
  return log !== undefined && ids.every((id) => id in log.entities);
}"""
MEMBER_IDS = "(items) => items.map((item) => item.dataset.id)"


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: scripts/install test installs it (apt-get)")
    return path


@asynccontextmanager
async def demo_page(chromium: str) -> AsyncIterator[tuple[Page, int, str, str]]:
    """`serve --demo` and its page open in Chromium; yields the page, the gateway's port, the
    demo guild and the token of the banner."""
    async with demo_process() as (port, banner):
        found = re.search(r"Open it in a browser: (\S+)", banner)
        token = re.search(r"^\s+(ey[\w-]+\.[\w-]+\.[\w-]+)$", banner, re.M)
        guild = re.search(r"simulated guild \((\d+)\)", banner)
        assert found, banner
        assert token, banner
        assert guild, banner
        ARTIFACTS.mkdir(exist_ok=True)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=CHROMIUM_FLAGS
            )
            page = await browser.new_page()
            await page.goto(found.group(1))
            try:
                yield page, port, guild.group(1), token.group(1)
            finally:
                await browser.close()


async def store(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = await page.evaluate(READ_STORE)
    return state


async def gateway_members(client: Client, guild: str) -> tuple[int, set[str]]:
    """The gateway's member pool and the pool position it stands at (read atomically)."""
    ack = await client.call(
        "pool", {"type": "member", "guild_id": guild, "all": True, "limit": 1000}
    )
    assert ack["ok"], ack
    assert ack["data"]["finished"], "the demo guild outgrew one page"
    return ack["data"]["pool_seq"], {member["id"] for member in ack["data"]["data"]}


async def assert_members_agree(page: Page, client: Client, guild: str) -> int:
    """The page's member pool equals the gateway's at the same pool position; the simulation
    keeps changing it, so both are read until they stand at the same position."""
    async with asyncio.timeout(20):
        while True:
            pool_seq, truth = await gateway_members(client, guild)
            await page.wait_for_function(POOL_AT, arg=pool_seq)
            held = await store(page)
            if held["poolSeq"] != pool_seq:
                continue  # the page moved on meanwhile: read both again
            assert held["members"] is not None
            assert len(held["members"]) == len(set(held["members"]))
            assert set(held["members"]) == truth
            count = await page.inner_text("#member-count")
            assert count == f"({len(truth)})"
            shown = await page.eval_on_selector_all("#members li", MEMBER_IDS)
            assert shown
            assert set(shown) <= truth
            return len(truth)


def assert_log_in_order(log: list[dict[str, Any]]) -> None:
    """Every entry once, in seq order, none missing: the demo token may see private entries,
    so its `logs_seq` has no gaps."""
    ids = [entry["id"] for entry in log]
    seqs = [entry["seq"] for entry in log]
    assert len(ids) == len(set(ids)), "an entry is held twice"
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs


async def test_the_demo_page_works_in_a_browser(chromium: str) -> None:
    async with demo_page(chromium) as (page, _, _, _):
        await page.wait_for_selector("#status:has-text('connected')")
        await page.fill("#say", "!set hi::hello")
        await page.press("#say", "Enter")
        await page.wait_for_selector("#messages li.bot:has-text('✅')")
        await page.fill("#say", "hi")
        await page.press("#say", "Enter")
        bot_lines = page.locator("#messages li.bot .content")
        await page.wait_for_function(
            "() => [...document.querySelectorAll('#messages li.bot .content')]"
            ".some((e) => e.textContent === 'hello')"
        )
        assert "hello" in await bot_lines.all_inner_texts()
        await page.wait_for_function(
            "document.querySelectorAll('#logs li').length >= 2", timeout=15_000
        )
        await page.wait_for_function("document.querySelectorAll('#members li').length > 0")
        await page.screenshot(path=str(ARTIFACTS / "demo-page.png"), full_page=True)


async def test_the_live_guild_view_stays_true_through_a_network_drop(
    chromium: str, connect: ClientFactory
) -> None:
    async with demo_page(chromium) as (page, port, guild, token):
        # the gateway's own view, through a second socket of the same user (viewers stay 1)
        watcher = await connect(f"http://127.0.0.1:{port}", auth={"token": token})
        assert (await watcher.call("spectate", {"guild_id": guild, "include_logs": True}))["ok"]

        await page.wait_for_selector("#bot:text-is('online')")
        viewers = int(await page.inner_text("#viewers"))
        held = await store(page)
        assert held["status"]["bot"] == "online"
        assert viewers == held["status"]["viewers"] >= 1
        await assert_members_agree(page, watcher, guild)

        await page.wait_for_function("document.querySelectorAll('#logs li').length >= 3")
        before = await store(page)
        assert_log_in_order(before["log"])
        assert before["domSeqs"] == [e["seq"] for e in before["log"]][-200:]
        assert before["connects"] == 1

        # The network goes: the socket drops (socket.io-client closes it on the browser's
        # `offline`) and reconnects cannot get through, while the guild goes on without it.
        await page.context.set_offline(True)
        await page.wait_for_selector("#status[data-status='reconnecting']")
        seen = len(watcher.received("log_other"))
        await watcher.wait_for(lambda c: len(c.received("log_other")) >= seen + 2, timeout=15)
        missed = [entry["id"] for entry in watcher.received("log_other")[seen:]]
        await page.context.set_offline(False)

        await page.wait_for_function("window.demo.connects === 2", timeout=20_000)
        await page.wait_for_selector("#status[data-status='connected']")
        # the entries pushed while offline arrive by the resume, once each, in order
        await page.wait_for_function(
            HOLDS_ENTRIES,
            arg=missed,
            timeout=15_000,
        )
        after = await store(page)
        assert after["connection"] == "connected"
        assert after["log"][: len(before["log"])] == before["log"]
        assert_log_in_order(after["log"])
        assert after["domSeqs"] == [e["seq"] for e in after["log"]][-200:]
        await assert_members_agree(page, watcher, guild)
        assert await page.inner_text("#bot") == "online"
        assert int(await page.inner_text("#viewers")) >= 1
        await page.screenshot(path=str(ARTIFACTS / "demo-page-reconnected.png"), full_page=True)
