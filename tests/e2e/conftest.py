"""Browser tests: the built dashboard in Debian's Chromium against a real `swingdesk serve`.

Needs /usr/bin/chromium (`apt-get install -y chromium`; `make test` installs it) and the built
dashboard in src/swingdesk/web (`make dashboard`). With CI set, a missing one fails the run.
Screenshots land in var/e2e-artifacts/screens/ (`make screenshots` copies them to docs/).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.fakes.browser import CHROMIUM, DESKTOP, ConsoleWatch, launch, new_page
from tests.fakes.desk_server import ROOT, TRADE_KEY, DeskServer

IN_CI = bool(os.environ.get("CI"))
DASHBOARD = ROOT / "src" / "swingdesk" / "web"
ARTIFACTS = ROOT / "var" / "e2e-artifacts"


def _missing(what: str) -> None:
    """Fail in CI, skip with the reason on a developer machine."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is missing", pytrace=False)
    pytest.skip(f"{what} is missing (required in CI)")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Return the directory for screenshots and the server log."""
    (ARTIFACTS / "screens").mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[DeskServer]:
    """Start `swingdesk serve` (demo desk, keys configured) for one module's browser tests.

    Module scope, not session: the server and the browser must not keep running (the
    autopilot scanning) through the rest of the suite.
    """
    if not (DASHBOARD / "index.html").is_file():
        _missing(f"the built dashboard ({DASHBOARD}/index.html; run `make dashboard`)")
    server = DeskServer(data_dir=tmp_path_factory.mktemp("desk"), log_path=artifacts / "serve.log")
    with server:
        # A first scan of the watchlist, so the screens show positions, orders and a journal.
        httpx.post(
            f"{server.url}/api/scan", json={}, headers={"X-API-Key": TRADE_KEY}, timeout=60
        ).raise_for_status()
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch Debian's Chromium once per module."""
    if not CHROMIUM.is_file():
        _missing(f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def console() -> ConsoleWatch:
    """Collect console errors from every page of the session."""
    return ConsoleWatch()


@pytest.fixture
def api(desk: DeskServer) -> Iterator[httpx.Client]:
    """Return an HTTP client for the same server, with the trade key."""
    with httpx.Client(base_url=desk.url, headers={"X-API-Key": TRADE_KEY}, timeout=30) as client:
        yield client


@pytest.fixture
def page(browser: Browser, console: ConsoleWatch, desk: DeskServer) -> Iterator[Page]:
    """Yield a desktop page (1280 px, light) in a fresh context; fail on console errors."""
    yield from new_page(browser, console, viewport=DESKTOP, color_scheme="light")


@pytest.fixture
def screens(artifacts: Path) -> Path:
    """Return where the tests save screenshots."""
    return artifacts / "screens"
