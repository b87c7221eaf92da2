"""`swingdesk backtest` on a hand-made data set: JSON out, metrics shown, bad input refused."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.backtest_data import sessions, write_market
from typer.testing import CliRunner

from swingdesk.cli import app


def test_backtest_when_data_given_then_writes_json_and_prints_metrics(tmp_path: Path) -> None:
    root = write_market(tmp_path / "data")
    days = sessions()
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        app,
        [
            "backtest",
            "--data",
            str(root),
            "--tickers",
            "UPCO,FLAT,DOWN",
            "--start",
            days[60].isoformat(),
            "--end",
            days[-1].isoformat(),
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["params"]["tickers"] == ["UPCO", "FLAT", "DOWN"]
    assert doc["metrics"]["trades"] == len(doc["trades"]) >= 1
    assert "total_return" in result.stdout


def test_backtest_when_feature_not_built_then_exit_2_with_clear_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["backtest", "--simulated"])
    assert result.exit_code == 2
    assert "NOT_IMPLEMENTED" in result.stderr


def test_backtest_when_dates_are_bad_then_exit_2_invalid_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "backtest",
            "--data",
            str(tmp_path),
            "--tickers",
            "AAPL",
            "--start",
            "2020-13-01",
            "--end",
            "2020-12-31",
        ],
    )
    assert result.exit_code == 2
    assert "INVALID_INPUT" in result.stderr
