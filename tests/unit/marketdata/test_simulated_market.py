"""The simulated market: determinism, realism of the history, and the live intraday bar."""

from __future__ import annotations

import time as timer
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest

from swingdesk.adapters.simulated_market import EPOCH, SimulatedMarket
from swingdesk.adapters.simulated_universe import GICS_SECTORS
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import ConfigurationError, UnknownTickerError

TODAY = date(2026, 11, 24)
IN_SESSION = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # Tuesday, 12:00 New York
AFTER_CLOSE = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)
NOON_UTC = time(12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return SimulatedMarket(seed=42, today=TODAY)


@pytest.fixture(scope="module")
def history(market: SimulatedMarket) -> dict[str, pd.DataFrame]:
    """Every ticker's full completed history up to the last close before TODAY's session."""
    now = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
    return {t: market.bars(t, now, 10_000) for t in market.universe()}


def _returns(frame: pd.DataFrame) -> np.ndarray:
    return np.diff(np.log(frame["close"].to_numpy()))


# --- identity and universe -------------------------------------------------------------


def test_universe_when_listed_then_at_least_fifty_sorted_familiar_tickers(
    market: SimulatedMarket,
) -> None:
    universe = market.universe()
    assert len(universe) >= 50
    assert list(universe) == sorted(universe)
    assert {"AAPL", "MSFT", "NVDA", "JPM", "XOM", "KO", "WMT", "BA"} <= set(universe)
    assert market.source is DataSource.SIMULATED


def test_profile_when_known_ticker_then_real_name_and_current_gics_sector(
    market: SimulatedMarket,
) -> None:
    assert market.profile("AAPL").name == "Apple Inc."
    assert market.profile("GOOGL").sector == "Communication Services"
    assert market.profile("V").sector == "Financials"
    assert {market.profile(t).sector for t in market.universe()} == set(GICS_SECTORS)


def test_profile_when_unknown_ticker_then_unknown_ticker_error(market: SimulatedMarket) -> None:
    with pytest.raises(UnknownTickerError, match="'ZZZZ'") as info:
        market.profile("ZZZZ")
    assert info.value.details["ticker"] == "ZZZZ"


async def test_daily_bars_when_unknown_ticker_then_unknown_ticker_error(
    market: SimulatedMarket,
) -> None:
    with pytest.raises(UnknownTickerError):
        await market.daily_bars("ZZZZ", IN_SESSION, 10)


async def test_next_earnings_when_unknown_ticker_then_unknown_ticker_error(
    market: SimulatedMarket,
) -> None:
    with pytest.raises(UnknownTickerError):
        await market.next_earnings("ZZZZ", IN_SESSION)


# --- determinism -----------------------------------------------------------------------


def test_construction_when_same_seed_then_identical_bars(market: SimulatedMarket) -> None:
    twin = SimulatedMarket(seed=42, today=TODAY)
    for ticker in ("AAPL", "TSLA", "BRK.B"):
        pd.testing.assert_frame_equal(
            market.bars(ticker, IN_SESSION, 300), twin.bars(ticker, IN_SESSION, 300)
        )


def test_construction_when_other_seed_then_different_prices(market: SimulatedMarket) -> None:
    other = SimulatedMarket(seed=7, today=TODAY)
    assert not np.allclose(
        market.bars("AAPL", IN_SESSION, 50)["close"], other.bars("AAPL", IN_SESSION, 50)["close"]
    )


def test_construction_when_horizon_differs_then_shared_dates_identical(
    market: SimulatedMarket,
) -> None:
    # Started on another day, the market has a different horizon but the same past.
    earlier = SimulatedMarket(
        seed=42, calendar=TradingCalendar(end=date(2025, 12, 31)), today=date(2025, 6, 1)
    )
    now = datetime(2025, 6, 4, 15, 0, tzinfo=UTC)
    pd.testing.assert_frame_equal(market.bars("MSFT", now, 400), earlier.bars("MSFT", now, 400))


def test_daily_bars_when_called_twice_at_same_instant_then_identical(
    market: SimulatedMarket,
) -> None:
    first = market.bars("NVDA", IN_SESSION, 5)
    market.bars("NVDA", IN_SESSION + timedelta(minutes=30), 5)  # move the cache around
    pd.testing.assert_frame_equal(first, market.bars("NVDA", IN_SESSION, 5))


# --- history realism -------------------------------------------------------------------


def test_history_when_generated_then_starts_at_epoch_on_nyse_sessions(
    market: SimulatedMarket, history: dict[str, pd.DataFrame]
) -> None:
    frame = history["AAPL"]
    assert frame.index[0].date() == EPOCH
    sessions = TradingCalendar().sessions_between(EPOCH, date(2026, 11, 23))
    assert [d.date() for d in frame.index] == sessions
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]


