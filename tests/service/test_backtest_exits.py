"""Partial closes and trailing stops in backtests: both engines apply the same rule
(``domain.trailing``) and the same scale-out sizing, fill for fill and day for day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from tests.fakes.backtest_data import sessions, write_market
from tests.service.test_backtest_parity import SAMPLE, _both, _summary

from swingdesk.backtest.command import build_params
from swingdesk.backtest.engine import run_fast_backtest
from swingdesk.backtest.result import BacktestParams, params_doc
from swingdesk.backtest.runner import check_params
from swingdesk.domain.errors import InputError

EXITS = [
    {"trail_pct": Decimal("0.05")},
    {"trail_price": Decimal("2.5")},
    {"close_fraction": Decimal("0.5")},
    {"trail_pct": Decimal("0.08"), "close_fraction": Decimal("0.34")},
]
IDS = ["trail-5pct", "trail-2.50usd", "half-out", "trail-and-third-out"]


@pytest.mark.parametrize("exits", EXITS, ids=IDS)
async def test_engines_when_hand_made_market_with_exit_options_then_identical(
    tmp_path: Path, exits: dict[str, Decimal]
) -> None:
    days = sessions()
    root = write_market(tmp_path / "m")
    params = BacktestParams(root, ("UPCO", "FLAT", "DOWN"), days[55], days[-1], **exits)  # type: ignore[arg-type]
    pipeline, fast = await _both(params)
    assert fast == pipeline


@pytest.mark.parametrize("exits", EXITS[1::2], ids=IDS[1::2])  # each rule once: ~3.5 min
async def test_engines_when_shared_sample_with_exit_options_then_every_fill_identical(
    shared_market: Path, exits: dict[str, Decimal]
) -> None:
    base = BacktestParams(shared_market, SAMPLE, date(2015, 10, 1), date(2016, 2, 29))
    params = replace(base, **exits)  # type: ignore[arg-type]
    pipeline, fast = await _both(params)
    assert fast == pipeline
    plain = _summary(await run_fast_backtest(base))
    assert fast["fills"] != plain["fills"]  # the option changed what happened
    if "close_fraction" in exits:
        # Scaling out: some exits sold part of a position, the rest stayed open.
        sells = [f for f in fast["fills"] if f[2] == "sell" and f[5] == "market"]
        buys = {f[1]: f[3] for f in fast["fills"] if f[2] == "buy"}
        assert any(f[3] < buys.get(f[1], f[3]) for f in sells)
    if "trail_pct" in exits or "trail_price" in exits:
        assert any(f[5] == "stop" for f in fast["fills"])


@pytest.mark.parametrize(
    ("change", "flag"),
    [
        ({"trail_pct": Decimal("0.05"), "trail_price": Decimal(1)}, "--trail-pct"),
        ({"trail_pct": Decimal("1.5")}, "--trail-pct"),
        ({"trail_price": Decimal(0)}, "--trail-price"),
        ({"close_fraction": Decimal(0)}, "--close-fraction"),
        ({"close_fraction": Decimal("1.01")}, "--close-fraction"),
    ],
)
def test_check_params_when_exit_option_invalid_then_input_error_names_it(
    tmp_path: Path, change: dict[str, Decimal], flag: str
) -> None:
    params = BacktestParams(tmp_path, ("AAPL",), date(2016, 1, 4), date(2016, 2, 1), **change)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=flag):
        check_params(params)


def test_build_params_when_exit_flags_given_then_decimals_in_params(tmp_path: Path) -> None:
    params = build_params(
        data=tmp_path, simulated=False, tickers="AAPL", universe="", start="2016-01-04",
        end="2016-02-01", strategy="rules", engine="auto", initial_cash="100000",
        slippage_bps="5", commission="0", earnings_unknown="block", risk_profile="desk",
        seed=42, today=date(2026, 12, 4), trail_pct="0.05", close_fraction="0.5",
    )  # fmt: skip
    assert (params.trail_pct, params.trail_price, params.close_fraction) == (
        Decimal("0.05"), None, Decimal("0.5"),
    )  # fmt: skip
    doc = params_doc(params)
    assert (doc["trail_pct"], doc["close_fraction"]) == ("0.05", "0.5")
    assert "trail_price" not in doc
