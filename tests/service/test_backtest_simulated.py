"""``--simulated``: the simulated market written in the CSV provider's format, deterministic."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd

from swingdesk.adapters.csv_market import CsvMarket
from swingdesk.adapters.simulated_market import SimulatedMarket
from swingdesk.backtest.runner import BacktestParams, run_backtest
from swingdesk.backtest.simulated_data import write_simulated_market
from swingdesk.domain.calendar import TradingCalendar

END = date(2024, 6, 28)


async def test_simulated_data_when_written_then_csv_provider_reads_the_same_bars(
    tmp_path: Path,
) -> None:
    root = await write_simulated_market(tmp_path / "sim", seed=7, end=END)
    csv = CsvMarket(root)
    cal = TradingCalendar(start=date(2018, 1, 1))
    sim = SimulatedMarket(7, calendar=cal, today=date(2025, 6, 1))
    assert csv.universe() == sim.universe()
    close = cal.session_close(END)
    got = await csv.daily_bars("MSFT", close, 300)
    want = sim.bars("MSFT", close, 300)
    assert list(got.index) == list(want.index)
    pd.testing.assert_frame_equal(got, want.round(4).astype(got.dtypes.to_dict()), atol=1e-9)
    assert got.index[-1].date() == END
    assert await csv.vix(close) == await sim.vix(close)
    assert await csv.next_earnings("MSFT", close) == await sim.next_earnings("MSFT", close)
    assert csv.profile("BRK.B").sector == "Financials"


async def test_backtest_when_simulated_twice_then_byte_identical_json_marked_simulated() -> None:
    params = BacktestParams(
        None, ("AAPL", "XOM", "JPM"), date(2024, 5, 1), date(2024, 5, 31),
        simulated=True, engine="pipeline",
    )  # fmt: skip
    first = (await run_backtest(params)).to_json()
    second = (await run_backtest(params)).to_json()
    assert first == second
    doc = json.loads(first)
    assert doc["data_source"] == "simulated"
    assert doc["params"]["simulated"] is True
    assert doc["params"]["sim_seed"] == 42
    assert len(doc["days"]) == len(doc["benchmark"]["days"]) == 22
    assert sorted(doc["benchmark"]["entries"]) == ["AAPL", "JPM", "XOM"]
    assert "turnover" in doc["metrics"]
    assert "exposure_max" in doc["metrics"]
    other = await run_backtest(replace(params, sim_seed=8))
    assert other.to_json() != first


async def test_simulated_data_when_written_then_news_and_report_fundamentals_as_the_market(
    tmp_path: Path,
) -> None:
    root = await write_simulated_market(tmp_path / "sim", seed=7, end=END)
    csv = CsvMarket(root)
    cal = TradingCalendar(start=date(2018, 1, 1))
    sim = SimulatedMarket(7, calendar=cal, today=date(2025, 6, 1))
    for day in cal.sessions_between(date(2024, 5, 1), END)[::5]:
        evening = cal.session_close(day) + pd.Timedelta(minutes=1)
        assert await csv.news("AAPL", evening, 5) == await sim.news("AAPL", evening, 5)
    report = await sim.next_earnings("MSFT", cal.session_close(date(2024, 3, 1)))
    assert report is not None
    at_report = cal.session_close(report)
    written = await csv.fundamentals("MSFT", at_report)
    live = await sim.fundamentals("MSFT", at_report)
    assert written is not None
    assert live is not None
    assert written.model_copy(update={"source": "simulated"}) == live
    assert written.source == "csv"