def test_history_when_checked_then_every_bar_is_consistent(
    history: dict[str, pd.DataFrame],
) -> None:
    for ticker, frame in history.items():
        values = frame.to_numpy()
        assert np.isfinite(values).all(), ticker
        assert (frame[["open", "high", "low", "close"]] > 0).all().all(), ticker
        assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all(), ticker
        assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all(), ticker
        volume = frame["volume"].to_numpy()
        assert (volume >= 1).all(), ticker
        assert (volume == np.round(volume)).all(), ticker


def test_history_when_volumes_averaged_then_most_above_five_million_a_few_below(
    history: dict[str, pd.DataFrame],
) -> None:
    adv = {t: f["volume"].iloc[-250:].mean() for t, f in history.items()}
    below = [t for t, v in adv.items() if v < 5_000_000]
    assert 3 <= len(below) <= len(adv) // 4
    assert adv["NVDA"] > 100_000_000


def test_history_when_same_sector_then_returns_more_correlated_than_across_sectors(
    market: SimulatedMarket, history: dict[str, pd.DataFrame]
) -> None:
    tickers = list(history)
    rets = np.array([_returns(history[t])[-750:] for t in tickers])
    corr = np.corrcoef(rets)
    sectors = [market.profile(t).sector for t in tickers]
    same = [corr[i, j] for i in range(len(tickers)) for j in range(i) if sectors[i] == sectors[j]]
    cross = [corr[i, j] for i in range(len(tickers)) for j in range(i) if sectors[i] != sectors[j]]
    assert np.mean(cross) > 0.1  # the market factor
    assert np.mean(same) > np.mean(cross) + 0.05  # the sector factors


def test_history_when_market_returns_squared_then_volatility_clusters(
    history: dict[str, pd.DataFrame],
) -> None:
    market_ret = np.mean([_returns(f) for f in history.values()], axis=0)
    sq = market_ret**2
    lag1 = np.corrcoef(sq[:-1], sq[1:])[0, 1]
    lag5 = np.corrcoef(sq[:-5], sq[5:])[0, 1]
    assert lag1 > 0.1
    assert lag5 > 0.05


def test_history_when_annualised_then_volatility_near_the_table(
    history: dict[str, pd.DataFrame],
) -> None:
    vol_ko = np.std(_returns(history["KO"])) * np.sqrt(252)
    vol_tsla = np.std(_returns(history["TSLA"])) * np.sqrt(252)
    assert 0.10 < vol_ko < 0.30
    assert 0.40 < vol_tsla < 0.90


async def test_vix_when_sampled_at_every_close_then_mostly_12_to_30_with_rare_spikes(
    market: SimulatedMarket,
) -> None:
    closes = [
        market_close
        for d in TradingCalendar().sessions_between(EPOCH, date(2026, 11, 23))
        if (market_close := TradingCalendar().session_close(d))
    ]
    levels = np.array([float(v) for c in closes if (v := await market.vix(c)) is not None])
    assert levels.size == len(closes)
    inside = np.mean((levels >= 12) & (levels <= 30))
    assert inside > 0.8
    assert (levels > 35).any()
    assert np.median(levels) == pytest.approx(17, abs=4)


