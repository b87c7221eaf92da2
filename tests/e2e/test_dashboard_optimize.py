"""The Optimize view: start a tiny walk-forward study, see its progress end and its result."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from tests.fakes.browser import ConsoleWatch, sign_in
from tests.fakes.desk_server import TRADE_KEY, DeskServer


def test_optimize_view_when_a_study_is_started_then_its_charts_and_oos_equity_show(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    page.get_by_test_id("view-optimize").click()
    expect(page).to_have_url(re.compile(r"#optimize$"))

    page.get_by_test_id("opt-tickers").fill("AAPL, MSFT")
    page.get_by_test_id("opt-start").fill("2022-01-03")
    page.get_by_test_id("opt-end").fill("2023-12-29")
    page.get_by_test_id("opt-trials").fill("3")
    page.get_by_test_id("opt-folds").fill("2")
    page.get_by_test_id("opt-run").click()

    row = page.get_by_test_id("opt-run-row").first
    expect(row).to_have_attribute("data-status", "done", timeout=120_000)
    run = api.get("/api/optimizations").raise_for_status().json()["items"][0]
    assert run["params"]["tickers"] == ["AAPL", "MSFT"]
    assert run["progress"] == {"done": 6, "total": 6, "best": None}

    result = page.get_by_test_id("opt-result")
    expect(result).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("opt-progress")).to_contain_text("6 / 6 trials")
    expect(page.get_by_test_id("opt-best-so-far")).to_have_count(2)
    detail = api.get(f"/api/optimizations/{run['run_id']}").raise_for_status().json()
    days = len(detail["result"]["out_of_sample"]["days"])
    expect(page.get_by_test_id("opt-oos-equity")).to_have_attribute("data-points", str(days))
    expect(page.get_by_test_id("opt-report")).to_have_attribute("sandbox", "")
    report = page.frame_locator("[data-testid=opt-report]")
    expect(report.locator("h1")).to_contain_text("Optimisation", timeout=10_000)
    page.locator("main.optimize").screenshot(path=screens / "optimize.png")
