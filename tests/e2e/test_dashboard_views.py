"""The dashboard's views: a phone-sized screen without sideways scrolling; the ticker view."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.fakes.browser import PHONE, ConsoleWatch, new_page, open_ticker, sign_in
from tests.fakes.desk_server import TRADE_KEY, DeskServer


@pytest.fixture
def phone(browser: Browser, console: ConsoleWatch) -> Iterator[Page]:
    """Yield a page the size of a phone (390 x 844, touch, light)."""
    yield from new_page(
        browser,
        console,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        color_scheme="light",
    )


def test_dashboard_when_phone_sized_then_nothing_overflows_sideways(
    phone: Page, desk: DeskServer, console: ConsoleWatch, screens: Path
) -> None:
    sign_in(phone, console, desk.url, TRADE_KEY)
    expect(phone.get_by_test_id("equity")).to_have_text(re.compile(r"\d"))
    expect(phone.get_by_test_id("price-chart").locator("canvas").first).to_be_visible()

    width = phone.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"page is {width} px wide on a {PHONE['width']} px screen"
    # Single column: the side panels sit below the ticker view, not beside it.
    ticker = phone.locator("section.ticker-view").bounding_box()
    risk = phone.get_by_test_id("risk-panel").bounding_box()
    assert ticker is not None
    assert risk is not None
    assert risk["y"] >= ticker["y"] + ticker["height"] - 1
    phone.screenshot(path=screens / "phone.png")


def test_ticker_view_when_opened_then_quote_chart_and_stages_come_from_the_api(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    # A ticker the desk holds shows the most: entry markers and the protective stop line.
    positions = api.get("/api/portfolio").raise_for_status().json()["positions"]
    ticker = positions[0]["ticker"] if positions else "NVDA"
    quote = api.get(f"/api/quote/{ticker}").raise_for_status().json()
    # With reduced motion the app scrolls to the ticker at once, not over a few hundred ms.
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, console, desk.url, TRADE_KEY)
    open_ticker(page, ticker)

    card = page.get_by_test_id("quote-card")
    expect(card).to_contain_text(quote["name"])
    expect(card).to_contain_text(quote["sector"])
    expect(page.get_by_test_id("price-chart").locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("pipeline-stages")).to_be_visible()
    expect(page.locator("#ticker-title")).to_be_in_viewport()
    # Opening a ticker scrolled to it; back to the top, so the sticky header does not cover
    # the screenshot.
    page.evaluate("() => window.scrollTo({top: 0, behavior: 'instant'})")
    assert page.evaluate("() => window.scrollY") == 0
    page.wait_for_timeout(300)  # the chart draws on the next animation frame
    page.locator("section.ticker-view").screenshot(path=screens / "ticker.png")


def test_ticker_when_unknown_then_an_error_toast_shows_its_code(
    page: Page, desk: DeskServer, console: ConsoleWatch
) -> None:
    sign_in(page, console, desk.url, TRADE_KEY)
    box = page.get_by_test_id("ticker-input")
    box.fill("ZZZZ")
    box.press("Enter")

    toast = page.get_by_test_id("app-error").first
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("UNKNOWN_TICKER")
    expect(page.get_by_test_id("auth-error")).to_have_count(0)
    # The news and fundamentals cards say why they are empty (their requests were refused).
    expect(page.get_by_test_id("news-card").get_by_role("alert")).to_be_visible()
    expect(page.get_by_test_id("fundamentals-card").get_by_role("alert")).to_be_visible()
    # Chromium logs the refused requests; nothing else may be logged.
    refused = console.forgive(
        re.compile(r"status of 404 .*/api/(quote|market-history|news|fundamentals)/ZZZZ")
    )
    assert refused, "expected the quote and history requests to be refused"


def _tone(score: float | None) -> str:
    if score is None:
        return "unknown"
    return "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"


def test_ticker_view_when_opened_then_headlines_with_sentiment_and_fundamentals_card(
    page: Page, desk: DeskServer, console: ConsoleWatch, api: httpx.Client, screens: Path
) -> None:
    # The simulated market's headlines follow its own events: take the ticker with the most.
    universe = ["AAPL", "MSFT", "NVDA", "TSLA", "AMD", "XOM", "JPM", "BA", "META", "AMZN"]
    bodies = {t: api.get(f"/api/news/{t}").raise_for_status().json() for t in universe}
    ticker = max(universe, key=lambda t: len(bodies[t]["headlines"]))
    heads = bodies[ticker]["headlines"]
    assert heads, "no simulated headline in the lookback window for any of ten tickers"
    figures = api.get(f"/api/fundamentals/{ticker}").raise_for_status().json()["fundamentals"]
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, console, desk.url, TRADE_KEY)
    open_ticker(page, ticker)

    card = page.get_by_test_id("news-card")
    items = card.get_by_test_id("headline")
    expect(items).to_have_count(len(heads))
    for i, h in enumerate(heads):
        item = items.nth(i)
        expect(item).to_contain_text(h["title"])
        expect(item).to_contain_text(h["publisher"])
        expect(item).to_have_attribute("data-sentiment", _tone(h["sentiment"]))
        expect(item.locator("time")).to_have_attribute("datetime", h["published_at"])
    colour = items.first.locator(".sentiment-dot").evaluate("e => getComputedStyle(e).color")
    if _tone(heads[0]["sentiment"]) in ("positive", "negative"):
        assert colour != items.first.locator(".headline-title, a").first.evaluate(
            "e => getComputedStyle(e).color"
        )
    expect(card).to_contain_text("vader-3.3.2+finance")
    fundamentals = page.get_by_test_id("fundamentals-card")
    expect(fundamentals).to_contain_text(f"as of {figures['as_of']} · simulated")
    expect(fundamentals).to_contain_text("Market cap")
    card.scroll_into_view_if_needed()
    page.locator(".context-cards").screenshot(path=screens / "news.png")
