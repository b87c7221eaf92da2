"""`swingdesk backtest` on a hand-made data set: JSON out, metrics shown, bad input refused."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from tests.fakes.backtest_data import sessions, write_market
from typer.testing import CliRunner

from swingdesk.backtest.command import terminal_progress
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--simulated", "--data", "x"], "exactly one of --data DIR and --simulated"),
        (["--simulated", "--universe", "some"], "--universe takes only 'all'"),
        (["--simulated", "--universe", "all", "--tickers", "AAPL"], "exactly one of --tickers"),
        (["--simulated", "--tickers", "AAPL", "--engine", "turbo"], "--engine must be one of"),
        (
            ["--simulated", "--tickers", "AAPL", "--strategy", "llm-replay", "--engine", "fast"],
            "pipeline engine only",
        ),
        (["--simulated", "--tickers", "AAPL", "--initial-cash", "-5"], "must be positive"),
        (["--simulated", "--tickers", "AAPL", "--slippage-bps", "lots"], "must be a number"),
        (["--simulated", "--tickers", "AAPL", "--earnings-unknown", "maybe"], "block, allow"),
        (["--simulated", "--tickers", "AAPL", "--risk-profile", "yolo"], "buying-power-only"),
        (["--simulated", "--tickers", "AA PL"], "INVALID_TICKER"),
    ],
)
def test_backtest_when_options_are_bad_then_exit_2_with_stable_code(
    args: list[str], message: str
) -> None:
    dates = ["--start", "2024-01-02", "--end", "2024-02-01"]
    result = CliRunner().invoke(app, ["backtest", *args, *dates])
    assert result.exit_code == 2
    assert "INVALID" in result.stderr
    assert message in " ".join(result.stderr.split())


def test_backtest_when_every_ticker_skipped_then_exit_2_naming_the_reasons(
    tmp_path: Path,
) -> None:
    root = write_market(tmp_path / "data")
    days = sessions()
    result = CliRunner().invoke(
        app,
        ["backtest", "--data", str(root), "--tickers", "UPCO", "--start",
         days[10].isoformat(), "--end", days[20].isoformat()],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "no ticker left to backtest (UPCO: only 21 bars" in " ".join(result.stderr.split())


def test_backtest_when_report_asked_then_writes_self_contained_html(tmp_path: Path) -> None:
    root = write_market(tmp_path / "data")
    days = sessions()
    page, out = tmp_path / "r.html", tmp_path / "r.json"
    result = CliRunner().invoke(
        app,
        ["backtest", "--data", str(root), "--tickers", "UPCO,FLAT", "--start",
         days[60].isoformat(), "--end", days[-1].isoformat(), "--engine", "pipeline",
         "--report", str(page), "--json", str(out), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "http" not in html
    total = json.loads(out.read_text())["metrics"]["total_return"]
    assert f'data-key="total_return" data-value="{total}"' in html
    assert "benchmark (buy & hold)" in result.stdout


def test_progress_when_terminal_then_bar_follows_sessions_else_no_callback() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with terminal_progress(console, enabled=True) as progress:
        assert progress is not None
        progress(3, 4)
    assert "3/4" in screen.getvalue()
    with terminal_progress(console, enabled=False) as progress:
        assert progress is None
    with terminal_progress(Console(file=io.StringIO()), enabled=True) as progress:
        assert progress is None  # not a terminal


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


@pytest.mark.parametrize(
    ("source", "dates"),
    [
        ("csv", ("2024-03-01", "9999-12-31")),
        ("csv", ("2023-06-01", "2024-03-01")),
        ("simulated", ("2019-01-02", "2250-12-31")),
    ],
)
def test_backtest_when_dates_lie_beyond_the_data_then_exit_2_date_out_of_range(
    tmp_path: Path, source: str, dates: tuple[str, str]
) -> None:
    root = write_market(tmp_path / "data")
    data = ["--data", str(root)] if source == "csv" else ["--simulated"]
    result = CliRunner().invoke(
        app,
        ["backtest", *data, "--tickers", "UPCO" if source == "csv" else "AAPL",
         "--start", dates[0], "--end", dates[1]],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "[DATE_OUT_OF_RANGE]" in result.stderr
