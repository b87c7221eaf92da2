"""Debian's Chromium driven by Playwright, and helpers to use the dashboard like a trader.

Playwright never downloads a browser here: it launches /usr/bin/chromium (apt) by path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    ViewportSize,
    expect,
)

#: Debian's package; E2E_CHROMIUM points elsewhere (e.g. to check the missing-browser path).
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
#: What Chromium logs for a request answered 401 (the wrong-key test expects exactly these).
UNAUTHORIZED_LOG = re.compile(r"Failed to load resource: .*status of 401")


def launch(playwright: Playwright) -> Browser:
    """Launch Debian's Chromium headless (no sandbox: the tests run as root)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class ConsoleWatch:
    """Collects console errors and uncaught page errors from every page it watches."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        """Record this page's console errors and uncaught exceptions."""
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            loc = msg.location
            self.errors.append(
                f"console: {msg.text} ({loc.get('url', '')}:{loc.get('lineNumber')})"
            )

    def _on_page_error(self, exc: Error) -> None:
        self.errors.append(f"pageerror: {exc.message}")

    def forgive(self, pattern: re.Pattern[str]) -> list[str]:
        """Drop the errors so far that match ``pattern``; return the dropped ones."""
        dropped = [e for e in self.errors if pattern.search(e)]
        self.errors = [e for e in self.errors if not pattern.search(e)]
        return dropped

    def take(self) -> list[str]:
        """Return the errors collected so far and start afresh."""
        out, self.errors = self.errors, []
        return out


def new_page(browser: Browser, console: ConsoleWatch, **context: Any) -> Iterator[Page]:
    """Yield a page in a fresh browser context; fail if it logged console errors."""
    ctx = browser.new_context(**context)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    console.watch(page)
    try:
        yield page
    finally:
        ctx.close()
    errors = console.take()
    if errors:
        pytest.fail("console errors:\n" + "\n".join(errors), pytrace=False)


def sign_in(page: Page, console: ConsoleWatch, base_url: str, key: str) -> None:
    """Open the dashboard, enter the API key and wait for the live stream.

    Before the key is entered the server refuses the dashboard's requests (401), and Chromium
    logs each refused request as a console error; those, and only those, are forgiven.
    """
    page.goto(base_url + "/")
    expect(page.get_by_test_id("auth-error")).to_contain_text("401")
    page.get_by_test_id("api-key-input").fill(key)
    page.get_by_test_id("api-key-save").click()
    expect(page.get_by_test_id("stream-status")).to_have_text("live", timeout=10_000)
    expect(page.get_by_test_id("auth-error")).to_be_hidden()
    console.forgive(UNAUTHORIZED_LOG)


def open_ticker(page: Page, ticker: str) -> None:
    """Load one ticker into the ticker view."""
    box = page.get_by_test_id("ticker-input")
    box.fill(ticker)
    box.press("Enter")
    expect(page.get_by_test_id("quote-card")).to_contain_text(ticker, timeout=10_000)
