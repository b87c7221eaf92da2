"""Reconciliation while the broker moves: fills that land between two reads of one pass,
sells that find a position already corrected, stops that no longer fit the books.

Issue 17 A, F and J on the simulated broker (the fake Alpaca has its own file). The broker's
books are read at two moments in a pass; an exchange fills orders at any instant, so a stop
or an entry may fill in between. Before the fix the pass deleted the stopped position as
drift and every later pass failed booking the stop's sale ("sell fill of N exceeds the 0
shares held"); an entry filling in between halted the desk on false drift.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import pytest
from tests.fakes.alpaca_desk import approval, approve
from tests.service.conftest import DeskFactory
from tests.service.harness import Harness

from swingdesk.domain.enums import OrderStatus, TradingState
from swingdesk.domain.ids import client_order_id_for
from swingdesk.execution.agent import order_request_for
from swingdesk.execution.control import TradingControl
from swingdesk.execution.sync import SyncWorker
from swingdesk.ports import BrokerPosition
from swingdesk.store.store import Store
from swingdesk.unit_of_work.sim_ledger import SimPosition


@pytest.fixture
async def desk(make_desk: DeskFactory) -> Harness:
    return await make_desk()


class BetweenReads:
    """The simulated broker, with something happening just before positions are read."""

    def __init__(self, desk: Harness) -> None:
        self.inner = desk.broker
        self.name = "racing"
        self.hooks: list[Callable[[], Awaitable[None]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def get_positions(self) -> list[BrokerPosition]:
        """Run the next hook (the exchange moving), then read positions."""
        if self.hooks:
            await self.hooks.pop(0)()
        return await self.inner.get_positions()


def worker(desk: Harness, broker: Any) -> SyncWorker:
    return SyncWorker(broker, desk.store, desk.bus, desk.clock, desk.control, desk.execution)


async def books(desk: Harness) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    ours = {p.ticker: p.qty for p in await desk.store.positions()}
    theirs = {p.ticker: p.qty for p in await desk.broker.get_positions()}
    return ours, theirs


async def audit_kinds(desk: Harness) -> list[str]:
    return [a.kind for a in await desk.books.journal(limit=500)]


async def other_process_buys(desk: Harness, ticker: str, qty: int) -> None:
    """Another process of ours stores an entry and the broker fills it (as `trigger` would)."""
    a = approval(ticker, desk.clock.now(), qty=qty)
    request = order_request_for(a, client_order_id_for(a.decision_id, a.intent), a.ts_event)
    async with desk.store.tx() as tx:
        await tx.add_decision(a.decision_id, ticker, "cli", a.ts_event)
        await tx.add_order(request)
    await desk.broker.submit_order(request)


async def test_sync_when_a_stop_and_an_entry_fill_between_the_two_reads_then_no_halt_no_wedge(
    desk: Harness,
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10, stop=Decimal(95))
    await desk.execution.execute(a, sector=None)
    racing = BetweenReads(desk)

    async def exchange_moves() -> None:
        desk.market.overrides["AAPL"] = {"price": Decimal(94)}
        [stopped] = await desk.broker.process_stops(desk.clock.now())
        assert stopped.status is OrderStatus.FILLED
        await other_process_buys(desk, "MSFT", 100)  # 10% of equity: above the drift limit

    racing.hooks.append(exchange_moves)
    report = await worker(desk, racing).run_once()

    assert not report.halted
    assert report.unsettled == {}
    assert await desk.control.state() is TradingState.ACTIVE
    ours, theirs = await books(desk)
    assert ours == theirs == {"MSFT": Decimal(100)}
    # The sale was booked as the stop's fill, not patched as drift.
    kinds = await audit_kinds(desk)
    assert "reconcile.position_corrected" not in kinds
    assert "reconcile.drift" not in kinds
    for _ in range(2):  # and nothing is left that could wedge a later pass
        again = await worker(desk, desk.broker).run_once()
        assert (again.halted, again.unsettled, again.corrections) == (False, {}, 0)
    assert await desk.books.journal_intact()


async def test_sync_when_a_correction_already_removed_the_shares_then_the_stops_sale_books_cleanly(
    desk: Harness,
) -> None:
    """Books written by the old reconciler (position deleted as drift, stop fill unbooked)
    must heal: the sale is recorded in full, the position stays at zero, no pass fails."""
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10, stop=Decimal(95))
    await desk.execution.execute(a, sector=None)
    desk.market.overrides["AAPL"] = {"price": Decimal(94)}
    await desk.broker.process_stops(desk.clock.now())
    async with desk.store.tx() as tx:
        await tx.delete_position("AAPL")  # what the old pass did
    for accept_drift in (False, True):
        report = await worker(desk, desk.broker).run_once(accept_drift=accept_drift)
        assert (report.halted, report.unsettled) == (False, {})
    ours, theirs = await books(desk)
    assert ours == theirs == {}
    assert await desk.books.fill_qtys("sell") == [Decimal(10)]
    assert "order.fill_beyond_position" in await audit_kinds(desk)
    assert await desk.books.journal_intact()


async def test_sync_when_an_order_cannot_be_settled_then_halted_with_reason_and_lifted_once_it_can(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10, stop=Decimal(95))
    await desk.execution.execute(a, sector=None)
    await desk.control.change(TradingState.REDUCING, reason="drawdown", actor="risk")
    desk.market.overrides["AAPL"] = {"price": Decimal(94)}
    await desk.broker.process_stops(desk.clock.now())
    real_book = desk.execution.booker.book

    async def broken(*args: object, **kwargs: object) -> Any:
        raise RuntimeError("the broker's report cannot be stored")

    monkeypatch.setattr(desk.execution.booker, "book", broken)
    report = await worker(desk, desk.broker).run_once()
    assert list(report.unsettled)
    assert "AAPL" in report.deferred
    assert await desk.control.state() is TradingState.HALTED
    last = await desk.store.last_state_change()
    assert last is not None
    assert last.cause == "RECONCILE_UNSETTLED"
    assert "cannot settle" in last.reason
    assert "cannot be stored" in last.reason
    assert desk.execution.ready  # the pass itself completed: nothing is wedged

    monkeypatch.setattr(desk.execution.booker, "book", real_book)
    report = await worker(desk, desk.broker).run_once()
    assert report.unsettled == {}
    # The halt the reconciler made is lifted by it, back to what it interrupted.
    assert await desk.control.state() is TradingState.REDUCING
    ours, theirs = await books(desk)
    assert ours == theirs == {}


async def test_sync_when_drift_is_corrected_then_stops_are_resized_or_canceled(
    desk: Harness,
) -> None:
    """J: a correction that shrinks or removes a position resizes or cancels its stops."""
    for ticker in ("AAPL", "MSFT"):
        a = await approve(desk.store, ticker, desk.clock.now(), qty=10, stop=Decimal(95))
        await desk.execution.execute(a, sector=None)
    async with desk.ledger.tx() as tx:  # the broker's books change behind our back
        aapl = await tx.position("AAPL")
        msft = await tx.position("MSFT")
        assert aapl is not None
        assert msft is not None
        await tx.put_position(SimPosition("AAPL", Decimal(4), aapl.avg_entry_price))
        await tx.delete_position("MSFT")
    report = await worker(desk, desk.broker).run_once()
    assert (report.corrections, report.halted) == (2, False)
    stops = {
        o.ticker: (o.qty - o.filled_qty, o.stop_price)
        for o in await desk.broker.list_orders()
        for o in (o, *o.legs)
        if o.type.value == "stop" and not o.status.is_terminal
    }
    assert stops == {"AAPL": (Decimal(4), Decimal(95))}
    kinds = await audit_kinds(desk)
    assert "protection.replaced" in kinds
    assert "protection.canceled" in kinds
    assert (await worker(desk, desk.broker).run_once()).protection == {}


@asynccontextmanager
async def two_controls(
    desk: Harness, backend_kind: str, request: pytest.FixtureRequest, mp: pytest.MonkeyPatch
) -> AsyncIterator[list[TradingControl]]:
    """Yield two trading controls over one book whose units read the state slowly (both would
    read ACTIVE before either writes): on SQL the second is another process's store on the
    same database; in memory, where the books live in one process, a second control on them."""
    unit_type = desk.books.unit_type
    original = unit_type.trading_state

    async def slow_read(self: Any) -> TradingState:
        state: TradingState = await original(self)
        await asyncio.sleep(0.05)
        return state

    mp.setattr(unit_type, "trading_state", slow_read)
    if backend_kind == "memory":
        yield [desk.control, TradingControl(desk.store, desk.bus, desk.clock)]
        return
    url = request.getfixturevalue("sqlite_url" if backend_kind == "sqlite" else "pg_url")
    other = Store.from_url(url)
    try:
        yield [desk.control, TradingControl(other, desk.bus, desk.clock)]
    finally:
        await other.close()


async def test_state_change_when_two_move_from_active_at_once_then_the_second_sees_the_first(
    desk: Harness,
    backend_kind: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """F: the change is a compare-and-set; two concurrent ones never both start from ACTIVE."""
    async with two_controls(desk, backend_kind, request, monkeypatch) as controls:
        results = await asyncio.gather(
            *(
                c.change(
                    TradingState.REDUCING,
                    reason=f"r{i}",
                    actor="risk",
                    expected=TradingState.ACTIVE,
                )
                for i, c in enumerate(controls)
            ),
            return_exceptions=True,
        )
    changes = [r for r in results if r is not None]
    assert len(changes) == 1, results
    rows = await desk.books.state_changes()
    assert [(r.previous, r.current) for r in rows] == [("ACTIVE", "REDUCING")]


async def test_halt_when_two_operators_halt_at_once_then_one_change_and_one_conflict(
    desk: Harness,
    backend_kind: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from swingdesk.domain.errors import ConflictError

    async with two_controls(desk, backend_kind, request, monkeypatch) as (first, second):
        results = await asyncio.gather(
            first.halt("one", actor="a"), second.halt("two", actor="b"),
            return_exceptions=True,
        )  # fmt: skip
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "TradingStateChanged"]
    assert any(isinstance(r, ConflictError) for r in results)
    rows = await desk.books.state_changes()
    assert [(r.previous, r.current) for r in rows] == [("ACTIVE", "HALTED")]
