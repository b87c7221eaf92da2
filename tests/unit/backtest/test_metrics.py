"""Backtest metrics, checked by hand."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from swingdesk.backtest import metrics as m

D = [date(2024, 1, d) for d in (2, 3, 4, 5, 8)]
EQ = [Decimal(100), Decimal(110), Decimal(99), Decimal(99), Decimal(120)]


def _trade(pnl: str, entry: date, exit_: date) -> m.Trade:
    return m.Trade("X", entry, exit_, Decimal(1), Decimal(1), Decimal(1), Decimal(pnl), "signal")


def test_returns_when_equity_moves_then_match_hand_values() -> None:
    assert m.daily_returns(EQ) == pytest.approx([0.1, -0.1, 0.0, 21 / 99])
    assert m.total_return(EQ) == pytest.approx(0.2)
    assert m.cagr(EQ) == pytest.approx(1.2 ** (252 / 4) - 1)


def test_risk_ratios_when_equity_moves_then_match_hand_values() -> None:
    r = [0.1, -0.1, 0.0, 21 / 99]
    mean = sum(r) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / 3)
    assert m.volatility(EQ) == pytest.approx(sd * math.sqrt(252))
    assert m.sharpe(EQ) == pytest.approx(mean / sd * math.sqrt(252))
    assert m.sortino(EQ) == pytest.approx(mean / math.sqrt(0.01 / 4) * math.sqrt(252))
    assert m.sharpe([Decimal(1), Decimal(1)]) == 0.0


def test_max_drawdown_when_peak_then_trough_then_reports_depth_and_dates() -> None:
    dd = m.max_drawdown(D, EQ)
    assert dd.depth == pytest.approx(0.1)
    assert (dd.peak, dd.trough) == (D[1], D[2])
    assert m.max_drawdown(D[:2], EQ[:2]).peak is None


def test_trade_stats_when_wins_and_losses_then_match_hand_values() -> None:
    trades = [_trade("30", D[0], D[2]), _trade("-10", D[1], D[4]), _trade("-5", D[3], D[4])]
    assert m.win_rate(trades) == pytest.approx(1 / 3)
    assert m.profit_factor(trades) == pytest.approx(2.0)
    assert m.profit_factor(trades[:1]) is None
    assert m.average_holding_days(trades, D) == pytest.approx((2 + 3 + 1) / 3)
    assert m.win_rate([]) == 0.0


def test_turnover_when_book_traded_twice_then_annualised_over_average_equity() -> None:
    equity = [Decimal(1000)] * 4
    # 2,000 traded over 4 sessions on an average equity of 1,000: 2.0 per 4 sessions.
    assert m.turnover(Decimal(2000), equity) == pytest.approx(2.0 * 252 / 4)
    assert m.turnover(Decimal(5), []) == 0.0


def test_exposure_when_gross_varies_then_average_and_max_of_gross_over_equity() -> None:
    gross = [Decimal(0), Decimal(500), Decimal(1000)]
    equity = [Decimal(1000), Decimal(1000), Decimal(800)]
    ex = m.exposure(gross, equity)
    assert ex.average == pytest.approx((0 + 0.5 + 1.25) / 3)
    assert ex.maximum == pytest.approx(1.25)
    assert m.exposure([], []) == m.Exposure(0.0, 0.0)


def test_monthly_returns_when_months_end_then_compound_from_month_end_closes() -> None:
    days = [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 29),
            date(2024, 3, 1)]  # fmt: skip
    equity = [Decimal(v) for v in (100, 110, 120, 90, 99)]
    monthly = m.monthly_returns(days, equity, Decimal(100))
    assert monthly == pytest.approx({(2024, 1): 0.1, (2024, 2): 90 / 110 - 1, (2024, 3): 0.1})
    # The year compounds its months: 99 / 100 - 1.
    assert m.yearly_from_monthly(monthly) == pytest.approx({2024: -0.01})
