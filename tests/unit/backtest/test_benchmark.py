"""Equal-weight buy and hold, checked by hand: slippage, commission, late starter, no data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from swingdesk.adapters.csv_market import Bars
from swingdesk.backtest.benchmark import Benchmark, Entry, buy_and_hold
from swingdesk.backtest.result import BacktestParams, BacktestResult, DayRecord, benchmark_doc
from swingdesk.domain.calendar import day_number

D = [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4), date(2024, 1, 5)]


def _bars(days: list[date], opens: list[float], closes: list[float]) -> Bars:
    o, c = np.array(opens), np.array(closes)
    return Bars(
        days=np.array([day_number(d) for d in days], dtype=np.int64),
        open=o,
        high=np.maximum(o, c) + 1,
        low=np.minimum(o, c) - 1,
        close=c,
        volume=np.full(o.size, 1e6),
    )


def test_buy_and_hold_when_late_starter_then_its_sleeve_waits_in_cash_then_buys() -> None:
    bars = {
        "AAA": _bars(D, [10, 11, 12, 9], [11, 12, 9, 10]),
        "BBB": _bars(D[2:], [20, 21], [21, 19]),  # starts on the third session
    }
    b = buy_and_hold(
        bars, D, initial_cash=Decimal(1000), slippage_bps=Decimal(100), commission=Decimal(1)
    )
    # Each sleeve is 500; 499 after commission buys at open + 1%: 10.1 and 20.2.
    assert b.entries["AAA"] == Entry(D[0], Decimal("10.1000"), Decimal("49.405940"))
    assert b.entries["BBB"] == Entry(D[2], Decimal("20.2000"), Decimal("24.702970"))
    # Left over per sleeve: 500 - 498.999994 - 1 = 0.000006.
    # D0: 49.40594 * 11 + 500 (BBB still cash); D1: * 12 + 500;
    # D2: 49.40594 * 9 + 24.70297 * 21; D3: 49.40594 * 10 + 24.70297 * 19.
    expected = ["1043.47", "1092.87", "963.42", "963.42"]
    assert [str(e) for e in b.equity] == expected
    assert b.never_bought == ()
    doc = benchmark_doc(b)
    # The figures run from the initial cash before the first open.
    assert doc["metrics"]["total_return"] == pytest.approx(963.42 / 1000 - 1, abs=1e-6)
    assert doc["metrics"]["max_drawdown"] == pytest.approx(1 - 963.42 / 1092.87, abs=1e-6)
    assert doc["metrics"]["max_drawdown_peak"] == D[1].isoformat()
    assert [d["equity"] for d in doc["days"]] == expected


def test_buy_and_hold_when_ticker_has_no_bar_in_window_then_sleeve_stays_cash() -> None:
    bars = {
        "AAA": _bars(D, [10, 10, 10, 10], [10, 10, 10, 12]),
        "LATE": _bars([date(2024, 2, 1)], [5], [5]),
    }
    b = buy_and_hold(
        bars, D, initial_cash=Decimal(200), slippage_bps=Decimal(0), commission=Decimal(0)
    )
    assert b.never_bought == ("LATE",)
    assert "LATE" not in b.entries
    # AAA: 10 shares at 10; LATE's 100 stays cash.
    assert [str(e) for e in b.equity] == ["200.00", "200.00", "200.00", "220.00"]


def test_figures_when_strategy_equity_equals_the_benchmark_then_same_cagr_and_ratios() -> None:
    # One convention for both: from the initial cash before the first open to the last
    # close, so n sessions are n periods (CAGR = growth ** (252 / n) - 1) and n returns.
    equity = (Decimal(100_000), Decimal(110_000), Decimal(99_000), Decimal(121_000))
    result = BacktestResult(BacktestParams(None, ("AAA",), D[0], D[-1]))
    result.days = [DayRecord(d, e, e, Decimal(0)) for d, e in zip(D, equity, strict=True)]
    result.benchmark = Benchmark(Decimal(100_000), tuple(D), equity, {}, ())
    doc = result.to_doc()
    mine, bench = doc["metrics"], doc["benchmark"]["metrics"]
    assert mine["cagr"] == bench["cagr"] == pytest.approx(1.21 ** (252 / 4) - 1, rel=1e-6)
    for key in ("total_return", "volatility", "sharpe", "sortino", "max_drawdown"):
        assert mine[key] == bench[key], key
