"""The order aggregate's fill rules: one overfill guard, one average, late fills accepted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swingdesk.domain.enums import OrderStatus
from swingdesk.domain.errors import IllegalTransitionError
from swingdesk.domain.orders import (
    LATE_FILL_FROM,
    accumulate_fill,
    fill_between,
    reported_status,
)

S = OrderStatus
quantities = st.integers(min_value=1, max_value=10_000).map(Decimal)
prices = st.decimals(min_value="0.01", max_value="5000", places=2)


@pytest.mark.parametrize("current", sorted(LATE_FILL_FROM))
@pytest.mark.parametrize("reported", [S.PARTIALLY_FILLED, S.FILLED])
def test_reported_status_when_a_fill_arrives_after_a_cancel_then_it_is_accepted(
    current: OrderStatus, reported: OrderStatus
) -> None:
    assert reported_status(current, reported) is reported


@pytest.mark.parametrize("current", [S.FILLED, S.REJECTED])
def test_reported_status_when_a_final_order_is_reported_otherwise_then_raises(
    current: OrderStatus,
) -> None:
    with pytest.raises(IllegalTransitionError):
        reported_status(current, S.CANCELED)


@pytest.mark.parametrize("status", list(OrderStatus))
def test_reported_status_when_the_same_status_is_reported_again_then_no_op(
    status: OrderStatus,
) -> None:
    assert reported_status(status, status) is status


def test_accumulate_fill_when_it_would_exceed_the_order_then_raises() -> None:
    with pytest.raises(IllegalTransitionError, match="exceed") as info:
        accumulate_fill(
            Decimal(10), Decimal(8), Decimal(5), Decimal(3), Decimal(5), client_order_id="c"
        )
    assert info.value.details == {"client_order_id": "c"}


def test_accumulate_fill_when_the_order_is_by_notional_then_no_share_limit_applies() -> None:
    assert accumulate_fill(
        Decimal(0), Decimal(0), None, Decimal(3), Decimal(2), client_order_id="c"
    ) == (
        Decimal(3),
        Decimal(2),
    )


@given(first=quantities, second=quantities, p1=prices, p2=prices)
def test_fill_between_when_given_two_cumulative_reports_then_it_is_the_second_fill(
    first: Decimal, second: Decimal, p1: Decimal, p2: Decimal
) -> None:
    total = first + second
    qty1, avg1 = accumulate_fill(total, Decimal(0), None, first, p1, client_order_id="c")
    qty2, avg2 = accumulate_fill(total, qty1, avg1, second, p2, client_order_id="c")
    between = fill_between(qty1, avg1, qty2, avg2)
    assert between is not None
    qty, price = between
    assert qty == second
    assert abs(price - p2) < Decimal("1e-20")


def test_fill_between_when_a_report_is_repeated_then_books_nothing() -> None:
    assert fill_between(Decimal(5), Decimal(10), Decimal(5), Decimal(10)) is None
    assert fill_between(Decimal(0), None, Decimal(0), None) is None
