"""The rule analyst's optional sentiment and market-cap filters: off by default, entries only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swingdesk.domain.context import Fundamentals, Headline, Sentiment
from swingdesk.domain.enums import Action, DataSource
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PositionState
from swingdesk.strategy.agent import RulesStrategy
from swingdesk.strategy.rules import DEFAULT_PARAMS, MISSING_DATA, RuleParams, decide

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)
NEWS = (Headline(title="Bad news", published_at=NOW, sentiment=-0.6),)


def snap(score: float | None = -0.6, cap: str | None = "5000000000", **kw: Any) -> MarketSnapshot:
    """A calm uptrend pullback the default rule BUYs, with sentiment and a market cap."""
    return MarketSnapshot(
        ticker="AAPL", sector="Tech", price=Decimal(100), sma_20=Decimal(99), sma_50=Decimal(95),
        atr_14=Decimal(2), day_change_pct=Decimal("0.005"), adv_20=Decimal(10_000_000),
        vix=Decimal(18), as_of=NOW, source=DataSource.SIMULATED, news=NEWS,
        sentiment=Sentiment(method="test", score=score, headlines=1 if score is not None else 0),
        fundamentals=None if cap is None else Fundamentals(
            as_of=date(2024, 6, 3), source="test", market_cap_usd=Decimal(cap)),
        **kw,
    )  # fmt: skip


def test_decide_when_default_params_then_context_is_ignored_and_inputs_unchanged() -> None:
    with_context = decide(snap(), None)
    without = decide(snap().model_copy(update={"news": (), "sentiment": None,
                                               "fundamentals": None}), None)  # fmt: skip
    assert with_context == without
    assert with_context.action is Action.BUY
    assert "sentiment" not in with_context.inputs


def test_params_json_when_filters_unset_then_recorded_as_before_the_filters_existed() -> None:
    recorded = RulesStrategy().params_json()
    assert "min_sentiment" not in recorded
    assert "min_market_cap_usd" not in recorded
    on = RulesStrategy(RuleParams(min_sentiment=0.0)).params_json()
    assert on["min_sentiment"] == 0.0
    assert "min_market_cap_usd" not in on


def test_decide_when_sentiment_below_threshold_then_no_entry() -> None:
    d = decide(snap(score=-0.6), None, RuleParams(min_sentiment=-0.2))
    assert d.action is Action.HOLD
    assert "sentiment -0.60 below -0.20" in d.rationale
    assert d.inputs["sentiment"] == "-0.6000"


@pytest.mark.parametrize("score", [None, -0.2, 0.4])
def test_decide_when_sentiment_unknown_or_at_threshold_then_entry_stands(
    score: float | None,
) -> None:
    assert decide(snap(score=score), None, RuleParams(min_sentiment=-0.2)).action is Action.BUY


def test_decide_when_market_cap_below_floor_or_unknown_then_no_entry() -> None:
    floor = RuleParams(min_market_cap_usd=10e9)
    small = decide(snap(cap="5000000000"), None, floor)
    assert small.action is Action.HOLD
    assert "below the floor" in small.rationale
    unknown = decide(snap(cap=None), None, floor)
    assert (unknown.action, unknown.reason_code) == (Action.HOLD, MISSING_DATA)
    assert decide(snap(cap="20000000000"), None, floor).action is Action.BUY


def test_decide_when_holding_then_filters_never_block_an_exit() -> None:
    pos = PositionState(ticker="AAPL", qty=Decimal(10), avg_price=Decimal(120),
                        market_price=Decimal(100), stop_price=Decimal(105))  # fmt: skip
    strict = RuleParams(min_sentiment=0.9, min_market_cap_usd=1e15)
    assert decide(snap(), pos, strict) == decide(snap(), pos, DEFAULT_PARAMS)
    assert decide(snap(), pos, strict).action is Action.SELL


@given(
    score=st.none() | st.floats(-1, 1),
    cap=st.none() | st.integers(1, 10**13).map(str),
    min_sentiment=st.none() | st.floats(-1, 1),
    min_cap=st.none() | st.floats(0, 1e13),
)
def test_decide_when_any_filters_then_they_only_ever_remove_entries(
    score: float | None, cap: str | None, min_sentiment: float | None, min_cap: float | None
) -> None:
    s = snap(score=score, cap=cap)
    base = decide(s, None)
    filtered = decide(s, None, RuleParams(min_sentiment=min_sentiment, min_market_cap_usd=min_cap))
    assert filtered.action in (base.action, Action.HOLD)
