"""The next open in both engines: an order waits for its ticker's next bar, exits go first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from tests.fakes.backtest_data import sessions, write_market

from swingdesk.backtest.engine import run_fast_backtest
from swingdesk.backtest.replay import run_pipeline_backtest
from swingdesk.backtest.result import BacktestParams, BacktestResult, Fill
from swingdesk.domain.money import price4

SLIP = Decimal("0.0005")
Engine = Callable[[BacktestParams], Awaitable[BacktestResult]]
ENGINES: dict[str, Engine] = {"fast": run_fast_backtest, "pipeline": run_pipeline_backtest}


def _open(root: Path, ticker: str, day: date) -> Decimal:
    frame = pd.read_csv(root / f"{ticker}.csv", dtype=str).set_index("date")
    return Decimal(frame.loc[day.isoformat(), "open"])


def _drop_bar(root: Path, ticker: str, day: date) -> None:
    path = root / f"{ticker}.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(x for x in lines if not x.startswith(day.isoformat())))


def _buys(result: BacktestResult, ticker: str) -> list[Fill]:
    return [f for f in result.fills if f.ticker == ticker and f.side == "buy"]


@pytest.mark.parametrize("engine", ["fast", "pipeline"])
async def test_order_when_its_ticker_has_no_bar_on_the_fill_day_then_fills_at_the_next_bar_open(
    tmp_path: Path, engine: str
) -> None:
    days = sessions()
    root = write_market(tmp_path / "m")
    params = BacktestParams(root, ("UPCO", "FLAT", "DOWN"), days[55], days[-1])
    run = ENGINES[engine]
    entry = _buys(await run(params), "UPCO")[0].day
    # UPCO has no bar on the morning its entry was to fill (a halt, a missing row).
    _drop_bar(root, "UPCO", entry)
    result = await run(params)
    after = days[days.index(entry) + 1]
    [fill] = _buys(result, "UPCO")
    # Not at the previous close on the day without a bar: at the next bar's open.
    assert fill.day == after
    assert fill.price == price4(_open(root, "UPCO", after) * (1 + SLIP))
    assert fill.qty == _buys(await run(params), "UPCO")[0].qty
    assert not result.rejected_orders
    # The waiting order is not decided again (its ticker had no new bar): no second entry.
    assert result.decisions == 3 * len(days[55:])


@pytest.mark.parametrize("engine", ["fast", "pipeline"])
async def test_order_when_its_ticker_has_no_bar_for_over_a_week_then_refused_as_stale(
    tmp_path: Path, engine: str
) -> None:
    days = sessions()
    root = write_market(tmp_path / "m")
    params = BacktestParams(root, ("UPCO", "FLAT", "DOWN"), days[55], days[-1])
    run = ENGINES[engine]
    entry = _buys(await run(params), "UPCO")[0].day
    gap = days[days.index(entry) : days.index(entry) + 6]  # six sessions: eight days and more
    for day in gap:
        _drop_bar(root, "UPCO", day)
    result = await run(params)
    # Sent at the first bar after the gap, the approval is older than a week: STALE_SIGNAL,
    # as the execution desk refuses it live. It never fills at a price from inside the gap.
    assert result.rejected_orders == {"STALE_SIGNAL": 1}
    assert all(f.day > gap[-1] for f in _buys(result, "UPCO"))
