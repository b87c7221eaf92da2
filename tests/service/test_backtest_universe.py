"""Universe resolution: late starters and corrupt files are skipped with a reason, never fatal."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from tests.fakes.backtest_data import sessions, write_market
from typer.testing import CliRunner

from swingdesk.backtest.universe import resolve, stage
from swingdesk.cli import app

START, END = date(2018, 1, 2), date(2018, 2, 7)


def _copy(shared: Path, root: Path, *tickers: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in (*tickers, "vix", "sectors", "earnings"):
        shutil.copyfile(shared / f"{name}.csv", root / f"{name}.csv")
    return root


def test_resolve_when_ticker_starts_late_then_skipped_with_its_bar_count(
    shared_market: Path,
) -> None:
    u = resolve(shared_market, ["AAPL", "APTV", "NOPE"], universe_all=False, start=START, end=END)
    assert u.tickers == ("AAPL",)
    assert u.skipped["APTV"] == ("only 44 bars up to 2018-02-07 (needs 51); data starts 2017-12-05")
    assert u.skipped["NOPE"] == "no NOPE.csv in the data directory"
    # Long enough by an earlier end? No: APTV has no bar at all before 2017-12-05.
    early = resolve(
        shared_market, ["APTV"], universe_all=False, start=date(2016, 1, 4), end=date(2016, 6, 30)
    )
    assert early.skipped == {"APTV": "no bar between 2016-01-04 and 2016-06-30"}


def test_resolve_when_file_is_corrupt_then_it_alone_is_skipped(
    shared_market: Path, tmp_path: Path
) -> None:
    root = _copy(shared_market, tmp_path / "data", "AAPL", "MSFT")
    good = (shared_market / "IBM.csv").read_text().splitlines()
    good[100] = good[100].split(",")[0] + ",12.5,abc,11,12,1000"  # a price that is no number
    (root / "IBM.csv").write_text("\n".join(good) + "\n")
    rows = (shared_market / "XOM.csv").read_text().splitlines()
    rows[50], rows[51] = rows[51], rows[50]  # dates out of order
    (root / "XOM.csv").write_text("\n".join(rows) + "\n")
    u = resolve(root, [], universe_all=True, start=START, end=END)
    assert u.tickers == ("AAPL", "MSFT")
    assert u.skipped["IBM"].startswith("bad data: IBM.csv:101: high is not a number")
    assert "XOM.csv:52: date out of order" in u.skipped["XOM"]
    staged = stage(root, u.tickers, tmp_path / "staged")
    assert sorted(p.name for p in staged.iterdir()) == [
        "AAPL.csv", "MSFT.csv", "earnings.csv", "sectors.csv", "vix.csv",
    ]  # fmt: skip


def test_backtest_cli_when_universe_all_has_bad_and_late_tickers_then_runs_the_rest(
    shared_market: Path, tmp_path: Path
) -> None:
    root = _copy(shared_market, tmp_path / "data", "AAPL", "APTV", "JPM")
    (root / "BAD.csv").write_text("date,open,high,low,close,volume\n2018-01-02,1,2,3,4,5\n")
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        app,
        ["backtest", "--data", str(root), "--universe", "all", "--start", "2018-01-16",
         "--end", "2018-02-07", "--engine", "pipeline", "--json", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["params"]["tickers"] == ["AAPL", "JPM"]
    assert set(doc["skipped"]) == {"APTV", "BAD"}
    assert "high < low" in doc["skipped"]["BAD"]
    assert "skipped APTV: only 44 bars" in result.stdout
    assert doc["metrics"]["decisions"] == 2 * len(doc["days"])
    assert sorted(doc["benchmark"]["entries"]) == ["AAPL", "JPM"]


def test_resolve_when_exactly_min_bars_up_to_end_then_kept_one_less_then_skipped(
    tmp_path: Path,
) -> None:
    root = write_market(tmp_path / "m")
    days = sessions()
    kept = resolve(root, ["UPCO"], universe_all=False, start=days[40], end=days[50])
    assert (kept.tickers, kept.skipped) == (("UPCO",), {})
    short = resolve(root, ["UPCO"], universe_all=False, start=days[40], end=days[49])
    assert short.tickers == ()
    assert short.skipped["UPCO"].startswith("only 50 bars up to")
