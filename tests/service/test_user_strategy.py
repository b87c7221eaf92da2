"""A user's strategy from a temporary package: through a live trigger, both backtest engines
(identical results) and the fast engine's parity check of its signals."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.fakes.backtest_data import sessions, write_market

from swingdesk.adapters.clock import ManualClock
from swingdesk.backtest.engine import run_fast_backtest
from swingdesk.backtest.replay import run_pipeline_backtest
from swingdesk.backtest.result import BacktestParams
from swingdesk.bootstrap import build_desk
from swingdesk.config import load_settings
from swingdesk.domain.errors import ConfigurationError, InputError

STRATEGY = '''
from typing import ClassVar

import pandas as pd

from swingdesk.domain.enums import Action
from swingdesk.strategy.api import Param, Proposal, SwingStrategy


class AboveSma(SwingStrategy):
    """Buy above the SMA-50 by a margin; sell below it."""

    name: ClassVar[str] = "above-sma-v1"
    parameters: ClassVar[tuple[Param, ...]] = (
        Param("margin_atr", "float", 0.5, low=0.0, high=3.0),
    )

    def decide(self, snapshot, position, params):
        s = snapshot
        inputs = {"price": str(s.price), "sma_50": str(s.sma_50)}
        if s.price is None or s.sma_50 is None or s.atr_14 is None:
            return Proposal(Action.HOLD, 0.0, "missing", inputs, "MISSING_DATA")
        level = float(s.sma_50) + params["margin_atr"] * float(s.atr_14)
        if position is None and float(s.price) > level:
            return Proposal(Action.BUY, 0.8, "above", inputs)
        if position is not None and float(s.price) < float(s.sma_50):
            return Proposal(Action.SELL, 0.8, "below", inputs)
        return Proposal(Action.HOLD, 0.5, "nothing", inputs)

    def signals(self, frame, params):
        level = frame["sma_50"] + params["margin_atr"] * frame["atr_14"]
        return pd.DataFrame({"level": level, "entry": frame["close"] > level - 1e-3})


class Blind(AboveSma):
    """Its signals never enter: they miss every BUY decide makes."""

    def signals(self, frame, params):
        return pd.DataFrame({"entry": frame["close"] < 0})
'''


@pytest.fixture
def userpkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Write the package ``userpkg_strat`` and put it on sys.path."""
    pkg = tmp_path / "pkgs" / "userpkg_strat"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text(STRATEGY)
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    return "userpkg_strat.mod"


async def test_trigger_when_user_strategy_configured_then_its_signal_goes_through_risk(
    tmp_path: Path, userpkg: str, clock: ManualClock
) -> None:
    cfg = load_settings(data_dir=tmp_path, strategy=f"{userpkg}:AboveSma", risk_cooldown_s=0)
    desk = await build_desk(cfg, clock=clock)
    try:
        out = await desk.pipeline.run("AAPL", trigger="test")
        assert out.signal is not None
        assert out.signal.model == "above-sma-v1"
        assert out.signal.rationale in ("above", "below", "nothing", "missing")
    finally:
        await desk.close()


async def test_build_desk_when_params_file_names_other_strategy_then_configuration_error(
    tmp_path: Path, userpkg: str
) -> None:
    params = tmp_path / "best.json"
    params.write_text('{"strategy": "crossover", "params": {}}')
    cfg = load_settings(
        data_dir=tmp_path, strategy=f"{userpkg}:AboveSma", strategy_params_file=params
    )
    with pytest.raises(ConfigurationError, match="not of SWINGDESK_STRATEGY"):
        await build_desk(cfg)


async def test_backtest_when_user_strategy_then_both_engines_identical(
    tmp_path: Path, userpkg: str
) -> None:
    days = sessions()
    root = write_market(tmp_path / "m")
    params = BacktestParams(
        root, ("UPCO", "FLAT", "DOWN"), days[55], days[-1],
        strategy=f"{userpkg}:AboveSma", strategy_params=(("margin_atr", 0.25),),
    )  # fmt: skip
    fast = await run_fast_backtest(params)
    pipeline = await run_pipeline_backtest(params)
    assert fast.fills, "the strategy should trade on the hand-made market"
    assert [(f.day, f.ticker, f.side, f.qty, f.price) for f in fast.fills] == [
        (f.day, f.ticker, f.side, f.qty, f.price) for f in pipeline.fills
    ]
    assert [d.equity for d in fast.days] == [d.equity for d in pipeline.days]
    assert (fast.approvals, dict(fast.denials)) == (pipeline.approvals, dict(pipeline.denials))


async def test_fast_backtest_when_signals_miss_a_buy_then_refused_naming_it(
    tmp_path: Path, userpkg: str
) -> None:
    days = sessions()
    root = write_market(tmp_path / "m")
    params = BacktestParams(root, ("UPCO",), days[55], days[-1], strategy=f"{userpkg}:Blind")
    with pytest.raises(InputError, match=r"signals\(\) has no entry on UPCO"):
        await run_fast_backtest(params)


def test_backtest_command_when_strategy_file_and_param_then_run_with_them(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from swingdesk.cli import app

    path = tmp_path / "above.py"
    path.write_text(STRATEGY)
    root = write_market(tmp_path / "m")
    days = sessions()
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, [
        "backtest", "--data", str(root), "--tickers", "UPCO,FLAT,DOWN",
        "--start", days[55].isoformat(), "--end", days[-1].isoformat(),
        "--strategy", f"{path}:AboveSma", "--param", "margin_atr=0.25", "--quiet",
        "--json", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["params"]["strategy_params"] == {"margin_atr": "0.25"}
    bad = CliRunner().invoke(app, [
        "backtest", "--data", str(root), "--tickers", "UPCO", "--start",
        days[55].isoformat(), "--end", days[-1].isoformat(),
        "--strategy", f"{path}:AboveSma", "--param", "margin_atr=9",
    ])  # fmt: skip
    assert bad.exit_code == 2
    assert "outside [0.0, 3.0]" in bad.output


async def test_backtest_when_user_decide_raises_then_both_engines_hold_identically(
    tmp_path: Path,
) -> None:
    path = tmp_path / "broken.py"
    path.write_text(
        STRATEGY
        + '''

class Raises(AboveSma):
    """Fails on every entry it would make."""

    def decide(self, snapshot, position, params):
        proposal = super().decide(snapshot, position, params)
        if proposal.action is Action.BUY:
            raise RuntimeError("boom")
        return proposal
'''
    )
    days = sessions()
    root = write_market(tmp_path / "m")
    params = BacktestParams(
        root, ("UPCO", "FLAT", "DOWN"), days[55], days[-1], strategy=f"{path}:Raises"
    )
    fast = await run_fast_backtest(params)
    pipeline = await run_pipeline_backtest(params)
    assert fast.fills == pipeline.fills == []
    assert [d.equity for d in fast.days] == [d.equity for d in pipeline.days]
