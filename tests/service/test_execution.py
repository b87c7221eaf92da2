"""ExecutionAgent with the simulated broker: stale approvals, protective stops, closes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.fakes.alpaca_desk import approve
from tests.service.conftest import DeskFactory
from tests.service.harness import Harness

from swingdesk.domain.enums import Intent, OrderStatus, OrderType
from swingdesk.execution.agent import NotReconciledError


@pytest.fixture
async def desk(make_desk: DeskFactory) -> Harness:
    """A desk on each backend; the simulated broker's books beside ours (in memory on the
    memory backend, in the same database on SQLite and PostgreSQL)."""
    return await make_desk()


async def orders(desk: Harness) -> list[Any]:
    return await desk.books.orders()


async def test_execute_when_approval_is_older_than_limit_then_stale_signal_and_no_order(
    desk: Harness,
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now())
    desk.clock.advance(301)
    report = await desk.execution.execute(a, sector=None)
    assert (report.status, report.error_code) == (OrderStatus.REJECTED, "STALE_SIGNAL")
    [row] = await orders(desk)
    assert (row.status, row.error_code) == ("rejected", "STALE_SIGNAL")
    assert await desk.broker.list_orders(open_only=False) == []
    kinds = [a.kind for a in await desk.books.journal()]
    assert "order.rejected" in kinds


async def test_execute_when_not_reconciled_yet_then_refused_before_anything_is_stored(
    desk: Harness,
) -> None:
    desk.execution.ready = False
    a = await approve(desk.store, "AAPL", desk.clock.now())
    with pytest.raises(NotReconciledError):
        await desk.execution.execute(a, sector=None)
    assert await orders(desk) == []


async def test_execute_when_entry_fills_then_stop_leg_is_held_at_the_approved_stop(
    desk: Harness,
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10, stop=Decimal("95.00"))
    report = await desk.execution.execute(a, sector="Information Technology")
    assert report.status is OrderStatus.FILLED
    entry, stop = await orders(desk)
    assert (entry.type, entry.status) == (OrderType.MARKET.value, "filled")
    assert (stop.type, stop.side, stop.status, stop.stop_price, stop.qty) == (
        "stop",
        "sell",
        "held",
        Decimal("95.00"),
        Decimal(10),
    )
    assert stop.decision_id == str(a.decision_id)
    [position] = await desk.store.positions()
    assert position.stop_price == Decimal("95.00")


async def test_process_stops_when_price_crosses_then_leg_fills_and_sync_closes_our_position(
    desk: Harness,
) -> None:
    from swingdesk.execution.sync import SyncWorker

    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10, stop=Decimal(95))
    await desk.execution.execute(a, sector=None)
    desk.market.overrides["AAPL"] = {"price": Decimal(96)}
    assert await desk.broker.process_stops(desk.clock.now()) == []
    desk.market.overrides["AAPL"] = {"price": Decimal(94)}
    [filled] = await desk.broker.process_stops(desk.clock.now())
    assert (filled.status, filled.filled_avg_price) == (OrderStatus.FILLED, Decimal(94))
    sync = SyncWorker(desk.broker, desk.store, desk.bus, desk.clock, desk.control, desk.execution)
    report = await sync.run_once()
    assert report.corrections == 0  # booked as a fill, not patched as drift
    assert await desk.store.positions() == []
    _, stop = await orders(desk)
    assert (stop.status, stop.filled_qty) == ("filled", Decimal(10))
    assert (await desk.broker.get_account()).cash == Decimal(100_000) - 1000 + 940


@pytest.mark.parametrize(
    ("bar", "fill"),
    [((Decimal(97), Decimal(94)), Decimal(95)), ((Decimal(90), Decimal(88)), Decimal(90))],
    ids=["low-crosses-fills-at-stop", "gap-down-fills-at-open"],
)
async def test_process_stops_when_backtest_bar_given_then_low_triggers_and_gap_fills_at_open(
    desk: Harness, bar: tuple[Decimal, Decimal], fill: Decimal
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10, stop=Decimal(95))
    await desk.execution.execute(a, sector=None)
    assert (
        await desk.broker.process_stops(desk.clock.now(), {"AAPL": (Decimal(99), Decimal(96))})
        == []
    )
    [filled] = await desk.broker.process_stops(desk.clock.now(), {"AAPL": bar})
    assert filled.filled_avg_price == fill


async def test_close_when_position_has_a_working_stop_then_stop_is_canceled_first(
    desk: Harness,
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10, stop=Decimal(95))
    await desk.execution.execute(a, sector=None)
    desk.clock.advance(60)
    close = await approve(desk.store, "AAPL", desk.clock.now(), qty=10, intent=Intent.SELL_TO_CLOSE)
    report = await desk.execution.execute(close, sector=None)
    assert report.status is OrderStatus.FILLED
    rows = {r.type + r.side: r.status for r in await orders(desk)}
    assert rows == {"marketbuy": "filled", "marketsell": "filled", "stopsell": "canceled"}
    assert await desk.store.positions() == []
    assert await desk.broker.get_positions() == []


async def test_sell_when_stop_still_working_then_broker_refuses_the_shares_it_reserves(
    desk: Harness,
) -> None:
    from swingdesk.domain.errors import RejectedError

    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10, stop=Decimal(95))
    report = await desk.execution.execute(a, sector=None)
    sell = report.request.model_copy(
        update={"client_order_id": "sd-c-raw", "side": "sell", "intent": Intent.SELL_TO_CLOSE}
    )
    with pytest.raises(RejectedError, match="insufficient qty"):
        await desk.broker.submit_order(sell)


async def test_execute_when_buying_power_is_short_then_rejected_once_without_retry(
    desk: Harness,
) -> None:
    calls = []
    real = desk.broker.submit_order

    async def counting(request):  # type: ignore[no-untyped-def]
        calls.append(request.client_order_id)
        return await real(request)

    desk.broker.submit_order = counting  # type: ignore[method-assign]
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=5_000)
    report = await desk.execution.execute(a, sector=None)
    assert (report.status, report.error_code) == (OrderStatus.REJECTED, "INSUFFICIENT_BUYING_POWER")
    assert len(calls) == 1
    [row] = await orders(desk)
    assert row.error_code == "INSUFFICIENT_BUYING_POWER"


async def test_execute_when_stored_order_never_sent_and_now_stale_then_rejected_not_sent(
    desk: Harness,
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now())
    desk.execution.ready = True
    from swingdesk.execution.agent import order_request_for

    coid = f"sd-o-{a.decision_id.hex}"
    async with desk.store.tx() as tx:  # stored, then the process died before the broker call
        await tx.add_order(order_request_for(a, coid, desk.clock.now()))
    desk.clock.advance(timedelta(minutes=10).total_seconds())
    report = await desk.execution.execute(a, sector=None)
    assert (report.status, report.error_code) == (OrderStatus.REJECTED, "STALE_SIGNAL")
    assert await desk.broker.list_orders(open_only=False) == []
