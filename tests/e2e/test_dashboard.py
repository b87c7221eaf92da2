"""The dashboard in a real browser: sign-in, live feed, explain view, halt/resume, wrong key."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect
from tests.fakes.browser import DESKTOP, UNAUTHORIZED_LOG, ConsoleWatch, open_ticker, sign_in
from tests.fakes.desk_server import READ_KEY, TRADE_KEY, DeskServer

FEED_DEADLINE_S = 5.0


def _has_number(text: str) -> bool:
    return re.search(r"\d", text) is not None


def test_dashboard_when_signed_in_then_header_shows_state_source_and_live_stream(
    page: Page, desk: DeskServer, console: ConsoleWatch, screens: Path
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    # The key lives in this tab's session storage: a reload loads straight into the desk.
    page.reload()
    expect(page.get_by_test_id("stream-status")).to_have_text("live")

    expect(page.get_by_test_id("trading-state")).to_have_text("ACTIVE")
    expect(page.get_by_test_id("data-source-badge")).to_contain_text("SIMULATED MARKET")
    expect(page.get_by_test_id("broker-badge")).to_contain_text("SIMULATED")
    expect(page.get_by_test_id("stream-status")).to_have_text("live")
    expect(page.get_by_test_id("equity")).to_have_text(re.compile(r"\d"))
    for panel in ("positions-table", "equity-curve", "risk-panel", "movers", "live-feed"):
        expect(page.get_by_test_id(panel)).to_be_visible()
    expect(page.get_by_test_id("price-chart").locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("app-error")).to_have_count(0)
    expect(page.get_by_test_id("auth-error")).to_have_count(0)
    page.wait_for_timeout(300)  # the charts draw on the next animation frame
    page.screenshot(path=screens / "desktop-light.png", full_page=True)


def test_run_analysis_when_clicked_then_the_decision_shows_in_the_live_feed_within_5s(
    page: Page, desk: DeskServer, console: ConsoleWatch
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    open_ticker(page, "MSFT")

    started = time.monotonic()
    with page.expect_response(re.compile(r"/api/trigger$")) as answer:
        page.get_by_test_id("run-analysis").click()
    decision: dict[str, Any] = answer.value.json()
    assert answer.value.status == 200, decision
    item = page.locator(
        f'[data-testid="feed-item"][data-decision-id="{decision["decision_id"]}"]'
    ).first
    remaining_ms = (FEED_DEADLINE_S - (time.monotonic() - started)) * 1000
    expect(item).to_contain_text("MSFT", timeout=max(remaining_ms, 1))
    elapsed = time.monotonic() - started
    assert elapsed <= FEED_DEADLINE_S, f"decision reached the feed after {elapsed:.2f} s"
    # The pipeline panel follows the same decision.
    expect(page.get_by_test_id("pipeline-stages")).to_have_attribute(
        "data-decision-id", decision["decision_id"]
    )


def _decision_with_risk_checks(api: httpx.Client) -> dict[str, Any]:
    """Run scans until one decision went through the risk desk (a BUY or SELL)."""
    movers = api.get("/api/movers", params={"n": 20}).raise_for_status().json()
    tickers = list(
        dict.fromkeys(
            m["ticker"] for group in ("gainers", "losers", "most_active") for m in movers[group]
        )
    )
    for start in range(0, len(tickers), 10):
        batch = tickers[start : start + 10]
        report = api.post("/api/scan", json={"tickers": batch}).raise_for_status().json()
        for result in report["results"]:
            if result.get("risk"):
                return dict(result)
    raise AssertionError(f"no BUY/SELL among {tickers}: the simulated market gave only HOLDs")


def test_explain_when_a_feed_decision_is_clicked_then_every_risk_check_is_shown(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    decision = _decision_with_risk_checks(api)
    checks = decision["risk"]["checks"]

    item = page.locator(
        f'[data-testid="feed-item"][data-decision-id="{decision["decision_id"]}"]'
    ).first
    item.click()
    view = page.get_by_test_id("explain-view")
    expect(view).to_be_visible()
    expect(view).to_have_attribute("role", "dialog")
    expect(view).to_contain_text(decision["ticker"])
    for check in checks:
        expect(view).to_contain_text(check["code"])
    page.screenshot(path=screens / "explain.png")
    page.get_by_test_id("explain-close").click()
    expect(view).to_be_hidden()


def _change_state(page: Page, button: str, reason: str) -> None:
    page.get_by_test_id(button).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("reason-input")).to_be_focused()
    page.get_by_test_id("reason-input").fill(reason)
    page.get_by_test_id("confirm-button").click()
    expect(dialog).to_be_hidden()


def test_halt_when_confirmed_then_header_is_halted_and_a_trigger_is_denied_until_resume(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    open_ticker(page, "AAPL")
    try:
        _change_state(page, "halt-button", "e2e: halt from the dashboard")
        expect(page.get_by_test_id("trading-state")).to_have_text("HALTED")

        with page.expect_response(re.compile(r"/api/trigger$")) as answer:
            page.get_by_test_id("run-analysis").click()
        decision = answer.value.json()
        assert decision["signal"]["reason_code"] == "HALTED", decision
        expect(page.get_by_test_id("pipeline-stages")).to_contain_text("HALTED")
        expect(
            page.locator(
                f'[data-testid="feed-item"][data-decision-id="{decision["decision_id"]}"]'
            ).first
        ).to_contain_text("AAPL", timeout=5_000)

        _change_state(page, "resume-button", "e2e: resume from the dashboard")
        expect(page.get_by_test_id("trading-state")).to_have_text("ACTIVE")
    finally:
        # Keep the tests independent even when an assertion above failed.
        if api.get("/api/portfolio").json().get("trading_state") != "ACTIVE":
            api.post("/api/resume", json={"reason": "e2e: cleanup"}).raise_for_status()


def test_api_key_when_wrong_then_the_401_message_is_shown(
    browser: Browser, desk: DeskServer, console: ConsoleWatch
) -> None:
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        page = ctx.new_page()
        console.watch(page)
        page.goto(desk.url + "/")
        page.get_by_test_id("api-key-input").fill("e2e-wrong-key-0000-aaaa-bbbb")
        page.get_by_test_id("api-key-save").click()
        error = page.get_by_test_id("auth-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("401")
        expect(page.get_by_test_id("stream-status")).not_to_have_text("live")
    finally:
        ctx.close()
    # Chromium logs each refused request; anything else would be a real error.
    unexpected = [e for e in console.take() if not UNAUTHORIZED_LOG.search(e)]
    assert unexpected == []


def test_read_key_when_trading_then_the_403_message_is_shown(
    page: Page, desk: DeskServer, console: ConsoleWatch
) -> None:
    sign_in(page, console, desk.url, READ_KEY)
    expect(page.get_by_test_id("equity")).to_have_text(re.compile(r"\d"))

    page.get_by_test_id("scan-button").click()
    error = page.get_by_test_id("auth-error")
    expect(error).to_contain_text("403")
    refused = console.forgive(re.compile(r"status of 403 .*/api/scan"))
    assert refused, "expected the scan to be refused with 403"


def test_stream_when_the_server_restarts_then_the_loss_shows_and_it_reconnects_by_itself(
    page: Page, console: ConsoleWatch, tmp_path: Path
) -> None:
    # A server of its own: this test stops and restarts it under the connected page.
    with DeskServer(data_dir=tmp_path / "desk", log_path=tmp_path / "serve.log") as own:
        sign_in(page, console, own.url, TRADE_KEY)
        status = page.get_by_test_id("stream-status")

        own.stop()  # serve closes the open event streams on SIGINT, then exits
        expect(status).to_have_text(re.compile(r"reconnecting|offline"), timeout=15_000)
        own.start()
        expect(status).to_have_text("live", timeout=30_000)
        # The stream is really back: a decision made elsewhere reaches the feed.
        with httpx.Client(base_url=own.url, headers={"X-API-Key": TRADE_KEY}) as api:
            decision = api.post("/api/trigger", json={"ticker": "JPM"}).raise_for_status().json()
        # The decision's own item names the ticker; when it ordered, its order events (which
        # name the order) may arrive after it and sit above it in the feed.
        expect(
            page.locator(
                f'[data-testid="feed-item"][data-decision-id="{decision["decision_id"]}"]',
                has_text="JPM",
            ).first
        ).to_be_visible(timeout=5_000)
        page.close()
    # While the server was down the browser logged the connections it lost or could not make;
    # only those are forgiven.
    console.forgive(re.compile(r"net::ERR_(CONNECTION_REFUSED|EMPTY_RESPONSE|INCOMPLETE_CHUNKED)"))


def test_theme_toggle_when_clicked_then_data_theme_and_colours_change(
    page: Page, desk: DeskServer, console: ConsoleWatch, screens: Path
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    before = page.evaluate(
        "() => [document.documentElement.dataset.theme,"
        " getComputedStyle(document.body).backgroundColor]"
    )
    for chart in ("price-chart", "equity-curve"):
        assert _canvas_brightness(page, chart, dark=False) > DARK, f"{chart} is not drawn light"
    page.get_by_test_id("theme-toggle").click()
    expect(page.locator("html")).not_to_have_attribute("data-theme", before[0])
    after = page.evaluate(
        "() => [document.documentElement.dataset.theme,"
        " getComputedStyle(document.body).backgroundColor]"
    )
    assert before[0] == "light"
    assert after[0] == "dark"
    assert after[1] != before[1], "the page background did not change colour"
    # The charts are canvases: they must be redrawn in the dark colours too.
    for chart in ("price-chart", "equity-curve"):
        assert _canvas_brightness(page, chart, dark=True) < DARK, f"{chart} is still drawn light"
    page.screenshot(path=screens / "desktop-dark.png", full_page=True)


#: Mean RGB (0-255) under which a chart counts as drawn dark.
DARK = 128
#: Mean RGB of the opaque pixels along the top row of every canvas of a chart.
_CANVAS_BRIGHTNESS = """(testId) => {
  const values = [];
  for (const c of document.querySelectorAll(`[data-testid="${testId}"] canvas`)) {
    const ctx = c.getContext("2d");
    if (!ctx || c.width < 8 || c.height < 8) continue;
    const row = ctx.getImageData(0, 3, c.width, 1).data;
    for (let i = 0; i < row.length; i += 4) {
      if (row[i + 3] === 255) values.push((row[i] + row[i + 1] + row[i + 2]) / 3);
    }
  }
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}"""


def _canvas_brightness(page: Page, test_id: str, *, dark: bool, timeout_s: float = 5.0) -> float:
    """Return the chart's brightness once it is drawn (light or dark as expected), or the last."""
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(_CANVAS_BRIGHTNESS, test_id)
        if value is not None and (value < DARK) == dark:
            break
        page.wait_for_timeout(100)
    assert value is not None, f"{test_id} has no drawn canvas"
    return float(value)
