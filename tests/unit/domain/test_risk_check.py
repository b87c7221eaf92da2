"""RiskCheck is a light immutable tuple, yet validated and serialised as the model it replaced."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from swingdesk.domain.enums import Action
from swingdesk.domain.events import RiskCheck, RiskRejected

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)


def rejected(checks: Any) -> RiskRejected:
    """Return a denial carrying ``checks``."""
    return RiskRejected(
        ts_event=NOW,
        decision_id=uuid4(),
        ticker="AAPL",
        signal_event_id=uuid4(),
        action=Action.BUY,
        checks=checks,
    )


# A non-numeric string is kept as text (a state name, "complete"), as the model did.
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")])
@pytest.mark.parametrize("field", ["value", "limit"])
def test_risk_check_when_amount_not_finite_then_rejected(field: str, bad: object) -> None:
    with pytest.raises(ValidationError, match="RiskCheck"):
        RiskCheck(code="VIX_GATE", passed=True, message="m", **{field: bad})


def test_risk_check_when_unknown_or_missing_field_then_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        RiskCheck(code="VIX_GATE", passed=True, message="m", secret=1)
    with pytest.raises(ValidationError, match="message"):
        RiskCheck(code="VIX_GATE", passed=True)


def test_risk_check_when_numbers_given_then_held_as_decimals_and_text_kept() -> None:
    check = RiskCheck(code="ADV_LIQUIDITY", passed=False, value=1.5, limit="5", message="thin")
    assert (check.value, check.limit) == (Decimal("1.5"), Decimal(5))
    assert RiskCheck(code="HALTED", passed=True, value="ACTIVE", message="").value == "ACTIVE"
    assert RiskCheck(code="COOLDOWN", passed=True, message="").value is None


def test_risk_check_when_assigned_then_immutable() -> None:
    check = RiskCheck(code="VIX_GATE", passed=True, value=Decimal(20), message="")
    with pytest.raises(AttributeError):
        check.passed = False  # type: ignore[misc]


def test_risk_check_when_copied_or_pickled_then_equal() -> None:
    check = RiskCheck(code="VIX_GATE", passed=True, value=Decimal("20.5"), limit=35, message="m")
    assert copy.deepcopy(check) == check
    assert pickle.loads(pickle.dumps(check)) == check
    assert type(pickle.loads(pickle.dumps(check))) is RiskCheck


def test_verdict_when_given_risk_checks_then_holds_them_as_they_are() -> None:
    ok = RiskCheck.trusted("VIX_GATE", True, Decimal(20), Decimal(35), "VIX 20")
    verdict = rejected([ok])
    assert verdict.checks[0] is ok


def test_verdict_when_given_checks_as_dicts_then_validated_into_risk_checks() -> None:
    verdict = rejected([{"code": "VIX_GATE", "passed": False, "value": "40", "message": "m"}])
    assert verdict.checks == (RiskCheck(code="VIX_GATE", passed=False, value=40, message="m"),)
    assert type(verdict.checks[0]) is RiskCheck
    with pytest.raises(ValidationError):
        rejected([{"code": "VIX_GATE", "passed": False, "value": float("nan"), "message": "m"}])


def test_verdict_when_dumped_then_each_check_has_the_model_shape() -> None:
    ok = RiskCheck(code="VIX_GATE", passed=True, value=Decimal("20.50"), limit=35, message="")
    bad = RiskCheck(code="MARKET_DATA", passed=False, value="vix", limit="complete", message="x")
    verdict = rejected((ok, bad))
    as_python = verdict.model_dump()
    assert as_python["checks"][0] == {
        "code": "VIX_GATE",
        "passed": True,
        "value": Decimal("20.50"),
        "limit": Decimal(35),
        "message": "",
    }
    as_json = verdict.model_dump(mode="json")
    assert as_json["checks"][0] == {
        "code": "VIX_GATE",
        "passed": True,
        "value": "20.50",
        "limit": "35",
        "message": "",
    }
    assert as_json["violations"] == [bad.as_dict(json=True)]
    assert json.loads(verdict.model_dump_json()) == as_json
    stored = verdict.model_dump_json(exclude={"violations"})
    assert RiskRejected.model_validate_json(stored) == verdict


def test_verdict_schema_when_generated_then_names_the_risk_check() -> None:
    schema = RiskRejected.model_json_schema()
    assert schema["properties"]["checks"]["items"] == {"$ref": "#/$defs/RiskCheck"}
    assert set(schema["$defs"]["RiskCheck"]["required"]) == {"code", "passed", "message"}