async def test_vix_when_realised_volatility_high_then_vix_higher(
    market: SimulatedMarket, history: dict[str, pd.DataFrame]
) -> None:
    market_ret = np.mean([_returns(f) for f in history.values()], axis=0)
    realised = pd.Series(market_ret).rolling(21).std().to_numpy()
    dates = history["AAPL"].index[1:]
    cal = TradingCalendar()
    vix = np.array([float(await market.vix(cal.session_close(d.date())) or 0) for d in dates])
    ok = ~np.isnan(realised)
    assert np.corrcoef(realised[ok], vix[ok])[0, 1] > 0.6


async def test_vix_when_before_first_close_then_none(market: SimulatedMarket) -> None:
    assert await market.vix(datetime(2019, 1, 2, 15, 0, tzinfo=UTC)) is None


async def test_next_earnings_when_walked_then_quarterly_and_spread_across_tickers(
    market: SimulatedMarket,
) -> None:
    now = datetime(2025, 1, 2, 15, 0, tzinfo=UTC)
    firsts = {t: await market.next_earnings(t, now) for t in market.universe()}
    assert all(d is not None and d >= date(2025, 1, 2) for d in firsts.values())
    assert len(set(firsts.values())) >= 20
    day = firsts["AAPL"]
    assert day is not None
    following = await market.next_earnings(
        "AAPL", datetime.combine(day + timedelta(days=1), NOON_UTC)
    )
    assert following is not None
    assert 70 <= (following - day).days <= 110
    assert TradingCalendar().is_session(day)


async def test_next_earnings_when_report_is_today_then_today(market: SimulatedMarket) -> None:
    day = await market.next_earnings("JPM", datetime(2025, 3, 1, 15, 0, tzinfo=UTC))
    assert day is not None
    at_open = TradingCalendar().session_open(day)
    assert await market.next_earnings("JPM", at_open) == day


async def test_earnings_days_when_compared_then_moves_larger(
    market: SimulatedMarket, history: dict[str, pd.DataFrame]
) -> None:
    ratios = []
    for ticker in ("AAPL", "JPM", "KO", "XOM", "META"):
        frame = history[ticker]
        rets = pd.Series(np.abs(_returns(frame)), index=frame.index[1:])
        days, cursor = [], datetime(2019, 1, 3, tzinfo=UTC)
        while (d := await market.next_earnings(ticker, cursor)) is not None and d < date(
            2026, 11, 1
        ):
            days.append(pd.Timestamp(d))
            cursor = datetime.combine(d + timedelta(days=1), NOON_UTC)
        assert len(days) >= 28  # quarterly for ~7.8 years
        on = rets[rets.index.isin(days)].mean()
        off = rets[~rets.index.isin(days)].mean()
        ratios.append(on / off)
    assert np.median(ratios) > 2.0


# --- the live bar ----------------------------------------------------------------------


async def test_daily_bars_when_in_session_then_last_bar_is_today_and_consistent(
    market: SimulatedMarket,
) -> None:
    frame = await market.daily_bars("AAPL", IN_SESSION, 60)
    assert len(frame) == 60
    assert frame.index[-1].date() == TODAY
    assert frame.index.is_monotonic_increasing
    last = frame.iloc[-1]
    assert last["high"] >= max(last["open"], last["close"])
    assert last["low"] <= min(last["open"], last["close"])
    full_day = market.bars("AAPL", AFTER_CLOSE.replace(hour=21, minute=0), 1).iloc[-1]
    assert last["volume"] < full_day["volume"]
    assert last["high"] <= full_day["high"]
    assert last["low"] >= full_day["low"]


def test_daily_bars_when_sampled_through_the_day_then_invariants_hold(
    market: SimulatedMarket,
) -> None:
    rng = np.random.default_rng(3)
    for offset in rng.integers(0, 7 * 24 * 3600, 300):
        now = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(seconds=int(offset))
        ticker = market.universe()[int(offset) % len(market.universe())]
        frame = market.bars(ticker, now, 3)
        assert frame.index[-1].date() <= TradingCalendar.exchange_date(now)
        values = frame.to_numpy()
        assert np.isfinite(values).all()
        assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
        assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
        assert (frame["volume"] >= 1).all()


