"""The windows a backtest may ask for: inside the CSV data, or a bounded simulated span."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.fakes.backtest_data import write_market

from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.window import DateRangeError, check_window

TODAY = date(2031, 6, 2)


def _sim(start: date, end: date) -> BacktestParams:
    return BacktestParams(None, ("AAPL",), start, end, simulated=True)


def test_window_when_simulated_and_bounded_then_accepted() -> None:
    check_window(_sim(date(2021, 6, 1), date(2031, 5, 29)), today=TODAY)
    check_window(_sim(date(2031, 6, 2), date(2031, 7, 3)), today=TODAY)  # a month ahead


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2018, 12, 31), date(2019, 6, 28)),  # before the simulated epoch
        (date(2031, 6, 2), date(2031, 7, 6)),  # more than 31 days past today
        (date(2020, 1, 2), date(2030, 1, 3)),  # more than ten years
    ],
)
def test_window_when_simulated_out_of_bounds_then_date_out_of_range(start: date, end: date) -> None:
    with pytest.raises(DateRangeError) as caught:
        check_window(_sim(start, end), today=TODAY)
    assert caught.value.code == "DATE_OUT_OF_RANGE"
    assert caught.value.details == {
        "earliest": "2019-01-02",
        "latest": "2031-07-03",
        "max_years": 10,
    }


def test_window_when_csv_then_bounded_by_the_listed_tickers_first_and_last_bars(
    tmp_path: Path,
) -> None:
    root = write_market(tmp_path)
    (root / "LATE.csv").write_text(
        "date,open,high,low,close,volume\n2024-06-03,1,1,1,1,1\n2024-06-04,1,1,1,1,1\n"
    )
    listed = BacktestParams(root, ("UPCO",), date(2024, 1, 2), date(2024, 5, 31))
    check_window(listed, today=TODAY)
    with pytest.raises(DateRangeError) as caught:
        check_window(
            BacktestParams(root, ("UPCO",), date(2024, 1, 2), date(2024, 6, 4)), today=TODAY
        )
    assert caught.value.details == {"earliest": "2024-01-02", "latest": "2024-05-31"}
    # Every ticker of the directory: LATE's bars extend the data's last session.
    every = BacktestParams(root, (), date(2024, 1, 2), date(2024, 6, 4), universe_all=True)
    check_window(every, today=TODAY)
