"""The next open in both engines: an order waits for its ticker's next bar, exits go first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from tests.fakes.backtest_data import sessions, write_market
from tests.service.test_backtest_parity import _clones, _summary

from swingdesk.backtest.engine import run_fast_backtest
from swingdesk.backtest.replay import run_pipeline_backtest
from swingdesk.backtest.result import BacktestParams, BacktestResult, Fill
from swingdesk.domain.calendar import TradingCalendar
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


U, D = 61, 111  # twenty clones cross up on U and down on D, when AAA crosses up
CLONES = tuple(f"ZZ{chr(ord('A') + i)}" for i in range(20))


def _write_cash_bound(root: Path) -> list[date]:
    """A desk all but fully invested in twenty clones, whose sale AAA's entry needs.

    Closes alternate around flat levels, so SMA-20 equals SMA-50 until a level steps: the
    clones (476, wiggling 0.5) step up to 477 on U and back on D, when AAA (100, wiggling 5,
    ATR 11) closes one dollar up and then opens 10% higher. Ten shares of each clone leave
    4,452.24 in cash; AAA's 45 shares cost 4,320 at the close (approved), 4,952.48 at the
    open: affordable only once the clones' sales have been booked.
    """
    cal = TradingCalendar(start=date(2023, 1, 1))
    days = cal.sessions_between(date(2024, 1, 2), date(2024, 12, 31))[: D + 4]
    root.mkdir(parents=True)
    clone, aaa = [], []
    for t, d in enumerate(days):
        w = 0.5 if t % 2 == 0 else -0.5
        c = (477 if U <= t < D else 476) + w
        clone.append(f"{d},{c},{c + 0.5},{c - 0.5},{c},6000000")
        a = 100 + 10 * w + (1 if t == D else 0)
        o = a if t <= D else 110.0
        a = a if t <= D else 110.0
        aaa.append(f"{d},{o},{a + 1},{a - 1},{a},6000000")
    head = "date,open,high,low,close,volume\n"
    for name in CLONES:
        (root / f"{name}.csv").write_text(head + "\n".join(clone))
    (root / "AAA.csv").write_text(head + "\n".join(aaa))
    (root / "vix.csv").write_text(
        "date,open,high,low,close\n" + "".join(f"{d},15,15,15,15\n" for d in days)
    )
    (root / "sectors.csv").write_text(
        "symbol,name,sector\n" + "".join(f"{t},{t} Inc,Industrials\n" for t in ("AAA", *CLONES))
    )
    return days


@pytest.mark.parametrize("engine", ["fast", "pipeline"])
async def test_open_when_a_sale_frees_the_cash_of_an_entry_then_exits_go_first_and_it_fills(
    tmp_path: Path, engine: str
) -> None:
    days = _write_cash_bound(tmp_path / "m")
    params = BacktestParams(
        tmp_path / "m", ("AAA", *CLONES), days[U - 5], days[-1],
        strategy="crossover", risk_profile="buying-power-only",
    )  # fmt: skip
    run = ENGINES[engine]
    result = await run(params)
    morning = [f for f in result.fills if f.day == days[D + 1]]
    # The twenty sales first, then the entry their proceeds pay for.
    assert [(f.ticker, f.side) for f in morning] == [*((t, "sell") for t in CLONES), ("AAA", "buy")]
    assert morning[-1].price == price4(Decimal(110) * (1 + SLIP))
    assert morning[-1].qty == 45
    assert not result.rejected_orders
    # In approval (ticker) order, AAA goes before the sales and the broker refuses it.
    old = await run(replace(params, exits_first=False))
    assert old.rejected_orders == {"INSUFFICIENT_BUYING_POWER": 1}
    assert [f.ticker for f in old.fills if f.day == days[D + 1]] == list(CLONES)


async def test_engines_when_an_entry_waits_for_its_bar_then_risk_still_counts_it_in_both(
    tmp_path: Path,
) -> None:
    days = sessions()
    root = write_market(tmp_path / "m")
    names = _clones(root, 5)
    params = BacktestParams(root, names, days[55], days[75])
    first = _buys(await run_fast_backtest(params), names[0])[0].day
    for day in days[days.index(first) : days.index(first) + 2]:
        _drop_bar(root, names[0], day)  # the first clone's entry waits two sessions
    fast, pipeline = await run_fast_backtest(params), await run_pipeline_backtest(params)
    assert _summary(fast) == _summary(pipeline)
    # The waiting entry still holds its 5% of the sector: the fifth clone is never bought.
    assert {f.ticker for f in fast.fills if f.side == "buy"} == set(names[:4])
    assert fast.denials["SECTOR_CONCENTRATION"] >= 2
