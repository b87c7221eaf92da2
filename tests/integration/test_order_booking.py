"""Booking through the order aggregate on the unit-of-work port, over memory, SQLite and
PostgreSQL: a fill reported after a cancel is booked (not left as drift), and a fill beyond
the order is refused whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import pytest
from tests.conftest import T0
from tests.fakes.uow_backends import BACKENDS, Backend, open_backend

from swingdesk.adapters.clock import ManualClock
from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.domain.enums import Intent, OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import IllegalTransitionError
from swingdesk.domain.events import FillEvent, OrderRequest, OrderResponseStatus
from swingdesk.execution.booking import Booker
from swingdesk.ports import BrokerOrder
from swingdesk.unit_of_work import ExecutionBooks

COID = "sd-o-late"


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with open_backend(request.param, request) as opened:
        yield opened


async def _stored_order(store: ExecutionBooks, status: OrderStatus) -> None:
    decision_id = uuid4()
    async with store.tx() as tx:
        await tx.add_decision(decision_id, "AAPL", "test", T0)
        await tx.add_order(
            OrderRequest(
                decision_id=decision_id,
                ts_event=T0,
                client_order_id=COID,
                ticker="AAPL",
                side=OrderSide.BUY,
                intent=Intent.BUY_TO_OPEN,
                qty=Decimal(10),
                reference_price=Decimal(100),
                risk_event_id=uuid4(),
            )
        )
        await tx.apply_order_status(
            OrderResponseStatus(
                decision_id=decision_id,
                ts_event=T0,
                client_order_id=COID,
                broker_order_id="b-1",
                status=status,
            )
        )


def _report(status: OrderStatus, filled: int, price: str | None) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id="b-1",
        client_order_id=COID,
        ticker="AAPL",
        side=OrderSide.BUY,
        qty=Decimal(10),
        type=OrderType.MARKET,
        time_in_force=TimeInForce.DAY,
        status=status,
        filled_qty=Decimal(filled),
        filled_avg_price=None if price is None else Decimal(price),
        submitted_at=T0,
    )


async def test_book_when_a_fill_is_reported_after_the_cancel_then_it_is_booked(
    backend: Backend,
) -> None:
    store = backend.store
    await _stored_order(store, OrderStatus.CANCELED)
    booker = Booker(store, InMemoryEventBus(), ManualClock(T0), lambda _: "Tech")

    events = await booker.book(_report(OrderStatus.FILLED, 10, "101.5"))
    again = await booker.book(_report(OrderStatus.FILLED, 10, "101.5"))

    assert [type(e) for e in events] == [OrderResponseStatus, FillEvent]
    assert again == []  # the same report books nothing twice
    order = await store.order(COID)
    position = {p.ticker: p for p in await store.positions()}.get("AAPL")
    assert order is not None
    assert position is not None
    assert (order.status, order.filled_qty, order.filled_avg_price) == (
        "filled",
        Decimal(10),
        Decimal("101.5"),
    )
    assert (position.qty, position.avg_price) == (Decimal(10), Decimal("101.5"))


async def test_book_when_the_broker_reports_more_than_the_order_then_nothing_is_booked(
    backend: Backend,
) -> None:
    store = backend.store
    await _stored_order(store, OrderStatus.ACCEPTED)
    booker = Booker(store, InMemoryEventBus(), ManualClock(T0), lambda _: "Tech")
    report = _report(OrderStatus.FILLED, 10, "100")
    # qty 0: the report does not resize the order (as a notional report would not).
    overfilled = replace(report, qty=Decimal(0), filled_qty=Decimal(12))

    with pytest.raises(IllegalTransitionError, match="exceed"):
        await booker.book(overfilled)

    order = await store.order(COID)
    fills = await backend.fill_ids()
    assert order is not None
    assert (order.status, order.filled_qty) == ("accepted", Decimal(0))
    assert fills == []


def _leg(status: OrderStatus, filled: int, price: str | None) -> BrokerOrder:
    return replace(
        _report(status, filled, price),
        broker_order_id="b-2",
        client_order_id="leg-1",
        side=OrderSide.SELL,
        type=OrderType.STOP,
        time_in_force=TimeInForce.GTC,
        stop_price=Decimal(95),
    )


async def test_book_when_our_leg_was_imported_as_external_then_reclaimed_and_its_fill_booked(
    backend: Backend,
) -> None:
    store = backend.store
    await _stored_order(store, OrderStatus.ACCEPTED)
    booker = Booker(store, InMemoryEventBus(), ManualClock(T0), lambda _: "Tech")
    await booker.import_external(_leg(OrderStatus.HELD, 0, None))  # listed on its own first
    entry = await store.order(COID)
    assert entry is not None

    filled = replace(
        _report(OrderStatus.FILLED, 10, "100"), legs=(_leg(OrderStatus.HELD, 0, None),)
    )
    await booker.book(filled)
    leg = await store.order("leg-1")
    assert leg is not None
    assert (leg.external, leg.decision_id, leg.parent_client_order_id, leg.status) == (
        False,
        entry.decision_id,
        COID,
        "held",
    )
    assert [(p.ticker, p.qty) for p in await store.positions()] == [("AAPL", Decimal(10))]

    stopped = replace(filled, legs=(_leg(OrderStatus.FILLED, 10, "95"),))
    await booker.book(stopped)
    leg = await store.order("leg-1")
    assert leg is not None
    assert (leg.status, leg.filled_qty, leg.filled_avg_price) == (
        "filled",
        Decimal(10),
        Decimal(95),
    )
    assert await store.positions() == []
    assert len(await backend.fill_ids()) == 2
