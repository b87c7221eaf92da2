"""``LimitValues`` gives the rules every ``RiskLimits`` field, the same objects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from swingdesk.risk.limits import LimitValues, RiskLimits


@pytest.mark.parametrize(
    "limits",
    [
        RiskLimits(),
        RiskLimits(
            max_vix=Decimal("40.5"),
            min_confidence=Decimal("0.35"),
            earnings_blackout_days=-1,
            allow_unknown_earnings=True,
            cooldown_s=Decimal("7.5"),
        ),
    ],
)
def test_limit_values_when_built_then_every_field_is_the_limits_own(limits: RiskLimits) -> None:
    values = LimitValues(limits)
    assert sorted(LimitValues.__slots__) == sorted(RiskLimits.model_fields)
    for name in RiskLimits.model_fields:
        assert getattr(values, name) is getattr(limits, name)
