"""The Backtests view: start a small backtest from the form, see it finish, read its report."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from tests.fakes.browser import ConsoleWatch, sign_in
from tests.fakes.desk_server import TRADE_KEY, DeskServer


def test_backtests_view_when_a_run_is_started_then_its_report_shows_in_a_sandboxed_frame(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    page.get_by_test_id("view-backtests").click()
    expect(page).to_have_url(re.compile(r"#backtests$"))

    page.get_by_test_id("bt-tickers").fill("AAPL, MSFT")
    page.get_by_test_id("bt-start").fill("2024-01-02")
    page.get_by_test_id("bt-end").fill("2024-06-28")
    page.get_by_test_id("bt-strategy").select_option("crossover")
    page.get_by_test_id("bt-cash").fill("50000")
    page.get_by_test_id("bt-run").click()

    row = page.get_by_test_id("bt-run-row").first
    expect(row).to_have_attribute("data-status", "done", timeout=90_000)
    runs = api.get("/api/backtests").raise_for_status().json()["items"]
    run = runs[0]
    assert run["params"]["tickers"] == ["AAPL", "MSFT"]
    assert run["params"]["strategy"] == "crossover"
    assert run["params"]["initial_cash"] == "50000"
    summary = run["summary"]
    expect(row.get_by_test_id("bt-total-return")).to_have_text(re.compile(r"\d+\.\d\d%"))

    frame_el = page.get_by_test_id("bt-report")
    expect(frame_el).to_have_attribute("sandbox", "")
    report = page.frame_locator("[data-testid=bt-report]")
    cell = report.locator('td[data-key="total_return"]')
    expect(cell).to_have_attribute("data-value", str(summary["total_return"]), timeout=10_000)
    expect(report.locator('td[data-key="benchmark.total_return"]')).to_have_attribute(
        "data-value", str(summary["benchmark_total_return"])
    )
    expect(report.locator("h1")).to_contain_text("crossover 2024-01-02..2024-06-28")
    # The sandbox leaves the report no script and an opaque origin.
    can_reach = page.evaluate(
        "() => { try { return !!document.querySelector('[data-testid=bt-report]')"
        ".contentDocument; } catch (e) { return false; } }"
    )
    assert can_reach is False
    page.locator("main.backtests").screenshot(path=screens / "backtests.png")
