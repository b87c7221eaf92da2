"""The risk manager builds its verdicts without re-validation; they must equal validated ones.

``RiskApproved.trusted`` / ``RiskRejected.trusted`` skip the validators for speed. These tests
rebuild every kind of verdict through the validating constructor and require the same event:
fields, defaults, field order, fields-set, dumps. A caller's ``now`` that is not a UTC datetime
still goes through validation (normalised, or refused when naive).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from swingdesk.domain.enums import Action, DataSource, Intent, OrderSide
from swingdesk.domain.events import RiskApproved, RiskRejected, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.risk import RiskLimits, RiskManager

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)
RISK = RiskManager(RiskLimits())


def snap(**overrides: Any) -> MarketSnapshot:
    """Return a clean AAPL snapshot with ``overrides`` applied."""
    fields: dict[str, Any] = {
        "ticker": "AAPL",
        "sector": "Tech",
        "price": Decimal(50),
        "atr_14": Decimal("1.25"),
        "adv_20": Decimal(10_000_000),
        "vix": Decimal(20),
        "as_of": NOW,
        "source": DataSource.SIMULATED,
    }
    fields.update(overrides)
    return MarketSnapshot(**fields)


def book(*held: PositionState) -> PortfolioState:
    """Return a 100,000 account holding ``held``."""
    equity = Decimal(100_000) + sum((p.market_value for p in held), Decimal(0))
    return PortfolioState(
        cash=Decimal(100_000),
        buying_power=Decimal(100_000),
        high_water_mark=equity,
        start_of_day_equity=equity,
        positions=held,
        as_of=NOW,
    )


def sig(action: Action, confidence: float = 0.8) -> SignalCreated:
    """Return an AAPL signal."""
    return SignalCreated(
        ts_event=NOW,
        decision_id=uuid4(),
        ticker="AAPL",
        action=action,
        confidence=confidence,
        rationale="test",
        model="scripted",
    )


AAPL = PositionState(
    ticker="AAPL", qty=Decimal(100), avg_price=Decimal(45), market_price=Decimal(48)
)
SCENARIOS = {
    "buy-approved": (sig(Action.BUY), book(), snap(), RiskApproved),
    "buy-rejected": (sig(Action.BUY, 0.3), book(), snap(vix=Decimal(40)), RiskRejected),
    "buy-unsized": (sig(Action.BUY), book(), snap(atr_14=None), RiskRejected),
    "sell-approved": (sig(Action.SELL), book(AAPL), snap(price=None), RiskApproved),
    "sell-rejected": (sig(Action.SELL), book(), snap(), RiskRejected),
}


def revalidated(verdict: RiskApproved | RiskRejected) -> RiskApproved | RiskRejected:
    """Rebuild ``verdict`` through the validating constructor, keeping its event id."""
    fields = {name: getattr(verdict, name) for name in verdict.model_fields_set}
    return type(verdict)(event_id=verdict.event_id, **fields)


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=list(SCENARIOS))
def test_evaluate_when_now_is_utc_then_verdict_equals_the_validated_one(scenario: Any) -> None:
    signal, portfolio, market, kind = scenario
    verdict = RISK.evaluate_signal(signal, portfolio, market, NOW)
    assert type(verdict) is kind
    again = revalidated(verdict)
    assert again == verdict
    assert repr(again) == repr(verdict)
    assert list(vars(again)) == list(vars(verdict))
    assert again.model_fields_set == verdict.model_fields_set | {"event_id"}
    assert "event_id" not in verdict.model_fields_set
    assert again.model_dump_json() == verdict.model_dump_json()
    assert again.model_dump() == verdict.model_dump()
    assert verdict.event_id.version == 4


def test_evaluate_when_called_twice_then_each_verdict_gets_its_own_event_id() -> None:
    signal, portfolio, market, _ = SCENARIOS["buy-approved"]
    first = RISK.evaluate_signal(signal, portfolio, market, NOW)
    second = RISK.evaluate_signal(signal, portfolio, market, NOW)
    assert first.event_id != second.event_id
    assert first.model_fields_set is not second.model_fields_set


def test_evaluate_when_now_in_another_zone_then_timestamp_normalised_to_utc() -> None:
    new_york = timezone(timedelta(hours=-4))
    signal, portfolio, market, _ = SCENARIOS["buy-approved"]
    verdict = RISK.evaluate_signal(signal, portfolio, market, NOW.astimezone(new_york))
    assert isinstance(verdict, RiskApproved)
    assert verdict.ts_event == NOW
    assert verdict.ts_event.tzinfo is UTC


@pytest.mark.parametrize("scenario", ["buy-approved", "buy-rejected", "sell-approved"])
def test_evaluate_when_now_naive_then_rejected(scenario: str) -> None:
    signal, portfolio, market, _ = SCENARIOS[scenario]
    with pytest.raises(ValidationError, match="timezone-aware"):
        RISK.evaluate_signal(signal, portfolio, market, NOW.replace(tzinfo=None))


def test_trusted_when_a_field_is_unknown_or_missing_then_type_error() -> None:
    fields: dict[str, Any] = {
        "ts_event": NOW,
        "decision_id": uuid4(),
        "ticker": "AAPL",
        "signal_event_id": uuid4(),
        "action": Action.SELL,
        "checks": (),
        "intent": Intent.SELL_TO_CLOSE,
        "side": OrderSide.SELL,
        "qty": Decimal(1),
        "reference_price": Decimal(1),
        "notional": Decimal(1),
    }
    built = RiskApproved.trusted(**fields)
    assert built == RiskApproved(**fields, event_id=built.event_id)
    with pytest.raises(TypeError):
        RiskApproved.trusted(**fields, secret=1)
    del fields["notional"]
    with pytest.raises(TypeError):
        RiskApproved.trusted(**fields)
