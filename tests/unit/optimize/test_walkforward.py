"""Walk-forward folds, the deflated Sharpe ratio and the stitched out-of-sample curve."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from swingdesk.domain.errors import InputError
from swingdesk.optimize.config import OptimizeConfig, folds
from swingdesk.optimize.evaluate import WindowRun
from swingdesk.optimize.objectives import deflated_sharpe, expected_max_sharpe, measure
from swingdesk.optimize.report import stitch


def _config(**kw: object) -> OptimizeConfig:
    base: dict[str, object] = {
        "study": "s", "strategy": "rules", "data_dir": Path("/data"), "tickers": ("A",),
        "start": date(2020, 1, 1), "end": date(2021, 1, 1),
    }  # fmt: skip
    return OptimizeConfig(**(base | kw))  # type: ignore[arg-type]


def test_folds_when_rolling_then_in_sample_blocks_slide_before_each_oos_block() -> None:
    plan = folds(700, _config(folds=4, is_ratio=3))
    assert [f.oos for f in plan] == [(300, 400), (400, 500), (500, 600), (600, 700)]
    assert [f.is_ for f in plan] == [(0, 300), (100, 400), (200, 500), (300, 600)]


def test_folds_when_anchored_then_in_sample_starts_at_the_first_session() -> None:
    plan = folds(703, _config(folds=2, is_ratio=2, mode="anchored"))
    assert [f.is_ for f in plan] == [(0, 353), (0, 528)]
    assert plan[-1].oos == (528, 703)


def test_folds_when_not_walk_forward_then_one_in_sample_fold() -> None:
    plan = folds(500, _config(walk_forward=False))
    assert [(f.is_, f.oos) for f in plan] == [((0, 500), None)]


def test_folds_when_too_few_sessions_then_input_error() -> None:
    with pytest.raises(InputError, match="too few"):
        folds(100, _config(folds=4, is_ratio=3))


def test_config_when_unknown_objective_then_input_error() -> None:
    with pytest.raises(InputError, match="--objective"):
        _config(objectives=("sharpe", "alpha")).check()


def test_config_when_json_round_trip_then_equal() -> None:
    config = _config(objectives=("sharpe", "max_drawdown"), fixed={"hold_confidence": 0.4})
    assert OptimizeConfig.from_json(config.to_json()) == config


def test_expected_max_sharpe_when_more_trials_then_higher_bar() -> None:
    spread = [0.01 * (i % 7 - 3) for i in range(100)]
    assert expected_max_sharpe(spread[:10]) < expected_max_sharpe(spread)


def test_deflated_sharpe_when_many_noisy_trials_then_lower_than_with_few() -> None:
    trials = [0.02 * ((i * 37) % 11 - 5) / 5 for i in range(200)]
    few = deflated_sharpe(0.08, 0.0, 3.0, 750, trials[:5])
    many = deflated_sharpe(0.08, 0.0, 3.0, 750, trials)
    assert 0.0 <= many < few <= 1.0


def test_measure_when_falling_equity_then_drawdown_positive_and_sharpe_negative() -> None:
    days = [date(2020, 1, 1) + timedelta(days=i) for i in range(5)]
    equity = [Decimal(v) for v in (100, 99, 97, 98, 95)]
    values = measure(("sharpe", "max_drawdown", "profit_factor"), days, equity, [])
    assert values["sharpe"] < 0
    assert values["max_drawdown"] == pytest.approx(0.05)
    assert values["profit_factor"] == 0.0


def test_stitch_when_two_blocks_then_returns_chained_from_initial_cash() -> None:
    d = [date(2020, 1, 1) + timedelta(days=i) for i in range(4)]
    a = WindowRun(d[:2], [Decimal(100), Decimal(110)], [])
    b = WindowRun(d[2:], [Decimal(100), Decimal(90)], [])
    days, equity = stitch([a, b], Decimal(1000))
    assert days == d
    assert equity == [Decimal(1000), Decimal(1100), Decimal(1100), Decimal(990)]


def test_decay_when_oos_half_of_in_sample_then_half_lost_and_warned() -> None:
    from swingdesk.optimize.report import _decay, _warnings

    folds = [
        {"index": 0, "in_sample_sharpe": 2.0, "deflated_sharpe": 0.99},
        {"index": 1, "in_sample_sharpe": 1.0, "deflated_sharpe": 0.99},
    ]
    assert _decay(folds, 0.6) == pytest.approx(0.6)
    warnings = _warnings(folds, 0.6)
    assert len(warnings) == 1
    assert "falls from 1.50" in warnings[0]
    assert _decay(folds, None) is None
