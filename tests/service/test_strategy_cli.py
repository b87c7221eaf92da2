"""`swingdesk strategy list | new | check` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from swingdesk.cli import app

PEEK = '''
from typing import ClassVar

import pandas as pd

from swingdesk.domain.enums import Action
from swingdesk.strategy.api import Proposal, SwingStrategy


class Peek(SwingStrategy):
    """Enters when tomorrow's close is higher."""

    name: ClassVar[str] = "peek-v1"

    def decide(self, snapshot, position, params):
        return Proposal(Action.HOLD, 0.5, "", {})

    def signals(self, frame, params):
        tomorrow = frame["close"].shift(-1)
        return pd.DataFrame({"tomorrow": tomorrow, "entry": tomorrow > frame["close"]})
'''


def _csv(root: Path, ticker: str, n: int = 260) -> None:
    rng = np.random.default_rng(5)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    days = np.datetime64("2021-01-04") + np.arange(n)
    rows = [f"{d},{c:.2f},{c * 1.01:.2f},{c * 0.99:.2f},{c:.2f},1000000"
            for d, c in zip(days, close, strict=True)]  # fmt: skip
    (root / f"{ticker}.csv").write_text("date,open,high,low,close,volume\n" + "\n".join(rows))


def test_strategy_list_when_json_then_builtins_with_parameters() -> None:
    result = CliRunner().invoke(app, ["strategy", "list", "--json"])
    assert result.exit_code == 0, result.output
    doc = {s["key"]: s for s in json.loads(result.output)}
    assert {"rules", "crossover"} <= set(doc)
    assert doc["rules"]["vectorised"] is True
    pullback = next(p for p in doc["rules"]["parameters"] if p["name"] == "pullback_atr")
    assert (pullback["low"], pullback["high"], pullback["optimize"]) == (0.25, 1.0, True)


def test_strategy_new_when_run_then_files_written_and_refused_twice(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["strategy", "new", "breakout", "--dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "breakout.py").is_file()
    assert (tmp_path / "test_breakout.py").is_file()
    again = runner.invoke(app, ["strategy", "new", "breakout", "--dir", str(tmp_path)])
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_strategy_check_when_peeking_file_then_exit_1_naming_column_and_date(
    tmp_path: Path,
) -> None:
    _csv(tmp_path, "TEST")
    path = tmp_path / "peek.py"
    path.write_text(PEEK)
    result = CliRunner().invoke(app, [
        "strategy", "check", "--strategy", f"{path}:Peek", "--data", str(tmp_path),
        "--tickers", "TEST", "--json",
    ])  # fmt: skip
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)
    assert doc["lookahead"]["column"] == "tomorrow"
    assert doc["lookahead"]["ticker"] == "TEST"
    assert doc["ok"] is False


def test_strategy_check_when_builtin_rules_then_exit_0(tmp_path: Path) -> None:
    _csv(tmp_path, "TEST")
    result = CliRunner().invoke(app, ["strategy", "check", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "look-ahead: ok" in result.output
