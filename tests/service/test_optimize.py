"""`swingdesk optimize` on the hand-made market: deterministic for a seed, a Pareto front with
several objectives, a user strategy from a temporary package tuned and its parameters read by
the live desk, and the command's JSON, HTML and params file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.fakes.backtest_data import sessions, write_market
from tests.service.test_user_strategy import STRATEGY
from typer.testing import CliRunner

from swingdesk.adapters.clock import ManualClock
from swingdesk.bootstrap import build_desk
from swingdesk.cli import app
from swingdesk.config import load_settings
from swingdesk.optimize.config import OptimizeConfig
from swingdesk.optimize.run import Launch, optimize
from swingdesk.strategy.agent import ApiStrategy
from swingdesk.strategy.loader import write_params_file

TICKERS = ("UPCO", "FLAT", "DOWN")


def _config(root: Path, **kw: object) -> OptimizeConfig:
    days = sessions()
    base: dict[str, object] = {
        "study": "t", "strategy": "rules", "data_dir": root, "tickers": TICKERS,
        "start": days[0], "end": days[-1], "trials": 4, "folds": 2, "is_ratio": 1,
    }  # fmt: skip
    return OptimizeConfig(**(base | kw))  # type: ignore[arg-type]


def test_optimize_when_same_seed_twice_then_identical_reports(tmp_path: Path) -> None:
    root = write_market(tmp_path / "m")
    first = optimize(_config(root, seed=7), Launch())
    second = optimize(_config(root, seed=7), Launch())
    other = optimize(_config(root, seed=8), Launch())
    assert first == second
    assert [f["best_params"] for f in other["folds"]] != [f["best_params"] for f in first["folds"]]
    assert first["trials"] == 8
    oos = [tuple(f["out_of_sample"]) for f in first["folds"]]
    assert oos[0][1] < oos[1][0]  # blocks in order, not overlapping
    assert first["out_of_sample"]["days"][0]["date"] == oos[0][0]


def test_optimize_when_two_objectives_then_pareto_front_per_fold(tmp_path: Path) -> None:
    root = write_market(tmp_path / "m")
    doc = optimize(_config(root, objectives=("sharpe", "max_drawdown")), Launch())
    for fold in doc["folds"]:
        front = fold["pareto_front"]
        assert front
        assert set(front[0]["values"]) == {"sharpe", "max_drawdown"}
        assert fold["best_trial"] in {p["trial"] for p in front}


def test_optimize_when_user_strategy_from_package_then_tuned_and_read_by_live_desk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    pkg = tmp_path / "pkgs" / "userpkg_opt"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text(STRATEGY)
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    root = write_market(tmp_path / "m")
    doc = optimize(_config(root, strategy="userpkg_opt.mod:AboveSma"), Launch())
    best = doc["recommended_params"]
    assert set(best) == {"margin_atr"}
    assert 0.0 <= best["margin_atr"] <= 3.0
    params_file = tmp_path / "best.json"
    write_params_file(params_file, "userpkg_opt.mod:AboveSma", best)

    import asyncio

    async def live() -> ApiStrategy:
        cfg = load_settings(data_dir=tmp_path / "desk", strategy_params_file=params_file)
        desk = await build_desk(cfg, clock=clock)
        try:
            strategy = desk.pipeline.strategy.strategy
            assert isinstance(strategy, ApiStrategy)
            out = await desk.pipeline.run("AAPL", trigger="test")
            assert out.signal is not None
            assert out.signal.model == "above-sma-v1"
            return strategy
        finally:
            await desk.close()

    strategy = asyncio.run(live())
    assert strategy.values["margin_atr"] == best["margin_atr"]


def test_optimize_command_when_run_then_json_html_and_params_file_written(tmp_path: Path) -> None:
    root = write_market(tmp_path / "m")
    days = sessions()
    out_json, html, params = tmp_path / "r.json", tmp_path / "r.html", tmp_path / "p.json"
    result = CliRunner().invoke(app, [
        "optimize", "--data", str(root), "--tickers", ",".join(TICKERS),
        "--start", days[0].isoformat(), "--end", days[-1].isoformat(), "--trials", "3",
        "--folds", "2", "--is-ratio", "1", "--objective", "sortino", "--quiet",
        "--json", str(out_json), "--report", str(html), "--write-params", str(params),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out_json.read_text())
    assert doc["config"]["objectives"] == ["sortino"]
    assert "Out of sample (the result)" in html.read_text()
    assert json.loads(params.read_text())["params"] == doc["recommended_params"]
    assert "recommended params" in result.output


def test_optimize_command_when_unknown_objective_then_exit_2_naming_it(tmp_path: Path) -> None:
    root = write_market(tmp_path / "m")
    result = CliRunner().invoke(app, [
        "optimize", "--data", str(root), "--start", "2024-01-02", "--end", "2024-05-31",
        "--objective", "alpha",
    ])  # fmt: skip
    assert result.exit_code == 2
    assert "--objective must be among" in result.output
