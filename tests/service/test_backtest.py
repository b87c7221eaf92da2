"""Backtest through the live pipeline: next-open fills, stops, no look-ahead, determinism."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from tests.fakes.backtest_data import sessions, write_market

from swingdesk.backtest.report import render
from swingdesk.backtest.runner import BacktestParams, SessionPriceCsvMarket, run_backtest
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.money import price4

SLIP = Decimal("0.0005")


def _params(root: Path) -> BacktestParams:
    days = sessions()
    return BacktestParams(root, ("UPCO", "FLAT", "DOWN"), days[60], days[-1])


def _open(root: Path, ticker: str, day: date) -> Decimal:
    frame = pd.read_csv(root / f"{ticker}.csv", dtype=str).set_index("date")
    return Decimal(frame.loc[day.isoformat(), "open"])


async def test_backtest_when_uptrend_then_gap_down_then_enters_next_open_and_stops_at_gap(
    tmp_path: Path,
) -> None:
    root = write_market(tmp_path / "market")
    result = await run_backtest(_params(root))
    assert len(result.trades) == 1
    trade = result.trades[0]
    assert trade.ticker == "UPCO"
    days = sessions()
    # Approved after the previous session's close, filled at this session's open + slippage.
    assert days.index(trade.entry_date) > 60
    assert trade.entry_price == price4(_open(root, "UPCO", trade.entry_date) * (1 + SLIP))
    # The crash gaps below the stop: the stop fills at the open, less slippage.
    assert trade.exit_reason == "stop"
    assert trade.exit_date == days[85]
    assert trade.exit_price == price4(_open(root, "UPCO", trade.exit_date) * (1 - SLIP))
    assert trade.pnl == (trade.exit_price - trade.entry_price) * trade.shares
    assert result.days[-1].equity == Decimal(100_000) + trade.pnl
    assert result.days[-1].exposure == 0


async def test_backtest_when_deciding_then_no_bar_after_the_decision_day_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_market(tmp_path / "market")
    seen: list[tuple[datetime, date]] = []
    original = SessionPriceCsvMarket.daily_bars

    async def spy(self: SessionPriceCsvMarket, ticker: str, now: datetime, lookback: int):  # type: ignore[no-untyped-def]
        frame = await original(self, ticker, now, lookback)
        seen.append((now, frame.index[-1].date()))
        return frame

    monkeypatch.setattr(SessionPriceCsvMarket, "daily_bars", spy)
    # The reference engine reads bars through the provider; the fast engine's parity with
    # it is test_backtest_parity's subject.
    await run_backtest(replace(_params(root), engine="pipeline"))
    cal = TradingCalendar(start=date(2023, 1, 1))
    assert len(seen) >= 3 * 45  # three tickers, 45 sessions
    for now, last in seen:
        assert cal.session_close(last) <= now
        assert last <= TradingCalendar.exchange_date(now)


async def test_backtest_when_run_twice_then_json_is_byte_identical(tmp_path: Path) -> None:
    root = write_market(tmp_path / "market")
    first = (await run_backtest(_params(root))).to_json()
    second = (await run_backtest(_params(root))).to_json()
    assert first == second
    assert '"exit_reason": "stop"' in first
    # The runner's additions are part of the document, and as deterministic.
    doc = json.loads(first)
    assert doc["benchmark"]["days"]
    assert doc["skipped"] == {}
    assert {"turnover", "exposure_average", "exposure_max"} <= set(doc["metrics"])


async def test_report_when_a_position_is_open_at_the_end_then_shown_with_its_mark_and_pnl(
    tmp_path: Path,
) -> None:
    root = write_market(tmp_path / "market")
    days = sessions()
    params = BacktestParams(root, ("UPCO", "FLAT", "DOWN"), days[60], days[80])
    result = await run_backtest(params)
    [buy] = [f for f in result.fills if f.ticker == "UPCO"]  # held into the last session
    frame = pd.read_csv(root / "UPCO.csv", dtype=str).set_index("date")
    mark = Decimal(frame.loc[days[80].isoformat(), "close"]).quantize(Decimal("0.0001"))
    shown = {
        "shares": str(buy.qty),
        "entry_date": buy.day.isoformat(),
        "entry_price": str(buy.price),
        "mark": str(mark),
        "market_value": str(buy.qty * mark),
        "unrealized_pnl": str((mark - buy.price) * buy.qty),
    }
    assert result.to_doc()["open_positions"] == {"UPCO": shown}
    page = render(result)
    section = page[page.index('<section id="open_positions">') :]
    section = section[: section.index("</section>")]
    for key, value in shown.items():
        assert f'data-key="open.UPCO.{key}" data-value="{value}"' in section
