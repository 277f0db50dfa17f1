"""The demo page in a real browser (Debian's headless Chromium driven by Playwright): the mock
Discord answers `!set hi::hello` then `hi`, and the simulated guild's log streams in.
Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.conftest import demo_process

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


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: scripts/install test installs it (apt-get)")
    return path


async def test_the_demo_page_works_in_a_browser(chromium: str) -> None:
    async with demo_process() as (_, banner):
        found = re.search(r"Open it in a browser: (\S+)", banner)
        assert found, banner
        ARTIFACTS.mkdir(exist_ok=True)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=CHROMIUM_FLAGS
            )
            page = await browser.new_page()
            await page.goto(found.group(1))
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
            await browser.close()
