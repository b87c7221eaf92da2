"""Quotes and movers over the CSV provider (hand data) and the simulated market."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from swingdesk.adapters.csv_market import CsvMarket
from swingdesk.adapters.simulated_market import SimulatedMarket
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.errors import UnknownTickerError
from swingdesk.marketdata.movers import MarketMovers

HEADER = "date,open,high,low,close,volume\n"
EVENING = datetime(2024, 11, 26, 22, 0, tzinfo=UTC)


def _file(prev: float, last: float, volume: int) -> str:
    return (
        HEADER
        + f"2024-11-25,{prev},{prev + 5},{prev - 5},{prev},1000\n"
        + f"2024-11-26,{last},{last + 1},{last - 1},{last},{volume}\n"
    )


@pytest.fixture
def movers(tmp_path: Path) -> MarketMovers:
    files = {
        "UP.csv": _file(100, 110, 5_000),
        "UPS.csv": _file(100, 102, 9_000),
        "DOWN.csv": _file(100, 90, 1_000),
        "FLAT.csv": _file(50, 50, 100),
        "OLD.csv": HEADER + "2024-11-22,10,11,9,10,99999\n2024-11-25,20,21,19,20,99999\n",
        "sectors.csv": "symbol,name,sector\nUP,Up Inc,Energy\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    market = CsvMarket(tmp_path)
    return MarketMovers(market, market._calendar)


async def test_quote_when_two_sessions_then_change_range_and_profile(movers: MarketMovers) -> None:
    q = await movers.quote("UP", EVENING)
    assert (q.price, q.prev_close, q.day_change_pct) == (
        Decimal("110.0000"),
        Decimal("100.0000"),
        Decimal("0.100000"),
    )
    assert (q.low_52w, q.high_52w) == (Decimal("95.0000"), Decimal("111.0000"))
    assert (q.name, q.sector, q.volume, q.market_cap) == ("Up Inc", "Energy", Decimal(5000), None)
    assert not q.market_open
    assert not q.stale
    assert q.as_of == datetime(2024, 11, 26, 21, 0, tzinfo=UTC)


async def test_quote_when_no_bar_yet_then_unknown_ticker(movers: MarketMovers) -> None:
    with pytest.raises(UnknownTickerError):
        await movers.quote("UP", datetime(2024, 11, 1, tzinfo=UTC))


async def test_top_movers_when_ranked_then_gainers_losers_active_and_stale_left_out(
    movers: MarketMovers,
) -> None:
    result = await movers.top_movers(2, EVENING)
    assert [q.ticker for q in result.gainers] == ["UP", "UPS"]
    assert [q.ticker for q in result.losers] == ["DOWN"]
    assert [q.ticker for q in result.most_active] == ["UPS", "UP"]
    assert result.considered == 5
    assert result.failed == ()


async def test_top_movers_when_n_not_positive_then_value_error(movers: MarketMovers) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await movers.top_movers(0, EVENING)


async def test_top_movers_when_simulated_market_then_n_each_and_sorted() -> None:
    now = datetime(2025, 3, 4, 17, 0, tzinfo=UTC)
    market = SimulatedMarket(seed=7, today=now.date())
    result = await MarketMovers(market, TradingCalendar()).top_movers(5, now)
    changes = [q.day_change_pct for q in result.gainers]
    assert len(result.gainers) == 5
    assert changes == sorted(changes, reverse=True)
    vols = [q.volume for q in result.most_active]
    assert vols == sorted(vols, reverse=True)
    assert all(q.market_open for q in result.most_active)


async def test_quote_when_simulated_market_on_a_weekend_then_open_by_its_own_clock() -> None:
    from swingdesk.adapters.simulated_market import SimulatedMarket
    from swingdesk.domain.calendar import TradingCalendar

    calendar = TradingCalendar()
    saturday = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
    q = await MarketMovers(SimulatedMarket(42, calendar=calendar), calendar).quote("AAPL", saturday)
    assert not calendar.is_open(saturday)
    assert q.market_open  # its prices drift after hours: the label must not say closed
