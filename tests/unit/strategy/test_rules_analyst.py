"""The swing rule on hand-worked cases, one per branch, plus a Hypothesis property over all inputs.

Default params: pullback within 1 ATR of SMA-20 (base 0.55), breakout > 1 and <= 3 ATR above
SMA-20 on an up day (base 0.52), trend bonus 0.30 x min((SMA20-SMA50)/ATR / 2.5, 1),
ATR% penalty 0.15 ramped over 2%-5%, VIX penalty 0.10 ramped over 20-35 (full when unknown),
earnings within 5 trading days -0.10; exits 0.95 (stop), 0.75 (one trend break), 0.85 (both).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swingdesk.domain.enums import Action, DataSource
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PositionState
from swingdesk.strategy.rules import MISSING_DATA, RuleParams, decide

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)


def snap(**overrides: Any) -> MarketSnapshot:
    """Return a calm uptrend pullback (price 100, SMA-20 99, SMA-50 95, ATR 2, VIX 18)."""
    fields: dict[str, Any] = {
        "ticker": "AAPL",
        "sector": "Tech",
        "price": Decimal(100),
        "sma_20": Decimal(99),
        "sma_50": Decimal(95),
        "atr_14": Decimal(2),
        "day_change_pct": Decimal("0.005"),
        "adv_20": Decimal(10_000_000),
        "vix": Decimal(18),
        "earnings_in_trading_days": None,
        "as_of": NOW,
        "source": DataSource.SIMULATED,
    }
    fields.update(overrides)
    return MarketSnapshot(**fields)


def held(avg: str = "100", stop: str | None = "95") -> PositionState:
    """Return 10 AAPL shares bought at ``avg`` with an optional protective stop."""
    return PositionState(
        ticker="AAPL",
        qty=Decimal(10),
        avg_price=Decimal(avg),
        market_price=Decimal(avg),
        stop_price=None if stop is None else Decimal(stop),
    )


# --- entries --------------------------------------------------------------------------------


def test_decide_when_uptrend_pullback_then_buy_with_worked_confidence() -> None:
    # trend (99-95)/2 = 2.0 ATR -> bonus 0.30*2/2.5 = 0.24; 0.55 + 0.24 = 0.79.
    # ATR at 2% of price and VIX 18 cost nothing.
    d = decide(snap(), None)
    assert d.action is Action.BUY
    assert d.confidence == 0.79
    assert d.reason_code is None
    assert d.rationale == (
        "Uptrend: price 100.00 > SMA-50 95.00, SMA-20 99.00 > SMA-50 (SMA-20 2.0 ATR above "
        "SMA-50); pullback to within 0.5 ATR of SMA-20 (base 0.55, trend +0.24); "
        "ATR 2.00 (2.0% of price); VIX 18.0; confidence 0.79."
    )


def test_decide_when_price_just_below_sma20_in_uptrend_then_buy_pullback() -> None:
    d = decide(snap(price=Decimal(98)), None)
    assert d.action is Action.BUY
    assert "pullback to within 0.5 ATR of SMA-20" in d.rationale


def test_decide_when_breakout_on_up_day_then_buy_with_worked_confidence() -> None:
    # dist (104-100)/2 = 2 ATR; trend (100-95)/2 = 2.5 -> full bonus 0.30; 0.52 + 0.30 = 0.82.
    d = decide(snap(price=Decimal(104), sma_20=Decimal(100), day_change_pct=Decimal("0.012")), None)
    assert d.action is Action.BUY
    assert d.confidence == 0.82
    assert "breakout 2.0 ATR above SMA-20 on a +1.20% day" in d.rationale


def test_decide_when_trend_is_weak_then_buy_confidence_below_risk_minimum() -> None:
    # trend (99.5-99)/2 = 0.25 ATR -> bonus 0.03; 0.55 + 0.03 = 0.58, under the desk's 0.6.
    d = decide(snap(sma_20=Decimal("99.5"), sma_50=Decimal(99)), None)
    assert d.action is Action.BUY
    assert d.confidence == 0.58


def test_decide_when_volatile_tape_and_earnings_near_then_penalties_apply() -> None:
    # trend 4/3.5 -> bonus 0.1371; ATR 3.5% -> -0.075; VIX 27.5 -> -0.05; earnings 4d -> -0.10.
    # 0.55 + 0.1371 - 0.075 - 0.05 - 0.10 = 0.4621 -> 0.46.
    d = decide(snap(atr_14=Decimal("3.5"), vix=Decimal("27.5"), earnings_in_trading_days=4), None)
    assert d.action is Action.BUY
    assert d.confidence == 0.46
    assert "ATR 3.50 (3.5% of price, -0.08)" in d.rationale
    assert "VIX 27.5, -0.05" in d.rationale
    assert "earnings in 4 trading days, -0.10" in d.rationale


def test_decide_when_vix_unknown_then_full_vix_penalty_named() -> None:
    d = decide(snap(vix=None), None)
    assert d.action is Action.BUY
    assert d.confidence == 0.69
    assert "VIX unknown, -0.10" in d.rationale


def test_hold_when_no_uptrend_then_rationale_names_the_broken_conditions() -> None:
    d = decide(snap(price=Decimal(90), sma_20=Decimal(94)), None)
    assert d.action is Action.HOLD
    assert d.confidence == 0.5
    assert d.reason_code is None
    assert d.rationale == (
        "No uptrend: price 90.00 <= SMA-50 95.00, SMA-20 94.00 <= SMA-50 95.00; no entry."
    )


def test_hold_when_sma20_below_sma50_but_price_above_then_no_uptrend() -> None:
    d = decide(snap(price=Decimal(100), sma_20=Decimal(94)), None)
    assert d.action is Action.HOLD
    assert "SMA-20 94.00 <= SMA-50 95.00" in d.rationale


def test_hold_when_deep_pullback_below_sma20_then_waits() -> None:
    d = decide(snap(price=Decimal(96)), None)  # (96-99)/2 = -1.5 ATR
    assert d.action is Action.HOLD
    assert "1.5 ATR below SMA-20" in d.rationale


def test_hold_when_price_extended_beyond_three_atr_then_does_not_chase() -> None:
    d = decide(snap(price=Decimal(108), sma_20=Decimal(100)), None)  # 4 ATR above
    assert d.action is Action.HOLD
    assert "too extended to chase" in d.rationale


def test_hold_when_above_sma20_on_down_day_then_no_breakout() -> None:
    d = decide(
        snap(price=Decimal(104), sma_20=Decimal(100), day_change_pct=Decimal("-0.004")), None
    )
    assert d.action is Action.HOLD
    assert "day change -0.40% shows no momentum" in d.rationale


def test_hold_when_between_pullback_and_breakout_bands_then_waits() -> None:
    params = RuleParams(pullback_atr=0.5, breakout_atr=1.5)
    d = decide(snap(price=Decimal(101)), None, params)  # (101-99)/2 = 1.0 ATR
    assert d.action is Action.HOLD
    assert "neither a pullback" in d.rationale


def test_hold_when_breakout_day_change_missing_then_missing_data() -> None:
    d = decide(snap(price=Decimal(104), sma_20=Decimal(100), day_change_pct=None), None)
    assert d.action is Action.HOLD
    assert d.reason_code == MISSING_DATA
    assert "day change is missing" in d.rationale


def test_hold_when_required_fields_missing_then_missing_data_names_them() -> None:
    d = decide(snap(sma_50=None, atr_14=None), None)
    assert d.action is Action.HOLD
    assert d.confidence == 0.0
    assert d.reason_code == MISSING_DATA
    assert d.rationale == "No entry: missing sma_50, atr_14; cannot judge the trend."
    assert d.inputs["sma_50"] == "n/a"


def test_hold_when_atr_is_zero_then_missing_data() -> None:
    d = decide(snap(atr_14=Decimal(0)), None)
    assert d.action is Action.HOLD
    assert d.reason_code == MISSING_DATA


def test_decide_when_entry_then_inputs_record_every_number_used() -> None:
    d = decide(snap(earnings_in_trading_days=9), None)
    assert d.inputs == {
        "ticker": "AAPL",
        "price": "100",
        "sma_20": "99",
        "sma_50": "95",
        "atr_14": "2",
        "held": "no",
        "day_change_pct": "0.005",
        "vix": "18",
        "earnings_in_trading_days": "9",
    }


# --- exits ----------------------------------------------------------------------------------


def test_sell_when_price_below_position_stop_then_stop_exit() -> None:
    d = decide(snap(price=Decimal("94.5"), sma_20=Decimal(101), sma_50=Decimal(98)), held())
    assert d.action is Action.SELL
    assert d.confidence == 0.95
    assert d.rationale == (
        "Stop breached: price 94.50 <= stop 95.00 (position stop); -5.5% from avg 100.00; "
        "confidence 0.95."
    )


def test_sell_when_price_equals_stop_then_stop_exit() -> None:
    d = decide(snap(price=Decimal(95), sma_20=Decimal(101), sma_50=Decimal(90)), held())
    assert d.action is Action.SELL
    assert d.rationale.startswith("Stop breached")


def test_sell_when_no_stop_recorded_and_below_implied_stop_then_stop_exit() -> None:
    # implied stop = 100 - 2.0 x ATR 2 = 96
    d = decide(snap(price=Decimal("95.9"), sma_20=Decimal(99), sma_50=Decimal(90)), held(stop=None))
    assert d.action is Action.SELL
    assert "stop 96.00 (implied stop, avg - 2.0 ATR)" in d.rationale


def test_sell_when_price_breaks_below_sma50_then_trend_exit() -> None:
    d = decide(snap(price=Decimal(97), sma_20=Decimal(101), sma_50=Decimal(98)), held())
    assert d.action is Action.SELL
    assert d.confidence == 0.75
    assert d.rationale == (
        "Trend broken: price 97.00 < SMA-50 98.00; -3.0% from avg 100.00; confidence 0.75."
    )


def test_sell_when_sma20_crosses_below_sma50_then_trend_exit() -> None:
    d = decide(snap(price=Decimal(99), sma_20=Decimal("97.5"), sma_50=Decimal(98)), held())
    assert d.action is Action.SELL
    assert d.confidence == 0.75
    assert "SMA-20 97.50 < SMA-50 98.00" in d.rationale


def test_sell_when_both_trend_conditions_break_then_higher_confidence() -> None:
    d = decide(snap(price=Decimal(97), sma_20=Decimal("97.5"), sma_50=Decimal(98)), held())
    assert d.action is Action.SELL
    assert d.confidence == 0.85


def test_hold_when_held_and_trend_intact_then_keeps_position() -> None:
    d = decide(snap(price=Decimal(104), sma_20=Decimal(102), sma_50=Decimal(98)), held())
    assert d.action is Action.HOLD
    assert d.reason_code is None
    assert d.rationale == (
        "Holding: trend intact (price 104.00 >= SMA-50 98.00, SMA-20 102.00 >= SMA-50); "
        "stop 95.00 (position stop) not hit; +4.0% from avg 100.00."
    )
    assert d.inputs["avg_price"] == "100"
    assert d.inputs["stop_price"] == "95"


def test_hold_when_held_and_price_missing_then_missing_data() -> None:
    d = decide(snap(price=None), held())
    assert d.action is Action.HOLD
    assert d.reason_code == MISSING_DATA


def test_hold_when_held_and_smas_missing_above_stop_then_missing_data() -> None:
    d = decide(snap(sma_20=None, sma_50=None), held())
    assert d.action is Action.HOLD
    assert d.reason_code == MISSING_DATA
    assert "missing sma_20, sma_50" in d.rationale


def test_sell_when_held_smas_missing_but_stop_breached_then_still_exits() -> None:
    d = decide(snap(price=Decimal(90), sma_20=None, sma_50=None), held())
    assert d.action is Action.SELL


def test_build_params_when_trend_strength_zero_then_refused() -> None:
    with pytest.raises(ValueError, match="trend_full_strength"):
        RuleParams(trend_full_strength=0)


# --- property -------------------------------------------------------------------------------


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


PRICES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100_000), places=4)
SNAPSHOTS = st.builds(
    MarketSnapshot,
    ticker=st.just("AAPL"),
    price=_maybe(PRICES),
    sma_20=_maybe(PRICES),
    sma_50=_maybe(PRICES),
    atr_14=_maybe(st.decimals(min_value=Decimal(0), max_value=Decimal(10_000), places=4)),
    day_change_pct=_maybe(st.decimals(min_value=Decimal(-1), max_value=Decimal(5), places=6)),
    adv_20=_maybe(st.decimals(min_value=Decimal(0), max_value=Decimal(10**10), places=0)),
    vix=_maybe(st.decimals(min_value=Decimal(0), max_value=Decimal(150), places=2)),
    earnings_in_trading_days=_maybe(st.integers(min_value=0, max_value=300)),
    as_of=st.just(NOW),
    source=st.just(DataSource.SIMULATED),
)
POSITIONS = _maybe(
    st.builds(
        PositionState,
        ticker=st.just("AAPL"),
        qty=st.decimals(min_value=Decimal(1), max_value=Decimal(10_000), places=0),
        avg_price=PRICES,
        market_price=PRICES,
        stop_price=_maybe(PRICES),
    )
)


@given(snapshot=SNAPSHOTS, position=POSITIONS)
def test_decide_when_any_inputs_then_valid_long_only_decision(
    snapshot: MarketSnapshot, position: PositionState | None
) -> None:
    d = decide(snapshot, position)
    assert d.action in {Action.BUY, Action.SELL, Action.HOLD}
    assert 0.0 <= d.confidence <= 1.0
    assert d.rationale
    assert all(isinstance(v, str) for v in d.inputs.values())
    if position is not None:
        assert d.action is not Action.BUY
    else:
        assert d.action is not Action.SELL
    if d.reason_code == MISSING_DATA:
        assert d.action is Action.HOLD