def test_daily_bars_when_before_the_open_then_no_bar_for_today(market: SimulatedMarket) -> None:
    pre_market = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 08:00 New York
    assert market.bars("MSFT", pre_market, 5).index[-1].date() == date(2026, 11, 23)


def test_daily_bars_when_weekend_then_friday_is_last_and_price_still_moves(
    market: SimulatedMarket,
) -> None:
    saturday = datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    first = market.bars("KO", saturday, 2)
    later = market.bars("KO", saturday + timedelta(minutes=10), 2)
    assert first.index[-1].date() == date(2026, 11, 20)
    assert first["close"].iloc[-1] != later["close"].iloc[-1]


def test_daily_bars_when_a_minute_passes_then_prices_drift_tens_of_basis_points(
    market: SimulatedMarket,
) -> None:
    moves = []
    for ticker in market.universe():
        start = market.bars(ticker, IN_SESSION, 1)["close"].iloc[-1]
        end = market.bars(ticker, IN_SESSION + timedelta(minutes=1), 1)["close"].iloc[-1]
        moves.append(abs(end / start - 1) * 1e4)
    assert 5 < np.median(moves) < 60


def test_daily_bars_when_within_one_grid_step_then_price_unchanged(
    market: SimulatedMarket,
) -> None:
    a = market.bars("JPM", IN_SESSION, 1)["close"].iloc[-1]
    b = market.bars("JPM", IN_SESSION + timedelta(seconds=4), 1)["close"].iloc[-1]
    assert a == b


def test_daily_bars_when_session_closes_then_bar_equals_final_bar(market: SimulatedMarket) -> None:
    close_time = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    just_before = market.bars("AAPL", close_time - timedelta(seconds=1), 1).iloc[-1]
    at_close = market.bars("AAPL", close_time, 1).iloc[-1]
    next_day = market.bars("AAPL", datetime(2026, 11, 25, 15, 0, tzinfo=UTC), 2).iloc[0]
    assert at_close.equals(next_day)
    assert just_before["close"] == pytest.approx(at_close["close"], rel=0.005)


def test_daily_bars_when_next_session_opens_then_price_continuous(market: SimulatedMarket) -> None:
    open_time = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    overnight = market.bars("TSLA", open_time - timedelta(seconds=1), 1)["close"].iloc[-1]
    opened = market.bars("TSLA", open_time, 1).iloc[-1]
    assert opened["open"] == opened["close"]
    assert overnight == pytest.approx(opened["open"], rel=0.002)


def test_daily_bars_when_before_epoch_then_empty_frame(market: SimulatedMarket) -> None:
    frame = market.bars("AAPL", datetime(2018, 12, 31, 15, 0, tzinfo=UTC), 10)
    assert frame.empty
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]


def test_daily_bars_when_past_horizon_then_configuration_error(market: SimulatedMarket) -> None:
    with pytest.raises(ConfigurationError, match="quotes until 2028-12-31"):
        market.bars("AAPL", datetime(2029, 1, 3, 15, 0, tzinfo=UTC), 10)


def test_daily_bars_when_lookback_not_positive_then_value_error(market: SimulatedMarket) -> None:
    with pytest.raises(ValueError, match="lookback"):
        market.bars("AAPL", IN_SESSION, 0)


# --- speed -----------------------------------------------------------------------------


def test_construction_when_calendar_built_then_well_under_a_second() -> None:
    TradingCalendar().ensure_covers(TODAY)
    started = timer.perf_counter()
    SimulatedMarket(seed=123, today=TODAY)
    assert timer.perf_counter() - started < 1.0


def test_daily_bars_when_timed_then_well_under_a_millisecond(market: SimulatedMarket) -> None:
    market.bars("AAPL", IN_SESSION, 60)  # draw today's path once
    timings = []
    for i in range(200):
        started = timer.perf_counter()
        market.bars("AAPL", IN_SESSION + timedelta(seconds=i), 60)
        timings.append(timer.perf_counter() - started)
    assert float(np.median(timings)) < 0.001
