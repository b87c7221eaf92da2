"""The snapshot's context: fundamentals, headlines and sentiment, fail-soft and never late."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from tests.fakes.context import FakeContext, WordScorer

from swingdesk.adapters.simulated_market import SimulatedMarket
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.context import Fundamentals, Headline
from swingdesk.domain.enums import Action
from swingdesk.domain.errors import TemporaryError, UnknownTickerError
from swingdesk.domain.events import SignalCreated
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.marketdata.context import ScoreCache, score_headlines, visible_news
from swingdesk.risk.limits import RiskLimits
from swingdesk.risk.manager import RiskManager

CAL = TradingCalendar()
NOW = datetime(2025, 3, 14, 21, 0, tzinfo=UTC)


def _h(title: str, hours_ago: float, **kw: object) -> Headline:
    return Headline(title=title, published_at=NOW - timedelta(hours=hours_ago), **kw)  # type: ignore[arg-type]


def _fund(day: date, cap: str = "2000000000") -> Fundamentals:
    return Fundamentals(as_of=day, source="test", market_cap_usd=Decimal(cap))


def _agent(ctx: FakeContext | None, scorer: WordScorer | None = None) -> MarketDataAgent:
    return MarketDataAgent(
        SimulatedMarket(42, calendar=CAL), CAL, context=ctx, scorer=scorer or WordScorer()
    )


async def test_snapshot_when_context_source_answers_then_news_scored_and_fundamentals_kept() -> (
    None
):
    ctx = FakeContext(
        headlines={"AAPL": [_h("good good quarter", 2), _h("bad news", 30), _h("flat", 1)]},
        figures={"AAPL": [_fund(date(2025, 3, 1)), _fund(date(2025, 2, 1), "1000000000")]},
    )
    snap = await _agent(ctx).snapshot("AAPL", NOW)
    assert [h.title for h in snap.news] == ["flat", "good good quarter", "bad news"]
    assert [h.sentiment for h in snap.news] == [0.0, 1.0, -0.5]
    assert snap.sentiment is not None
    assert snap.sentiment.score == pytest.approx(0.1667, abs=1e-4)
    assert snap.sentiment.label == "positive"
    assert snap.sentiment.method.startswith("words-test")
    assert snap.fundamentals == _fund(date(2025, 3, 1))
    assert snap.missing == ()


async def test_snapshot_when_no_context_source_then_prices_only_and_nothing_missing() -> None:
    snap = await MarketDataAgent(SimulatedMarket(42, calendar=CAL), CAL).snapshot("AAPL", NOW)
    assert (snap.news, snap.fundamentals, snap.sentiment, snap.missing) == ((), None, None, ())


@pytest.mark.parametrize(
    "error", [TemporaryError("news feed down"), UnknownTickerError("no"), RuntimeError("bug")]
)
async def test_snapshot_when_news_source_fails_then_news_missing_and_snapshot_still_built(
    error: Exception,
) -> None:
    ctx = FakeContext(news_error=error, figures={"AAPL": [_fund(date(2025, 3, 1))]})
    snap = await _agent(ctx).snapshot("AAPL", NOW)
    assert snap.price is not None
    assert snap.news == ()
    assert snap.fundamentals is not None
    assert set(snap.missing) == {"news", "sentiment"}


async def test_snapshot_when_fundamentals_fail_or_absent_then_fundamentals_missing() -> None:
    failing = FakeContext(fundamentals_error=TemporaryError("down"))
    assert "fundamentals" in (await _agent(failing).snapshot("AAPL", NOW)).missing
    assert "fundamentals" in (await _agent(FakeContext()).snapshot("AAPL", NOW)).missing


async def test_snapshot_when_source_has_no_news_feed_then_news_missing() -> None:
    snap = await _agent(FakeContext(has_news=False)).snapshot("AAPL", NOW)
    assert {"news", "sentiment"} <= set(snap.missing)


async def test_snapshot_when_source_sends_future_items_then_none_is_seen() -> None:
    ctx = FakeContext(
        honest=False,
        headlines={"AAPL": [_h("from the future", -1), _h("past", 1)]},
        figures={"AAPL": [_fund(date(2025, 3, 15))]},  # tomorrow in New York
    )
    snap = await _agent(ctx).snapshot("AAPL", NOW)
    assert [h.title for h in snap.news] == ["past"]
    assert snap.fundamentals is None
    assert "fundamentals" in snap.missing


def test_visible_news_when_many_and_old_then_newest_within_lookback_capped_and_deduplicated() -> (
    None
):
    items = [_h(f"t{i}", i) for i in range(10)] + [_h("t1", 1), _h("old", 24 * 20)]
    kept = visible_news(items, NOW, limit=3, lookback_days=14)
    assert [h.title for h in kept] == ["t0", "t1", "t2"]
    assert visible_news(items, NOW, limit=50, lookback_days=14)[-1].title == "t9"


def test_score_headlines_when_no_headlines_then_no_score_and_method_named() -> None:
    scored, sentiment = score_headlines((), ScoreCache(WordScorer()))
    assert scored == ()
    assert (sentiment.score, sentiment.headlines, sentiment.label) == (None, 0, None)
    assert "words-test" in sentiment.method


def test_score_cache_when_title_repeats_then_scored_once() -> None:
    scorer = WordScorer()
    cache = ScoreCache(scorer)
    assert cache.score("good") == cache.score("good") == 0.5
    assert scorer.scored == ["good"]


async def test_risk_when_only_the_context_is_missing_then_market_data_check_passes() -> None:
    snap = await _agent(FakeContext(news_error=TemporaryError("down"))).snapshot("AAPL", NOW)
    assert set(snap.missing) == {"news", "sentiment", "fundamentals"}
    assert snap.unavailable() == []
    cash = Decimal(100_000)
    portfolio = PortfolioState(
        cash=cash, buying_power=cash, high_water_mark=cash, start_of_day_equity=cash, as_of=NOW
    )
    signal = SignalCreated(
        ts_event=NOW, decision_id=uuid4(), ticker="AAPL", action=Action.BUY, confidence=0.9,
        rationale="test", model="test",
    )  # fmt: skip
    verdict = RiskManager(RiskLimits()).evaluate_signal(signal, portfolio, snap, NOW)
    [check] = [c for c in verdict.checks if c.code == "MARKET_DATA"]
    assert check.passed, check.message
