"""YahooMarket with the real yfinance library against the fake Yahoo on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import yfinance as yf
from tests.fakes.fake_yahoo import FakeSymbol, FakeYahoo

from swingdesk.adapters.yahoo_market import YahooMarket
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.errors import TemporaryError, UnknownTickerError
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.ttl_cache import TtlCache

CAL = TradingCalendar()
SESSIONS = CAL.sessions_between(date(2024, 8, 1), date(2024, 11, 26))
EVENING = datetime(2024, 11, 26, 22, 0, tzinfo=UTC)  # after Tuesday's close


def _bars(
    n: int = len(SESSIONS), nan_at: tuple[int, ...] = ()
) -> list[tuple[date, float, float, float, float, float]]:
    out = []
    for i, d in enumerate(SESSIONS[-n:]):
        c = 100.0 + i
        close = float("nan") if i in nan_at else c
        out.append((d, c - 0.5, c + 1.0, c - 1.0, close, 6_000_000.0))
    return out


@pytest.fixture(autouse=True, scope="session")
def _yf_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    # yfinance keeps its SQLite caches open process-wide: point them once, at a private
    # folder, instead of moving them per test (a moved cache can report "database is locked").
    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf")))


@pytest.fixture
def fake() -> Iterator[FakeYahoo]:
    with FakeYahoo() as server:
        st = server.state
        st.symbols["AAPL"] = FakeSymbol(
            _bars(),
            name="Apple Inc.",
            sector="Technology",
            earnings=[date(2024, 10, 31), date(2025, 1, 30)],
        )
        st.symbols["MSFT"] = FakeSymbol(_bars(), name="Microsoft", earnings=[date(2024, 11, 28)])
        st.symbols["^VIX"] = FakeSymbol(_bars(), name="VIX")
        yield server


def _market(fake: FakeYahoo, **kw: object) -> YahooMarket:
    return YahooMarket(
        ["AAPL", "MSFT"],
        session=fake.session(),
        cache=TtlCache(60),
        calendar=CAL,
        sleep=lambda s: None,
        **kw,  # type: ignore[arg-type]
    )


async def test_snapshot_when_all_endpoints_answer_then_complete(fake: FakeYahoo) -> None:
    market = _market(fake)
    snap = await MarketDataAgent(market, CAL).snapshot("AAPL", EVENING)
    assert snap.price == Decimal(100 + len(SESSIONS) - 1).quantize(Decimal("0.0001"))
    assert (snap.name, snap.sector) == ("Apple Inc.", "Technology")
    assert snap.next_earnings == date(2025, 1, 30)
    assert snap.vix is not None
    assert snap.missing == ()
    assert not snap.stale


async def test_snapshot_when_ten_concurrent_then_one_chart_fetch(fake: FakeYahoo) -> None:
    market = _market(fake)
    agent = MarketDataAgent(market, CAL)
    snaps = await asyncio.gather(*(agent.snapshot("MSFT", EVENING) for _ in range(10)))
    assert len({s.price for s in snaps}) == 1
    assert fake.state.requests["chart:MSFT:2y"] == 1


async def test_daily_bars_when_unknown_symbol_then_unknown_ticker(fake: FakeYahoo) -> None:
    with pytest.raises(UnknownTickerError):
        await _market(fake).daily_bars("NOPE", EVENING, 60)


async def test_daily_bars_when_rate_limited_then_backs_off_and_succeeds(fake: FakeYahoo) -> None:
    fake.state.rate_limited = 2  # yfinance itself retries once, so this is one YFRateLimitError
    market = _market(fake)
    bars = await market.daily_bars("AAPL", EVENING, 60)
    assert len(bars) == 60
    assert market.rate_limited == 1


async def test_daily_bars_when_rate_limit_persists_then_temporary_error(fake: FakeYahoo) -> None:
    fake.state.rate_limited = 100
    market = _market(fake, max_attempts=2)
    with pytest.raises(TemporaryError, match="rate limit"):
        await market.daily_bars("AAPL", EVENING, 60)
    assert market.rate_limited == 2


async def test_daily_bars_when_nan_rows_then_dropped(fake: FakeYahoo) -> None:
    fake.state.symbols["NANS"] = FakeSymbol(_bars(30, nan_at=(3, 29)))
    bars = await _market(fake).daily_bars("NANS", EVENING, 60)
    assert len(bars) == 28
    assert bars["close"].notna().all()


async def test_daily_bars_when_before_newest_bar_then_no_look_ahead(fake: FakeYahoo) -> None:
    bars = await _market(fake).daily_bars("AAPL", datetime(2024, 11, 1, 22, tzinfo=UTC), 5)
    assert bars.index[-1].date() == date(2024, 11, 1)


async def test_snapshot_when_data_old_then_stale(fake: FakeYahoo) -> None:
    fake.state.symbols["OLD"] = FakeSymbol(_bars()[:-10], earnings=[date(2025, 1, 1)])
    snap = await MarketDataAgent(_market(fake), CAL).snapshot("OLD", EVENING)
    assert snap.stale
    assert "stale" in snap.unavailable()


async def test_snapshot_when_vix_and_earnings_unavailable_then_missing_fail_closed(
    fake: FakeYahoo,
) -> None:
    del fake.state.symbols["^VIX"]
    fake.state.symbols["AAPL"].calendar_error = True
    snap = await MarketDataAgent(_market(fake), CAL).snapshot("AAPL", EVENING)
    assert snap.vix is None
    assert snap.next_earnings is None
    assert {"vix", "next_earnings"} <= set(snap.unavailable())


async def test_prefetch_when_batch_has_bad_tickers_then_reported_per_ticker(
    fake: FakeYahoo,
) -> None:
    fake.state.symbols["EMPTY"] = FakeSymbol(_bars(5, nan_at=(0, 1, 2, 3, 4)))
    market = _market(fake)
    failed = await market.prefetch(["AAPL", "MSFT", "NOPE", "EMPTY"])
    assert set(failed) == {"NOPE", "EMPTY"}
    before = fake.state.requests["chart:AAPL:2y"]
    assert len(await market.daily_bars("AAPL", EVENING, 60)) == 60
    assert fake.state.requests["chart:AAPL:2y"] == before  # served from the cache


async def test_market_cap_when_profile_has_it_then_decimal(fake: FakeYahoo) -> None:
    assert await _market(fake).market_cap("AAPL", EVENING) == Decimal("1000000000000.0")
