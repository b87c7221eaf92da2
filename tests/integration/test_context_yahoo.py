"""YahooMarket's news and fundamentals with the real yfinance against the fake Yahoo."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import yfinance as yf
from tests.fakes.context import WordScorer
from tests.fakes.fake_yahoo import AD_ITEM, FakeSymbol, FakeYahoo, yahoo_article

from swingdesk.adapters.yahoo_market import YahooMarket
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.errors import TemporaryError
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.ttl_cache import TtlCache

CAL = TradingCalendar()
SESSIONS = CAL.sessions_between(date(2024, 8, 1), date(2024, 11, 26))
EVENING = datetime(2024, 11, 26, 22, 0, tzinfo=UTC)
BARS = [(d, 100.0 + i - 0.5, 101.0 + i, 99.0 + i, 100.0 + i, 6e6) for i, d in enumerate(SESSIONS)]
#: Figures by quoteSummary module as Yahoo sends them (raw numbers, formatted=false).
MODULES = {
    "financialData": {"currentPrice": 200.0, "revenueGrowth": 0.061, "profitMargins": 0.2397,
                      "debtToEquity": 209.059, "financialCurrency": "USD"},
    "defaultKeyStatistics": {"priceToBook": 52.3, "shortPercentOfFloat": 0.0075,
                             "sharesShort": 115_000_000, "profitMargins": 0.2397},
    "summaryDetail": {"marketCap": 3.5e12, "trailingPE": 37.9, "forwardPE": "Infinity",
                      "dividendRate": 1.0, "dividendYield": 0.005, "beta": 1.24,
                      "previousClose": 199.0},
}  # fmt: skip
QUOTE = {"regularMarketPrice": 200.0, "dividendYield": 0.5, "marketCap": 3.5e12}


def _news() -> list[dict[str, object]]:
    return [
        yahoo_article("Apple beats on good iPhone sales", EVENING - timedelta(hours=3),
                      summary="Sales rose.", url="https://finance.yahoo.com/news/a.html"),
        AD_ITEM,
        yahoo_article("Later story", EVENING + timedelta(hours=2)),
        yahoo_article("Bad week\nfor suppliers", EVENING - timedelta(days=1),
                      publisher="Bloomberg", url=None),
    ]  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _yf_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf-context")))


@pytest.fixture
def fake() -> Iterator[FakeYahoo]:
    with FakeYahoo() as server:
        st = server.state
        st.symbols["AAPL"] = FakeSymbol(BARS, name="Apple Inc.", sector="Technology",
                                        earnings=[date(2025, 1, 30)], modules=MODULES,
                                        quote=QUOTE, news=_news())  # fmt: skip
        st.symbols["^VIX"] = FakeSymbol(BARS, name="VIX")
        yield server


def _market(fake: FakeYahoo) -> YahooMarket:
    return YahooMarket(
        ["AAPL"], session=fake.session(), cache=TtlCache(60), calendar=CAL, sleep=lambda s: None
    )


async def test_news_when_yahoo_answers_then_headlines_newest_first_no_ads_nothing_later(
    fake: FakeYahoo,
) -> None:
    items = await _market(fake).news("AAPL", EVENING, 5)
    assert [h.title for h in items] == [
        "Apple beats on good iPhone sales",
        "Bad week for suppliers",
    ]
    first = items[0]
    assert (first.publisher, first.url, first.summary) == (
        "Reuters", "https://finance.yahoo.com/news/a.html", "Sales rose.",
    )  # fmt: skip
    assert first.published_at == EVENING - timedelta(hours=3)
    assert items[1].url is None
    assert items[1].publisher == "Bloomberg"


async def test_fundamentals_when_info_answers_then_ratios_in_the_desks_units(
    fake: FakeYahoo,
) -> None:
    f = await _market(fake).fundamentals("AAPL", EVENING)
    assert f is not None
    assert f.as_of == date(2024, 11, 26)
    assert f.source == "yahoo"
    assert f.market_cap_usd == Decimal(3_500_000_000_000)
    assert (f.trailing_pe, f.forward_pe, f.price_to_book) == (
        Decimal("37.90"),
        None,
        Decimal("52.30"),
    )
    assert (f.profit_margin_pct, f.revenue_growth_pct) == (Decimal("0.2397"), Decimal("0.0610"))
    assert f.debt_to_equity == Decimal("2.0906")  # Yahoo's 209.059 (%)
    assert f.dividend_yield_pct == Decimal("0.0050")  # dividendRate 1.0 / price 200
    assert (f.beta, f.short_interest_pct) == (Decimal("1.24"), Decimal("0.0075"))


async def test_snapshot_when_ten_concurrent_then_one_news_and_one_info_fetch(
    fake: FakeYahoo,
) -> None:
    market = _market(fake)
    agent = MarketDataAgent(market, CAL, context=market, scorer=WordScorer())
    snaps = await asyncio.gather(*(agent.snapshot("AAPL", EVENING) for _ in range(10)))
    assert len({s.news for s in snaps}) == 1
    assert snaps[0].sentiment is not None
    assert snaps[0].sentiment.headlines == 2
    assert snaps[0].fundamentals is not None
    assert not {"news", "fundamentals"} & set(snaps[0].missing)
    assert fake.state.requests["news:AAPL"] == 1
    assert fake.state.requests["summary:AAPL"] <= 2  # the profile's info, shared


async def test_news_when_rate_limited_then_backs_off_and_succeeds(fake: FakeYahoo) -> None:
    market = _market(fake)
    await market.history("AAPL")  # cookie and crumb first, so the 429s hit the news call
    fake.state.rate_limited = 2
    items = await market.news("AAPL", EVENING, 5)
    assert len(items) == 2
    assert market.rate_limited >= 1


async def test_snapshot_when_news_fails_then_news_missing_and_snapshot_built(
    fake: FakeYahoo,
) -> None:
    fake.state.symbols["AAPL"].news = None  # Yahoo answers 500
    market = _market(fake)
    with pytest.raises(TemporaryError):
        await market.news("AAPL", EVENING, 5)
    snap = await MarketDataAgent(market, CAL, context=market, scorer=WordScorer()).snapshot(
        "AAPL", EVENING
    )
    assert snap.price is not None
    assert {"news", "sentiment"} <= set(snap.missing)
    assert snap.fundamentals is not None
