"""MarketDataAgent against the simulated market and a small in-memory provider."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from swingdesk.adapters.simulated_market import SimulatedMarket
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import TemporaryError, UnknownTickerError
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.ports import MarketDataService, TickerProfile

TUESDAY_NOON = datetime(2024, 11, 26, 17, 0, tzinfo=UTC)  # 12:00 New York, in session
TUESDAY_EVENING = datetime(2024, 11, 26, 23, 0, tzinfo=UTC)


class FakeProvider:
    """A MarketData provider over a fixed bar table; every answer is scripted."""

    def __init__(
        self,
        bars: pd.DataFrame,
        *,
        source: DataSource = DataSource.CSV,
        vix: Decimal | Exception | None = Decimal("18.5"),
        earnings: date | Exception | None = None,
    ) -> None:
        self.source = source
        self.waits_on_io = True
        self._bars = bars
        self._vix = vix
        self._earnings = earnings

    def universe(self) -> Sequence[str]:
        return ("FAKE",)

    def profile(self, ticker: str) -> TickerProfile:
        if ticker != "FAKE":
            raise UnknownTickerError(f"unknown ticker {ticker!r}")
        return TickerProfile(ticker="FAKE", name="Fake Corp.", sector="Industrials")

    async def profile_async(self, ticker: str) -> TickerProfile:
        return self.profile(ticker)

    async def daily_bars(self, ticker: str, now: datetime, lookback: int) -> pd.DataFrame:
        self.profile(ticker)
        today = pd.Timestamp(TradingCalendar.exchange_date(now))
        return self._bars[self._bars.index <= today].iloc[-lookback:]

    async def vix(self, now: datetime) -> Decimal | None:
        if isinstance(self._vix, Exception):
            raise self._vix
        return self._vix

    async def next_earnings(self, ticker: str, now: datetime) -> date | None:
        if isinstance(self._earnings, Exception):
            raise self._earnings
        return self._earnings


@pytest.fixture(scope="module")
def cal() -> TradingCalendar:
    calendar = TradingCalendar()
    calendar.ensure_covers(date(2026, 11, 24))
    return calendar


def _bars(cal: TradingCalendar, n: int, last: date = date(2024, 11, 26)) -> pd.DataFrame:
    """Return ``n`` sessions ending at ``last``: close rises by 1 a day from 100, volume 1M."""
    sessions = cal.sessions_between(date(2023, 1, 1), last)[-n:]
    close = 100.0 + np.arange(n)
    volume = np.full(n, 1_000_000.0)
    volume[-1] = 9_000_000.0  # today's bar: big enough to show whether ADV counts it
    return pd.DataFrame(
        {"open": close - 0.5, "high": close + 1.0, "low": close - 1.0, "close": close,
         "volume": volume},
        index=pd.DatetimeIndex([pd.Timestamp(d) for d in sessions], name="date"),
    )  # fmt: skip


def test_agent_when_constructed_then_satisfies_the_service_port(cal: TradingCalendar) -> None:
    agent: MarketDataService = MarketDataAgent(FakeProvider(_bars(cal, 60)), cal)
    assert agent.source is DataSource.CSV
    assert list(agent.universe()) == ["FAKE"]


def test_agent_when_lookback_below_the_atr_window_then_value_error(cal: TradingCalendar) -> None:
    # 400 completed bars for ATR-14, and room for a live bar: 401 at least.
    with pytest.raises(ValueError, match="ATR-14"):
        MarketDataAgent(FakeProvider(_bars(cal, 60)), cal, lookback=400)


async def test_snapshot_when_all_data_present_then_hand_checked_values(
    cal: TradingCalendar,
) -> None:
    agent = MarketDataAgent(FakeProvider(_bars(cal, 60), earnings=date(2024, 12, 3)), cal)
    snap = await agent.snapshot("FAKE", TUESDAY_NOON)
    assert snap.missing == ()
    assert (snap.name, snap.sector) == ("Fake Corp.", "Industrials")
    assert snap.price == Decimal("159.0000")
    assert snap.prev_close == Decimal("158.0000")
    assert snap.day_change_pct == Decimal("0.006329")  # 159 / 158 - 1
    assert snap.sma_20 == Decimal("149.5000")  # mean of 140..159
    assert snap.sma_50 == Decimal("134.5000")  # mean of 110..159
    # In progress: ATR and ADV use the 59 completed bars. TR = max(2, |high - prev close| = 2).
    assert snap.atr_14 == Decimal("2.0000")
    assert snap.adv_20 == Decimal("1000000")
    assert snap.volume == Decimal("9000000")
    assert snap.vix == Decimal("18.50")
    assert snap.next_earnings == date(2024, 12, 3)
    assert snap.earnings_in_trading_days == 4  # 27 and 29 Nov, 2 and 3 Dec (not Thanksgiving)
    assert snap.market_open is True
    assert snap.stale is False
    assert snap.as_of == TUESDAY_NOON


async def test_snapshot_when_session_closed_then_today_counts_in_adv(cal: TradingCalendar) -> None:
    agent = MarketDataAgent(FakeProvider(_bars(cal, 60)), cal)
    snap = await agent.snapshot("FAKE", TUESDAY_EVENING)
    assert snap.adv_20 == Decimal("1400000")  # (19 x 1M + 9M) / 20
    assert snap.market_open is False
    assert snap.as_of == datetime(2024, 11, 26, 21, 0, tzinfo=UTC)  # the close, not "now"


async def test_snapshot_when_vix_unavailable_then_vix_none_and_listed_missing(
    cal: TradingCalendar,
) -> None:
    agent = MarketDataAgent(FakeProvider(_bars(cal, 60), vix=None), cal)
    snap = await agent.snapshot("FAKE", TUESDAY_NOON)
    assert snap.vix is None
    assert snap.missing == ("vix",)
    assert "vix" in snap.unavailable()


async def test_snapshot_when_vix_provider_errors_temporarily_then_vix_missing(
    cal: TradingCalendar,
) -> None:
    agent = MarketDataAgent(FakeProvider(_bars(cal, 60), vix=TemporaryError("down")), cal)
    snap = await agent.snapshot("FAKE", TUESDAY_NOON)
    assert snap.vix is None
    assert snap.missing == ("vix",)


async def test_snapshot_when_earnings_unavailable_then_next_earnings_listed_missing(
    cal: TradingCalendar,
) -> None:
    provider = FakeProvider(_bars(cal, 60), earnings=TemporaryError("calendar down"))
    snap = await MarketDataAgent(provider, cal).snapshot("FAKE", TUESDAY_NOON)
    assert snap.next_earnings is None
    assert snap.earnings_in_trading_days is None
    assert snap.missing == ("next_earnings",)


async def test_snapshot_when_no_earnings_scheduled_then_none_but_not_missing(
    cal: TradingCalendar,
) -> None:
    snap = await MarketDataAgent(FakeProvider(_bars(cal, 60)), cal).snapshot("FAKE", TUESDAY_NOON)
    assert snap.next_earnings is None
    assert "next_earnings" not in snap.missing


async def test_snapshot_when_fewer_than_fifty_bars_then_sma_50_missing(
    cal: TradingCalendar,
) -> None:
    snap = await MarketDataAgent(FakeProvider(_bars(cal, 30)), cal).snapshot("FAKE", TUESDAY_NOON)
    assert snap.sma_50 is None
    assert snap.sma_20 == Decimal("119.5000")  # closes 100..129: mean of 110..129
    assert snap.missing == ("sma_50",)


async def test_snapshot_when_only_one_bar_then_everything_but_price_missing(
    cal: TradingCalendar,
) -> None:
    snap = await MarketDataAgent(FakeProvider(_bars(cal, 1)), cal).snapshot("FAKE", TUESDAY_NOON)
    assert snap.price == Decimal("100.0000")
    assert snap.prev_close is None
    assert set(snap.missing) == {"prev_close", "day_change_pct", "atr_14", "sma_20", "sma_50",
                                 "adv_20"}  # fmt: skip


async def test_snapshot_when_no_bars_then_price_missing_and_stale(cal: TradingCalendar) -> None:
    empty = _bars(cal, 5).iloc[0:0]
    snap = await MarketDataAgent(FakeProvider(empty), cal).snapshot("FAKE", TUESDAY_NOON)
    assert snap.price is None
    assert "price" in snap.missing
    assert "volume" in snap.missing
    assert snap.stale is True


async def test_snapshot_when_newest_bar_older_than_last_close_then_stale(
    cal: TradingCalendar,
) -> None:
    old = _bars(cal, 60, last=date(2024, 11, 21))
    snap = await MarketDataAgent(FakeProvider(old), cal).snapshot("FAKE", TUESDAY_NOON)
    assert snap.stale is True
    assert "stale" in snap.unavailable()


async def test_snapshot_when_yesterdays_bar_during_session_then_not_stale(
    cal: TradingCalendar,
) -> None:
    yesterday = _bars(cal, 60, last=date(2024, 11, 25))
    snap = await MarketDataAgent(FakeProvider(yesterday), cal).snapshot("FAKE", TUESDAY_NOON)
    assert snap.stale is False
    assert snap.adv_20 == Decimal("1400000")  # the newest bar is complete, so it counts


async def test_snapshot_when_bars_fail_temporarily_then_error_propagates(
    cal: TradingCalendar,
) -> None:
    class Down(FakeProvider):
        async def daily_bars(self, ticker: str, now: datetime, lookback: int) -> pd.DataFrame:
            raise TemporaryError("provider unreachable")

    with pytest.raises(TemporaryError, match="unreachable"):
        await MarketDataAgent(Down(_bars(cal, 60)), cal).snapshot("FAKE", TUESDAY_NOON)


async def test_snapshot_when_unknown_ticker_then_unknown_ticker_error(
    cal: TradingCalendar,
) -> None:
    with pytest.raises(UnknownTickerError):
        await MarketDataAgent(FakeProvider(_bars(cal, 60)), cal).snapshot("NOPE", TUESDAY_NOON)


# --- with the simulated market ---------------------------------------------------------


@pytest.fixture(scope="module")
def simulated(cal: TradingCalendar) -> MarketDataAgent:
    return MarketDataAgent(SimulatedMarket(seed=42, calendar=cal, today=date(2026, 11, 24)), cal)


async def test_snapshot_when_simulated_then_complete_and_consistent_with_bars(
    simulated: MarketDataAgent,
) -> None:
    now = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    snap = await simulated.snapshot("AAPL", now)
    bars = await simulated.provider.daily_bars("AAPL", now, 60)
    assert snap.missing == ()
    assert snap.unavailable() == []
    assert snap.source is DataSource.SIMULATED
    assert (snap.name, snap.sector) == ("Apple Inc.", "Information Technology")
    assert snap.price == Decimal(repr(float(bars["close"].iloc[-1]))).quantize(Decimal("0.0001"))
    assert snap.sma_50 is not None
    assert snap.atr_14 is not None
    assert snap.atr_14 > 0
    assert snap.vix is not None
    assert Decimal(9) <= snap.vix <= Decimal(85)
    assert snap.next_earnings is not None
    assert snap.next_earnings >= date(2026, 11, 24)
    assert snap.earnings_in_trading_days is not None
    assert snap.earnings_in_trading_days >= 0
    assert snap.as_of == now


async def test_snapshot_when_simulated_market_closed_then_still_live_and_not_stale(
    simulated: MarketDataAgent,
) -> None:
    sunday = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    snap = await simulated.snapshot("MSFT", sunday)
    assert snap.market_open is False
    assert snap.stale is False
    assert snap.as_of == sunday


async def test_snapshot_when_unknown_simulated_ticker_then_unknown_ticker_error(
    simulated: MarketDataAgent,
) -> None:
    with pytest.raises(UnknownTickerError, match="ZZZZ"):
        await simulated.snapshot("ZZZZ", TUESDAY_NOON)
