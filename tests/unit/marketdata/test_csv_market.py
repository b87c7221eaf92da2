"""CsvMarket: loading, all-or-nothing validation, no look-ahead, VIX/earnings/sector files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from swingdesk.adapters.csv_market import CsvDataError, CsvMarket
from swingdesk.domain.errors import TemporaryError, UnknownTickerError
from swingdesk.marketdata.agent import MarketDataAgent

HEADER = "date,open,high,low,close,volume\n"
# 2024-11-25 (Mon) .. 2024-11-29 (Fri, half day); 2024-11-28 is Thanksgiving.
ROWS = [
    "2024-11-25,10,11,9,10.5,1000",
    "2024-11-26,10.5,11.5,10,11,2000",
    "2024-11-27,11,12,10.5,11.5,3000",
    "2024-11-29,11.5,12.5,11,12,4000",
]
TUE_MORNING = datetime(2024, 11, 26, 15, 0, tzinfo=UTC)  # 10:00 New York, in session
TUE_EVENING = datetime(2024, 11, 26, 22, 0, tzinfo=UTC)  # after the close


def _write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def _good(tmp_path: Path, **extra: str) -> Path:
    return _write(
        tmp_path / "data",
        {
            "AAA.csv": HEADER + "\n".join(ROWS) + "\n",
            "BRK.B.csv": HEADER + "\n".join(ROWS[:2]) + "\n",
            "vix.csv": "date,open,high,low,close\n2024-11-25,15,16,14,15.5\n"
            "2024-11-26,15,17,14,16.25\n",
            "sectors.csv": "symbol,name,sector\nAAA,Triple A Inc,Industrials\n",
            "earnings.csv": "symbol,date\nAAA,2024-11-01\nAAA,2024-12-03\n",
            "dropped_rows.csv": "symbol,date\nX,2020-01-01\n",
            **extra,
        },
    )


def test_load_when_directory_valid_then_universe_lists_ticker_files_only(tmp_path: Path) -> None:
    market = CsvMarket(_good(tmp_path))
    assert market.universe() == ("AAA", "BRK.B")


async def test_daily_bars_when_session_in_progress_then_only_closed_sessions(
    tmp_path: Path,
) -> None:
    market = CsvMarket(_good(tmp_path))
    bars = await market.daily_bars("AAA", TUE_MORNING, 10)
    assert [d.date() for d in bars.index] == [date(2024, 11, 25)]
    evening = await market.daily_bars("AAA", TUE_EVENING, 10)
    assert evening.index[-1].date() == date(2024, 11, 26)
    assert list(evening.columns) == ["open", "high", "low", "close", "volume"]


async def test_daily_bars_when_lookback_short_then_newest_bars_only(tmp_path: Path) -> None:
    market = CsvMarket(_good(tmp_path))
    bars = await market.daily_bars("AAA", datetime(2024, 12, 2, 22, tzinfo=UTC), 2)
    assert bars["close"].tolist() == [11.5, 12.0]


async def test_last_price_when_mid_session_then_previous_close(tmp_path: Path) -> None:
    market = CsvMarket(_good(tmp_path))
    assert await market.last_price("AAA", TUE_MORNING) == Decimal("10.5000")
    assert await market.last_price("AAA", TUE_EVENING) == Decimal("11.0000")


async def test_last_price_when_before_first_bar_then_unknown_ticker(tmp_path: Path) -> None:
    market = CsvMarket(_good(tmp_path))
    with pytest.raises(UnknownTickerError):
        await market.last_price("AAA", datetime(2024, 11, 1, tzinfo=UTC))


async def test_vix_when_last_session_present_then_its_close_else_none(tmp_path: Path) -> None:
    market = CsvMarket(_good(tmp_path))
    assert await market.vix(TUE_EVENING) == Decimal("16.25")
    assert await market.vix(datetime(2024, 11, 27, 22, tzinfo=UTC)) is None  # vix.csv ends


async def test_next_earnings_when_known_then_date_when_unknown_then_temporary_error(
    tmp_path: Path,
) -> None:
    market = CsvMarket(_good(tmp_path))
    assert await market.next_earnings("AAA", TUE_EVENING) == date(2024, 12, 3)
    with pytest.raises(TemporaryError):
        await market.next_earnings("BRK.B", TUE_EVENING)
    with pytest.raises(TemporaryError):
        await market.next_earnings("AAA", datetime(2024, 12, 10, tzinfo=UTC))


def test_profile_when_sector_missing_then_empty_sector(tmp_path: Path) -> None:
    market = CsvMarket(_good(tmp_path))
    assert market.profile("AAA").sector == "Industrials"
    assert market.profile("BRK.B").sector == ""
    with pytest.raises(UnknownTickerError):
        market.profile("ZZZ")


async def test_snapshot_when_sector_unknown_then_sector_none_and_risk_sees_it(
    tmp_path: Path,
) -> None:
    market = CsvMarket(_good(tmp_path))
    snap = await MarketDataAgent(market, market._calendar).snapshot("BRK.B", TUE_EVENING)
    assert snap.sector is None
    assert "sector" in snap.unavailable()
    assert "next_earnings" in snap.missing


def test_load_when_header_reordered_then_columns_mapped(tmp_path: Path) -> None:
    text = "volume,close,low,high,open,date\n1000,10.5,9,11,10,2024-11-25\n"
    market = CsvMarket(_write(tmp_path / "d", {"AAA.csv": text}))
    bars, end = market.bars_until("AAA", TUE_EVENING)
    assert end == 1
    assert (bars.open[0], bars.close[0], bars.volume[0]) == (10.0, 10.5, 1000.0)


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("date,open,high,low,close\n2024-11-25,1,1,1,1\n", 1, "missing columns: volume"),
        (HEADER + ROWS[1] + "\n" + ROWS[0] + "\n", 3, "out of order"),
        (HEADER + ROWS[0] + "\n" + ROWS[0] + "\n", 3, "duplicate date"),
        (HEADER + ROWS[0] + "\n2024-11-26,10,9,11,10,5\n", 3, "high < low"),
        (HEADER + ROWS[0] + "\n2024-11-26,10,11,9,10,-5\n", 3, "negative volume"),
        (HEADER + ROWS[0] + "\n2024-11-26,10,,9,10,5\n", 3, "missing or non-finite"),
        (HEADER + ROWS[0] + "\n2024-11-26,10,11,9,abc,5\n", 3, "close is not a number"),
        (HEADER + "26/11/2024,10,11,9,10,5\n", 2, "not YYYY-MM-DD"),
        (HEADER + ROWS[0] + "\n2024-11-26,10,11,9,12,5\n", 3, "outside low..high"),
        (HEADER + ROWS[0] + "\n2024-11-26,0,0,0,0,5\n", 3, "price must be positive"),
    ],
)
def test_load_when_file_bad_then_refused_with_file_line_and_reason(
    tmp_path: Path, body: str, line: int, reason: str
) -> None:
    root = _good(tmp_path, **{"BAD.csv": body})
    with pytest.raises(CsvDataError) as info:
        CsvMarket(root)
    [problem] = info.value.problems
    assert (problem.file, problem.line) == ("BAD.csv", line)
    assert reason in problem.reason


def test_load_when_two_files_bad_then_both_reported_and_nothing_loaded(tmp_path: Path) -> None:
    root = _good(
        tmp_path,
        **{"BAD.csv": HEADER + "2024-11-26,10,9,11,10,5\n", "WORSE.csv": "date,close\n"},
    )
    with pytest.raises(CsvDataError) as info:
        CsvMarket(root)
    assert sorted(p.file for p in info.value.problems) == ["BAD.csv", "WORSE.csv"]
    assert "BAD.csv:2: high < low" in str(info.value)


def test_load_when_directory_missing_or_empty_then_configuration_error(tmp_path: Path) -> None:
    from swingdesk.domain.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        CsvMarket(tmp_path / "nope")
    with pytest.raises(ConfigurationError):
        CsvMarket(_write(tmp_path / "empty", {"vix.csv": "date,close\n"}))


@pytest.mark.shared_data
async def test_load_when_shared_data_then_every_ticker_loads_and_snapshots(
    shared_market: Path,
) -> None:
    market = CsvMarket(shared_market)
    assert len(market.universe()) == 505
    assert "BRK.B" in market.universe()
    agent = MarketDataAgent(market, market._calendar)
    snap = await agent.snapshot("AAPL", datetime(2018, 2, 7, 22, tzinfo=UTC))
    assert snap.price == Decimal("159.5400")
    assert snap.sector == "Information Technology"
    assert snap.vix is not None
    assert snap.next_earnings is not None
    assert snap.missing == ()
    assert not snap.stale
    assert not snap.market_open


@pytest.mark.shared_data
async def test_snapshot_when_data_ends_before_now_then_stale(shared_market: Path) -> None:
    market = CsvMarket(shared_market)
    snap = await MarketDataAgent(market, market._calendar).snapshot(
        "AAPL", datetime(2018, 3, 1, 22, tzinfo=UTC)
    )
    assert snap.stale
    assert "stale" in snap.unavailable()
