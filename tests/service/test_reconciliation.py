"""SyncWorker with the simulated broker: drift halts or is corrected, unknown orders imported."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from tests.fakes.alpaca_desk import approve
from tests.service.books import JournalEntry
from tests.service.conftest import DeskFactory
from tests.service.harness import Harness

from swingdesk.domain.enums import OrderSide, OrderStatus, TradingState
from swingdesk.domain.errors import ConflictError
from swingdesk.execution.sync import SyncWorker
from swingdesk.unit_of_work.sim_ledger import SimOrder, SimPosition


@pytest.fixture
async def desk(make_desk: DeskFactory) -> Harness:
    return await make_desk()


def worker(desk: Harness) -> SyncWorker:
    return SyncWorker(desk.broker, desk.store, desk.bus, desk.clock, desk.control, desk.execution)


async def set_broker_qty(desk: Harness, ticker: str, qty: Decimal) -> None:
    """Change the broker's position behind our back."""
    async with desk.ledger.tx() as tx:
        held = await tx.position(ticker)
        avg = Decimal(100) if held is None else held.avg_entry_price
        await tx.put_position(SimPosition(ticker, qty, avg))


async def audits(desk: Harness, kind: str) -> list[JournalEntry]:
    return [a for a in await desk.books.journal(limit=200) if a.kind == kind]


async def test_sync_when_drift_above_5pct_of_equity_then_halted_with_drift_per_ticker(
    desk: Harness,
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10)
    await desk.execution.execute(a, sector=None)
    await set_broker_qty(desk, "AAPL", Decimal(70))  # +60 shares x 100 = 6,000 of ~100,000
    report = await worker(desk).run_once()
    assert report.halted
    assert await desk.control.state() is TradingState.HALTED
    [drift] = await audits(desk, "reconcile.drift")
    payload = drift.payload
    assert payload["tickers"][0]["ticker"] == "AAPL"
    assert Decimal(payload["tickers"][0]["drift_notional"]) == Decimal(6000)
    assert Decimal(payload["drift_pct"]) > Decimal("0.05")
    assert [(p.ticker, p.qty) for p in await desk.store.positions()] == [("AAPL", Decimal(10))]
    # Still drifting on the next pass: no second halt, no correction.
    assert (await worker(desk).run_once()).halted
    assert len(await audits(desk, "trading_state.changed")) == 1
    # The operator adopts the broker's books, then resumes explicitly.
    await worker(desk).run_once(accept_drift=True, actor="cli")
    assert [(p.ticker, p.qty) for p in await desk.store.positions()] == [("AAPL", Decimal(70))]
    await desk.control.resume("drift investigated", actor="cli")
    assert not (await worker(desk).run_once()).halted


async def test_sync_when_drift_below_5pct_then_our_books_are_overwritten_and_audited(
    desk: Harness,
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10)
    await desk.execution.execute(a, sector=None)
    await set_broker_qty(desk, "AAPL", Decimal(12))
    await set_broker_qty(desk, "XOM", Decimal(3))
    report = await worker(desk).run_once()
    assert not report.halted
    assert report.corrections == 2
    ours = {p.ticker: p.qty for p in await desk.store.positions()}
    assert ours == {"AAPL": Decimal(12), "XOM": Decimal(3)}
    corrected = await audits(desk, "reconcile.position_corrected")
    assert {c.payload["ticker"] for c in corrected} == {"AAPL", "XOM"}
    assert await desk.control.state() is TradingState.ACTIVE
    assert (await worker(desk).run_once()).corrections == 0
    assert await desk.books.journal_intact()


async def test_sync_when_broker_has_an_order_we_do_not_know_then_imported_as_external(
    desk: Harness,
) -> None:
    now = datetime(2026, 11, 24, 15, tzinfo=UTC)
    async with desk.ledger.tx() as tx:
        await tx.add_order(
            SimOrder(
                broker_order_id=str(uuid4()),
                client_order_id="placed-in-the-web-ui",
                parent_id=None,
                ticker="MSFT",
                side=OrderSide.BUY.value,
                qty=Decimal(2),
                type="market",
                time_in_force="day",
                stop_price=None,
                status=OrderStatus.ACCEPTED.value,
                filled_qty=Decimal(0),
                filled_avg_price=None,
                submitted_at=now,
                updated_at=now,
            )
        )
    report = await worker(desk).run_once()
    assert report.imported == ["placed-in-the-web-ui"]
    row = await desk.store.order("placed-in-the-web-ui")
    assert row is not None
    assert (row.external, row.decision_id, row.status) == (True, None, "accepted")
    assert (await worker(desk).run_once()).imported == []


async def test_sync_when_fill_was_never_booked_then_booked_as_fill_without_correction(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=10)

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("process died before booking")

    monkeypatch.setattr(desk.execution.booker, "book", crash)
    with pytest.raises(RuntimeError):
        await desk.execution.execute(a, sector=None)
    monkeypatch.undo()
    assert await desk.store.positions() == []
    report = await worker(desk).run_once()
    assert report.corrections == 0
    assert report.refreshed + report.looked_up == 1  # listed open for its held stop leg
    assert [(p.ticker, p.qty) for p in await desk.store.positions()] == [("AAPL", Decimal(10))]
    assert await desk.books.count("fills") == 1
    assert len(await desk.broker.list_orders(open_only=False)) == 1


async def test_startup_when_broker_unreachable_then_trading_stays_blocked(desk: Harness) -> None:
    from swingdesk.domain.errors import TemporaryError
    from swingdesk.execution.retry import FAST_RETRY

    async def down() -> None:
        raise TemporaryError("broker down")

    desk.execution.retry = FAST_RETRY
    desk.broker.list_orders = down  # type: ignore[method-assign,assignment]
    assert await worker(desk).startup() is None
    assert desk.execution.ready is False
    with pytest.raises(ConflictError):
        await desk.control.resume("nothing to resume", actor="test")
