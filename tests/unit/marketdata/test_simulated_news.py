"""The simulated market's headlines and fundamentals: deterministic and tied to its chart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from swingdesk.adapters.simulated_market import SimulatedMarket
from swingdesk.adapters.simulated_news import BEAT, MISS, PUBLISHERS, SimulatedContext
from swingdesk.domain.calendar import TradingCalendar

CAL = TradingCalendar()
NOW = datetime(2025, 3, 14, 21, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return SimulatedMarket(42, calendar=CAL, today=date(2025, 6, 30))


async def test_news_when_asked_twice_or_by_another_instance_then_identical(
    market: SimulatedMarket,
) -> None:
    other = SimulatedMarket(42, calendar=CAL, today=date(2025, 6, 30))
    first = await market.news("AAPL", NOW, 5)
    assert first == await market.news("AAPL", NOW, 5) == await other.news("AAPL", NOW, 5)
    assert first != await SimulatedMarket(7, calendar=CAL, today=date(2025, 6, 30)).news(
        "AAPL", NOW, 5
    )


async def test_news_when_asked_at_any_time_then_nothing_published_later(
    market: SimulatedMarket,
) -> None:
    for hours in range(0, 24 * 30, 7):
        now = NOW - timedelta(hours=hours)
        items = await market.news("MSFT", now, 10)
        assert all(h.published_at <= now for h in items)
        assert [h.published_at for h in items] == sorted(
            (h.published_at for h in items), reverse=True
        )
        assert all(h.publisher in PUBLISHERS and h.url is None for h in items)


def test_earnings_headlines_when_reports_happen_then_beat_or_miss_follows_the_gap(
    market: SimulatedMarket,
) -> None:
    daily = market.daily()
    ctx = SimulatedContext(daily)
    for k in range(len(daily.tickers)):
        ev = ctx.events(k)
        earn = np.isin(ev.kind, (BEAT, MISS))
        sessions = ev.session[earn]
        reports = np.flatnonzero(np.isin(daily.days, daily.earnings[k]))
        assert set(sessions.tolist()) == set(reports[reports > 0].tolist())
        gap = daily.open[k, sessions] / daily.close[k, sessions - 1] - 1
        assert ((gap >= 0) == (ev.kind[earn] == BEAT)).all()
        # Published before the report's open: the chart's gap is the news.
        assert (ev.at_s[earn] < daily.opens_s[sessions]).all()


async def test_earnings_headline_when_read_then_quotes_the_move_and_scores_with_its_sign(
    market: SimulatedMarket,
) -> None:
    from swingdesk.adapters.vader_sentiment import VaderScorer

    scorer = VaderScorer()
    daily = market.daily()
    k = daily.tickers.index(next(t for t in daily.tickers if t.ticker == "AAPL"))
    ctx = SimulatedContext(daily)
    ev = ctx.events(k)
    seen = 0
    for j in np.flatnonzero(np.isin(ev.kind, (BEAT, MISS)))[:12].tolist():
        at = datetime.fromtimestamp(int(ev.at_s[j]), tz=UTC)
        [h] = ctx.news(k, at.timestamp(), 1)
        move = f"{abs(float(ev.value[j])) * 100:.1f}%"
        assert move in h.title
        beat = int(ev.kind[j]) == BEAT
        assert ("beats" in h.title or "tops" in h.title) is beat
        assert (scorer.score(h.title) > 0) is beat
        seen += 1
    assert seen == 12


async def test_fundamentals_when_asked_then_stable_ratios_and_price_dependent_cap(
    market: SimulatedMarket,
) -> None:
    a = await market.fundamentals("AAPL", NOW)
    b = await market.fundamentals("AAPL", NOW + timedelta(days=3))
    assert a is not None
    assert b is not None
    assert a.as_of == date(2025, 3, 14)
    assert b.as_of == date(2025, 3, 17)
    assert (a.profit_margin_pct, a.debt_to_equity, a.beta) == (
        b.profit_margin_pct, b.debt_to_equity, b.beta,
    )  # fmt: skip
    assert a.market_cap_usd != b.market_cap_usd  # it moves with the price
    assert a.source == "simulated"
    assert await market.fundamentals("AAPL", datetime(2019, 1, 2, 12, tzinfo=UTC)) is None


def test_news_density_when_whole_history_then_a_few_headlines_a_month(
    market: SimulatedMarket,
) -> None:
    ctx = SimulatedContext(market.daily())
    years = market.daily().days.size / 252
    per_month = np.mean([ctx.events(k).at_s.size for k in range(70)]) / years / 12
    assert 1.5 < per_month < 8
