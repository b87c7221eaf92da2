"""A whole trading day in the browser: blotter, journal, decisions explorer, manual actions,
watchlist editor and settings, each from the API of a real `swingdesk serve`."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.fakes.browser import PHONE, ConsoleWatch, new_page, sign_in
from tests.fakes.desk_server import ROOT, TRADE_KEY, DeskServer

#: A manual close must show in the blotter and the journal within this many seconds.
REACH_S = 5.0
VIEWS = ("orders", "journal", "decisions", "watchlist", "settings")
DASHBOARD = ROOT / "src" / "swingdesk" / "web"
NOT_FOUND_LOG = re.compile(r"Failed to load resource: .*status of 404")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[DeskServer]:
    """The demo desk with the per-ticker order cooldown off (a close follows the entry)."""
    # Same rule as conftest's desk: in CI a missing dashboard fails, never skips.
    if not (DASHBOARD / "index.html").is_file():
        message = f"the built dashboard ({DASHBOARD}/index.html; run `make dashboard`)"
        if os.environ.get("CI"):
            pytest.fail(f"{message} is required in CI but is missing", pytrace=False)
        pytest.skip(f"{message} is missing (required in CI)")
    server = DeskServer(
        data_dir=tmp_path_factory.mktemp("day"),
        log_path=artifacts / "serve-day.log",
        extra_env={"SWINGDESK_RISK_COOLDOWN_S": "0"},
    )
    with server:
        httpx.post(
            f"{server.url}/api/scan", json={}, headers={"X-API-Key": TRADE_KEY}, timeout=60
        ).raise_for_status()
        yield server


def _positions(api: httpx.Client) -> list[dict[str, Any]]:
    """Return the open positions, buying one from the movers if the first scan bought none."""
    positions: list[dict[str, Any]] = (
        api.get("/api/portfolio").raise_for_status().json()["positions"]
    )
    if positions:
        return positions
    movers = api.get("/api/movers", params={"n": 20}).raise_for_status().json()
    tickers = list(dict.fromkeys(m["ticker"] for m in movers["gainers"] + movers["most_active"]))
    api.post("/api/scan", json={"tickers": tickers[:20]}).raise_for_status()
    positions = api.get("/api/portfolio").raise_for_status().json()["positions"]
    assert positions, "the simulated market gave no BUY among the movers"
    return positions


def _open_view(page: Page, view: str) -> None:
    page.get_by_test_id(f"view-{view}").click()
    expect(page.get_by_test_id(f"view-{view}")).to_have_attribute("aria-current", "page")


def test_blotter_when_opened_then_orders_are_listed_and_a_row_explains_its_decision(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    _positions(api)
    sign_in(page, console, desk.url, TRADE_KEY)
    _open_view(page, "orders")
    rows = page.get_by_test_id("order-row")
    expect(rows.first).to_be_visible()
    page.get_by_test_id("orders-status").select_option("filled")
    expect(page.locator('[data-testid="order-row"]:not([data-status="filled"])')).to_have_count(0)
    page.screenshot(path=screens / "orders.png")
    rows.first.get_by_role("button").first.click()
    expect(page.get_by_test_id("explain-view")).to_be_visible()


def test_manual_close_when_confirmed_then_blotter_and_journal_show_it_within_5_s(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    ticker = _positions(api)[0]["ticker"]
    sign_in(page, console, desk.url, TRADE_KEY)
    page.get_by_label(f"Close {ticker}", exact=True).click()
    dialog = page.get_by_test_id("manual-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("manual-confirm")).to_be_disabled()  # a reason is required
    page.get_by_test_id("manual-reason").fill("e2e: flatten before the close")
    started = time.monotonic()
    page.get_by_test_id("manual-confirm").click()
    expect(page.get_by_test_id("manual-outcome")).to_contain_text("Done")
    page.get_by_test_id("manual-cancel").click()

    _open_view(page, "orders")
    sell = page.locator(f'[data-testid="order-row"][data-status="filled"]:has-text("{ticker}")')
    expect(sell.filter(has_text="sell").first).to_be_visible(timeout=REACH_S * 1000)
    _open_view(page, "journal")
    trip = page.locator(f'[data-testid="trip-row"][data-reason="manual"]:has-text("{ticker}")')
    expect(trip.first).to_be_visible(timeout=REACH_S * 1000)
    elapsed = time.monotonic() - started
    assert elapsed <= REACH_S * 2, f"the close took {elapsed:.1f} s to reach both views"
    expect(page.get_by_test_id("pnl-calendar")).to_be_visible()
    page.screenshot(path=screens / "journal.png", full_page=True)

    # The explain view shows it as a manual decision.
    trip.first.get_by_role("button").click()
    expect(page.get_by_test_id("explain-manual")).to_be_visible()


def test_manual_stop_when_desk_halted_then_denial_code_is_shown(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    position = _positions(api)[0]
    ticker, stop = position["ticker"], position["stop_price"]
    tighter = f"{float(stop) + 0.5:.2f}" if stop else f"{float(position['market_price']) * 0.9:.2f}"
    api.post("/api/halt", json={"reason": "e2e: denial"}).raise_for_status()
    try:
        sign_in(page, console, desk.url, TRADE_KEY)
        page.get_by_label(f"Move the stop of {ticker}", exact=True).click()
        page.get_by_test_id("manual-stop").fill(tighter)
        page.get_by_test_id("manual-reason").fill("e2e: tighten while halted")
        page.get_by_test_id("manual-confirm").click()
        expect(page.get_by_test_id("manual-outcome")).to_have_text("Denied: HALTED")
        page.screenshot(path=screens / "manual-denied.png")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("manual-dialog")).to_be_hidden()
    finally:
        api.post("/api/resume", json={"reason": "e2e: done"}).raise_for_status()


def test_decisions_when_filtered_then_the_explorer_narrows(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    everything = api.get("/api/decisions", params={"limit": 200}).raise_for_status().json()
    tickers = {d["ticker"] for d in everything["items"]}
    assert len(tickers) > 1, "the first scan decided more than one ticker"
    ticker = sorted(tickers)[0]
    sign_in(page, console, desk.url, TRADE_KEY)
    _open_view(page, "decisions")
    rows = page.get_by_test_id("decision-row")
    expect(rows.first).to_be_visible()
    before = rows.count()
    page.get_by_test_id("filter-ticker").fill(ticker)
    expect(
        page.locator(f'[data-testid="decision-row"]:not([data-ticker="{ticker}"])')
    ).to_have_count(0)
    assert rows.count() < before
    page.get_by_test_id("filter-ticker").fill("")
    page.get_by_test_id("filter-verdict").select_option("approved")
    expect(rows.first).to_be_visible()
    expect(page.get_by_test_id("decisions-table")).not_to_contain_text("denied")
    page.screenshot(path=screens / "decisions.png")


def test_watchlist_when_edited_and_saved_then_the_next_scan_decides_it(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    _open_view(page, "watchlist")
    items = page.get_by_test_id("watchlist-item")
    expect(items.first).to_be_visible()
    first = items.first.get_attribute("data-ticker")
    second = items.nth(1).get_attribute("data-ticker")
    page.get_by_test_id("watchlist-input").fill("zzzz")
    page.get_by_test_id("watchlist-add").click()
    expect(page.get_by_test_id("watchlist-problem")).to_contain_text("UNKNOWN_TICKER")
    console.forgive(NOT_FOUND_LOG)  # the refused ticker's 404
    page.get_by_label(f"Remove {first}").click()
    page.get_by_label(f"Move {second} down").click()
    page.get_by_test_id("watchlist-save").click()
    expect(page.get_by_test_id("watchlist-saved")).to_be_visible()
    page.screenshot(path=screens / "watchlist.png")

    saved = api.get("/api/watchlist").raise_for_status().json()
    assert first not in saved["tickers"]
    assert saved["items"][0]["name"] != saved["items"][0]["ticker"]
    # The next scan (the autopilot's job and POST /api/scan both read the saved list).
    report = api.post("/api/scan", json={}).raise_for_status().json()
    assert report["tickers"] == saved["tickers"]


def test_settings_when_opened_then_limits_analyst_and_schedule_are_shown(
    page: Page, desk: DeskServer, console: ConsoleWatch, screens: Path
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    _open_view(page, "settings")
    expect(page.get_by_test_id("settings-analyst")).to_have_text("rules")
    expect(page.get_by_test_id("settings-limits")).to_contain_text("max drawdown")
    expect(page.get_by_test_id("settings-jobs")).to_contain_text("scan")
    page.screenshot(path=screens / "settings.png")


def test_views_when_reached_by_keyboard_then_focus_moves_in_tab_order(
    page: Page, desk: DeskServer, console: ConsoleWatch
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    page.get_by_test_id("view-desk").focus()
    for view in VIEWS:
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement?.dataset?.testid")
        assert focused == f"view-{view}"
        page.keyboard.press("Enter")
        expect(page.get_by_test_id(f"view-{view}")).to_have_attribute("aria-current", "page")
        page.get_by_test_id(f"view-{view}").focus()
    expect(page.get_by_test_id("quote-card")).to_have_count(0)


@pytest.fixture
def phone(browser: Browser, console: ConsoleWatch) -> Iterator[Page]:
    """Yield a page the size of a phone (390 x 844, touch, light)."""
    yield from new_page(
        browser, console, viewport=PHONE, is_mobile=True, has_touch=True, color_scheme="light"
    )


def test_views_when_phone_sized_then_nothing_overflows_sideways(
    phone: Page, desk: DeskServer, console: ConsoleWatch
) -> None:
    sign_in(phone, console, desk.url, TRADE_KEY)
    # The simulated market trades around the clock: its quote never says "market closed".
    expect(phone.get_by_test_id("quote-card")).to_contain_text(re.compile("market open"))
    for view in VIEWS:
        _open_view(phone, view)
        phone.wait_for_timeout(300)
        width = phone.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"#{view} is {width} px wide on a 390 px screen"
