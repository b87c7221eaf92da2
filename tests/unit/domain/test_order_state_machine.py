"""The order transition table: legal moves pass, everything else raises, fills add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from swingdesk.domain.enums import TERMINAL_STATUSES, Intent, OrderSide, OrderStatus
from swingdesk.domain.errors import IllegalTransitionError
from swingdesk.domain.orders import TRANSITIONS, Order, can_transition, check_transition

S = OrderStatus
LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]
ILLEGAL = [(a, b) for a in OrderStatus for b in OrderStatus if b not in TRANSITIONS[a]]


def order(qty: int = 100, status: OrderStatus = S.NEW) -> Order:
    """Return a buy order for ``qty`` shares in ``status``."""
    return Order(
        client_order_id="sd-o-test",
        ticker="AAPL",
        side=OrderSide.BUY,
        intent=Intent.BUY_TO_OPEN,
        qty=Decimal(qty),
        status=status,
    )


def test_table_when_read_then_has_the_expected_moves() -> None:
    assert set(LEGAL) == {
        (S.NEW, S.ACCEPTED),
        (S.NEW, S.PARTIALLY_FILLED),
        (S.NEW, S.FILLED),
        (S.NEW, S.CANCELED),
        (S.NEW, S.REJECTED),
        (S.NEW, S.EXPIRED),
        (S.NEW, S.HELD),
        (S.HELD, S.ACCEPTED),
        (S.HELD, S.PARTIALLY_FILLED),
        (S.HELD, S.FILLED),
        (S.HELD, S.CANCELED),
        (S.HELD, S.REJECTED),
        (S.HELD, S.EXPIRED),
        (S.ACCEPTED, S.PARTIALLY_FILLED),
        (S.ACCEPTED, S.FILLED),
        (S.ACCEPTED, S.CANCELED),
        (S.ACCEPTED, S.REJECTED),
        (S.ACCEPTED, S.EXPIRED),
        (S.PARTIALLY_FILLED, S.PARTIALLY_FILLED),
        (S.PARTIALLY_FILLED, S.FILLED),
        (S.PARTIALLY_FILLED, S.CANCELED),
        (S.PARTIALLY_FILLED, S.EXPIRED),
    }
    assert set(TRANSITIONS) == set(OrderStatus)


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_check_transition_when_move_legal_then_allowed(
    current: OrderStatus, target: OrderStatus
) -> None:
    check_transition(current, target)
    assert can_transition(current, target)
    assert order(status=current).with_status(target).status is target


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_check_transition_when_move_illegal_then_raises(
    current: OrderStatus, target: OrderStatus
) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransitionError) as info:
        check_transition(current, target)
    assert info.value.details == {"from": current.value, "to": target.value}
    assert info.value.code == "ILLEGAL_TRANSITION"


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATUSES))
def test_with_status_when_terminal_then_every_other_status_refused(terminal: OrderStatus) -> None:
    assert terminal.is_terminal
    assert TRANSITIONS[terminal] == frozenset()
    stuck = order(status=terminal)
    for target in OrderStatus:
        if target is terminal:
            assert stuck.with_status(target) is stuck  # a repeated report is a no-op
        else:
            with pytest.raises(IllegalTransitionError):
                stuck.with_status(target)


def test_with_status_when_accepted_reported_twice_then_no_op() -> None:
    accepted = order().with_status(S.ACCEPTED)
    assert accepted.with_status(S.ACCEPTED) is accepted


def test_with_status_when_moving_backwards_then_raises() -> None:
    with pytest.raises(IllegalTransitionError, match="accepted to new"):
        order(status=S.ACCEPTED).with_status(S.NEW)


@pytest.mark.parametrize("status", [S.NEW, S.ACCEPTED, S.PARTIALLY_FILLED])
def test_is_terminal_when_order_still_working_then_false(status: OrderStatus) -> None:
    assert not status.is_terminal


def test_with_fill_when_two_partial_fills_then_average_price_is_volume_weighted() -> None:
    # 40 @ 10.00 then 60 @ 11.00: (400 + 660) / 100 = 10.60
    first = order().with_fill(Decimal(40), Decimal(10))
    assert first.status is S.PARTIALLY_FILLED
    assert (first.filled_qty, first.filled_avg_price) == (Decimal(40), Decimal(10))
    done = first.with_fill(Decimal(60), Decimal(11))
    assert done.status is S.FILLED
    assert done.filled_qty == Decimal(100)
    assert done.filled_avg_price == Decimal("10.6")


def test_with_fill_when_three_partials_then_stays_partial_until_complete() -> None:
    # 10 @ 20, 10 @ 22, 10 @ 24 of 30: averages 20, 21, 22
    o = order(30).with_status(S.ACCEPTED)
    o = o.with_fill(Decimal(10), Decimal(20))
    o = o.with_fill(Decimal(10), Decimal(22))
    assert (o.status, o.filled_avg_price) == (S.PARTIALLY_FILLED, Decimal(21))
    o = o.with_fill(Decimal(10), Decimal(24))
    assert (o.status, o.filled_qty, o.filled_avg_price) == (S.FILLED, Decimal(30), Decimal(22))


def test_with_fill_when_fill_exceeds_order_then_raises() -> None:
    part = order().with_fill(Decimal(70), Decimal(10))
    with pytest.raises(IllegalTransitionError, match="exceed"):
        part.with_fill(Decimal(31), Decimal(10))
    assert part.filled_qty == Decimal(70)  # the refused fill left the order untouched


def test_with_fill_when_order_canceled_then_raises() -> None:
    with pytest.raises(IllegalTransitionError):
        order(status=S.CANCELED).with_fill(Decimal(1), Decimal(10))


@pytest.mark.parametrize(("qty", "price"), [(0, 10), (-1, 10), (1, 0), (1, -5)])
def test_with_fill_when_qty_or_price_not_positive_then_value_error(qty: int, price: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        order().with_fill(Decimal(qty), Decimal(price))


def test_with_fill_when_applied_then_original_order_unchanged() -> None:
    original = order()
    filled = original.with_fill(Decimal(100), Decimal(10))
    assert original.status is S.NEW
    assert original.filled_qty == Decimal(0)
    assert filled is not original


def test_order_when_assigned_then_frozen() -> None:
    o = order()
    with pytest.raises(ValidationError):
        o.status = S.FILLED  # type: ignore[misc]


@pytest.mark.parametrize("qty", [0, -5, "NaN", "Infinity"])
def test_order_when_qty_not_positive_finite_then_rejected(qty: int | str) -> None:
    with pytest.raises(ValidationError):
        Order(
            client_order_id="x",
            ticker="AAPL",
            side=OrderSide.BUY,
            intent=Intent.BUY_TO_OPEN,
            qty=qty,
        )
