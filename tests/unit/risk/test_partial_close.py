"""Partial closes: risk sizes them in whole shares, never 0 and never more than held."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.risk.test_risk_rules import NOW, RISK, book, check, pos, snap, violations

from swingdesk.domain.enums import Action, Intent
from swingdesk.domain.events import RiskApproved, RiskRejected, SignalCreated
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.sizing import size_close
from swingdesk.risk.stages import stopping_codes


def sell(fraction: Decimal | str | None, ticker: str = "AAPL") -> SignalCreated:
    """Return a SELL signal closing ``fraction`` of the position."""
    return SignalCreated(
        ts_event=NOW,
        decision_id=uuid4(),
        ticker=ticker,
        action=Action.SELL,
        confidence=0.8,
        rationale="scale out",
        model="scripted",
        close_fraction=None if fraction is None else Decimal(fraction),
    )


def test_evaluate_when_half_of_137_shares_then_68_sold_and_avg_unchanged() -> None:
    portfolio = book(90_000, positions=(pos("AAPL", 137, 45),))
    verdict = RISK.evaluate_signal(sell("0.5"), portfolio, snap(price=Decimal(52)), NOW)
    assert isinstance(verdict, RiskApproved)
    assert verdict.intent is Intent.SELL_TO_CLOSE
    assert verdict.qty == Decimal(68)  # floor(68.5): never more than asked
    assert verdict.notional == Decimal(68) * Decimal(52)
    assert check(verdict, RiskCode.CLOSE_SIZE).value == Decimal(68)


def test_evaluate_when_fraction_rounds_to_zero_shares_then_close_size_denied() -> None:
    portfolio = book(90_000, positions=(pos("AAPL", 3, 45),))
    verdict = RISK.evaluate_signal(sell("0.25"), portfolio, snap(), NOW)
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.CLOSE_SIZE}
    assert check(verdict, RiskCode.CLOSE_SIZE).value == Decimal(0)
    assert stopping_codes(c.code for c in verdict.violations) == ["CLOSE_SIZE"]


def test_evaluate_when_partial_close_and_flat_then_no_position_only() -> None:
    verdict = RISK.evaluate_signal(sell("0.5"), book(), snap(), NOW)
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.NO_POSITION}


def test_evaluate_when_fraction_one_then_whole_fractional_position_closed() -> None:
    portfolio = book(90_000, positions=(pos("AAPL", "10.5", 45),))
    verdict = RISK.evaluate_signal(sell("1"), portfolio, snap(), NOW)
    assert isinstance(verdict, RiskApproved)
    assert verdict.qty == Decimal("10.5")


@pytest.mark.parametrize("fraction", ["0", "-0.5", "1.5", "NaN"])
def test_signal_when_fraction_outside_zero_one_then_refused(fraction: str) -> None:
    with pytest.raises(ValidationError):
        sell(fraction)


@given(
    held=st.integers(min_value=1, max_value=100_000),
    fraction=st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4),
)
def test_size_close_when_any_position_and_fraction_then_never_oversold_nor_fractional(
    held: int, fraction: Decimal
) -> None:
    qty = size_close(Decimal(held), fraction)
    assert Decimal(0) <= qty <= Decimal(held)
    assert qty == qty.to_integral_value()
    assert qty <= Decimal(held) * fraction
    assert qty > Decimal(held) * fraction - 1


@given(
    held=st.integers(min_value=1, max_value=100_000),
    fraction=st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4),
)
def test_evaluate_when_any_partial_close_then_approved_qty_between_one_and_held(
    held: int, fraction: Decimal
) -> None:
    portfolio = book(10_000, positions=(pos("AAPL", held, 45),))
    verdict = RISK.evaluate_signal(sell(fraction), portfolio, snap(), NOW)
    if isinstance(verdict, RiskApproved):
        assert Decimal(1) <= verdict.qty <= Decimal(held)
    else:
        assert violations(verdict) == {RiskCode.CLOSE_SIZE}
        assert Decimal(held) * fraction < 1
