"""``build_unchecked`` builds what pydantic's supported ``model_construct`` builds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from pydantic import BaseModel

from swingdesk.domain.enums import Action, DataSource, Intent, OrderSide
from swingdesk.domain.events import RiskApproved
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.unchecked import build_unchecked

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)


def _same(built: BaseModel, constructed: BaseModel) -> None:
    assert built == constructed
    assert type(built) is type(constructed)
    assert list(built.__dict__) == list(constructed.__dict__)
    assert built.model_fields_set == constructed.model_fields_set
    assert built.__pydantic_extra__ == constructed.__pydantic_extra__
    assert built.__pydantic_private__ == constructed.__pydantic_private__
    assert built.model_dump(mode="json") == constructed.model_dump(mode="json")


def test_build_unchecked_when_given_an_event_then_equal_to_model_construct() -> None:
    fields = {
        "event_id": uuid4(),
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
    trusted = RiskApproved.trusted(**fields)
    constructed = RiskApproved.model_construct(**fields)
    _same(build_unchecked(RiskApproved, dict(constructed.__dict__), set(fields)), constructed)
    _same(trusted, constructed)


def test_build_unchecked_when_given_a_snapshot_then_equal_to_model_construct() -> None:
    validated = MarketSnapshot(
        ticker="AAPL", price=Decimal("187.42"), as_of=NOW, source=DataSource.CSV
    )
    given = set(validated.model_fields_set)
    constructed = MarketSnapshot.model_construct(
        _fields_set=given, **{name: getattr(validated, name) for name in given}
    )
    _same(build_unchecked(MarketSnapshot, dict(validated.__dict__), given), constructed)
    _same(validated, constructed)
