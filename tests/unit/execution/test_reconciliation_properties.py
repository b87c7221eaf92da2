"""Reconciliation invariants: after the corrections our books equal the broker's, unless the
drift is above the limit, in which case the plan halts and corrects nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from swingdesk.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.execution.reconciliation import (
    LocalOrder,
    LocalPosition,
    apply_corrections,
    plan_orders,
    plan_positions,
)
from swingdesk.ports import BrokerOrder, BrokerPosition

TICKERS = st.sampled_from([f"T{i}" for i in range(12)])
QTY = st.integers(min_value=1, max_value=5_000).map(Decimal)
PRICE = st.decimals(min_value=Decimal("1.00"), max_value=Decimal(900), places=2)
LIMIT = Decimal("0.05")


@st.composite
def broker_positions(draw: st.DrawFn) -> dict[str, BrokerPosition]:
    out = {}
    for ticker in draw(st.sets(TICKERS, max_size=8)):
        qty, price, avg = draw(QTY), draw(PRICE), draw(PRICE)
        out[ticker] = BrokerPosition(ticker, qty, avg, qty * price, price)
    return out


@st.composite
def local_positions(draw: st.DrawFn) -> dict[str, LocalPosition]:
    return {t: LocalPosition(t, draw(QTY), draw(PRICE)) for t in draw(st.sets(TICKERS, max_size=8))}


def books(positions: dict[str, LocalPosition]) -> dict[str, tuple[Decimal, Decimal]]:
    return {t: (p.qty, p.avg_price) for t, p in positions.items()}


@settings(max_examples=400, deadline=None)
@given(
    broker=broker_positions(),
    local=local_positions(),
    value=st.decimals(min_value=Decimal(1_000), max_value=Decimal(10_000_000), places=2),
)
def test_plan_when_any_position_sets_then_books_equal_broker_or_halt_above_limit(
    broker: dict[str, BrokerPosition], local: dict[str, LocalPosition], value: Decimal
) -> None:
    plan = plan_positions(broker.values(), local, portfolio_value=value, max_drift_pct=LIMIT)
    expected = sum(
        (
            abs((broker[t].qty if t in broker else 0) - (local[t].qty if t in local else 0))
            * (broker[t].market_value / broker[t].qty if t in broker else local[t].avg_price)
            for t in broker.keys() | local.keys()
        ),
        Decimal(0),
    )
    assert plan.drift_notional == expected
    assert plan.halt == (expected / value > LIMIT)
    if plan.halt:
        assert plan.corrections == ()
        assert plan.reason
    else:
        after = apply_corrections(local, plan.corrections)
        assert books(after) == {t: (p.qty, p.avg_entry_price) for t, p in broker.items()}
        # A second pass finds nothing left to do.
        again = plan_positions(broker.values(), after, portfolio_value=value, max_drift_pct=LIMIT)
        assert again.corrections == ()
        assert again.drift_notional == 0


def test_plan_when_broker_holds_a_short_then_halt_whatever_the_size() -> None:
    short = BrokerPosition("XOM", Decimal(-1), Decimal(100), Decimal(-100), Decimal(100))
    plan = plan_positions([short], {}, portfolio_value=Decimal(10**9), max_drift_pct=LIMIT)
    assert plan.halt
    assert "short" in plan.reason


def test_plan_when_drift_exactly_at_limit_then_corrected_not_halted() -> None:
    b = BrokerPosition("AAPL", Decimal(60), Decimal(100), Decimal(6000), Decimal(100))
    local = {"AAPL": LocalPosition("AAPL", Decimal(10), Decimal(100))}
    plan = plan_positions([b], local, portfolio_value=Decimal(100_000), max_drift_pct=LIMIT)
    assert plan.drift_pct == Decimal("0.05")
    assert not plan.halt
    assert [(c.ticker, c.qty_after) for c in plan.corrections] == [("AAPL", Decimal(60))]


def order(coid: str, status: OrderStatus, legs: tuple[BrokerOrder, ...] = ()) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=f"b-{coid}",
        client_order_id=coid,
        ticker="AAPL",
        side=OrderSide.BUY,
        qty=Decimal(1),
        type=OrderType.MARKET,
        time_in_force=TimeInForce.DAY,
        status=status,
        filled_qty=Decimal(0),
        filled_avg_price=None,
        submitted_at=datetime(2026, 11, 24, tzinfo=UTC),
        legs=legs,
    )


def test_plan_orders_when_broker_has_unknown_and_we_have_missing_then_import_and_look_up() -> None:
    leg = order("leg-1", OrderStatus.HELD)
    broker_open = [
        order("ext-1", OrderStatus.ACCEPTED),
        order("ours-1", OrderStatus.FILLED, (leg,)),
    ]
    local = {
        "ours-1": LocalOrder("ours-1", OrderStatus.ACCEPTED, Decimal(0)),
        "ours-gone": LocalOrder("ours-gone", OrderStatus.NEW, Decimal(0)),
    }
    plan = plan_orders(broker_open, local, known={"ours-1", "ours-gone"})
    assert [o.client_order_id for o in plan.to_import] == ["ext-1"]
    assert [o.client_order_id for o in plan.to_refresh] == ["ours-1"]
    assert plan.to_look_up == ("ours-gone",)
