"""Every held share protected, always, and reconciliation that no broker state can wedge:
AlpacaPaperBroker + ExecutionAgent + SyncWorker against the fake Alpaca, on SQLite and
PostgreSQL (issue 17 A, G, H, I, K).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from tests.fakes.alpaca_desk import AlpacaDesk, approve, build_alpaca_desk
from tests.fakes.fake_alpaca import OPEN, FakeAlpaca, FakeOrder

from swingdesk.adapters.clock import SystemClock
from swingdesk.domain.enums import Intent, OrderStatus, TradingState
from swingdesk.domain.errors import RejectedError
from swingdesk.domain.events import OrderRequest, RiskApproved
from swingdesk.execution.sync import SyncWorker
from swingdesk.ports import BrokerPosition
from swingdesk.store import tables as t


@pytest.fixture
def fake() -> Iterator[FakeAlpaca]:
    with FakeAlpaca(cash=Decimal(1_000_000)) as server:
        yield server


@pytest.fixture
async def desk(db_url: str, fake: FakeAlpaca) -> AsyncIterator[AlpacaDesk]:
    d = await build_alpaca_desk(db_url, fake.url, SystemClock())
    assert await d.sync.startup() is not None
    yield d
    await d.close()


async def entry(desk: AlpacaDesk, ticker: str, qty: int, stop: str = "90") -> RiskApproved:
    return await approve(desk.store, ticker, SystemClock().now(), qty=qty, stop=Decimal(stop))


async def close(desk: AlpacaDesk, ticker: str, qty: int) -> RiskApproved:
    now = SystemClock().now()
    return await approve(desk.store, ticker, now, qty=qty, intent=Intent.SELL_TO_CLOSE)


def coid(a: RiskApproved) -> str:
    prefix = "sd-o" if a.intent is Intent.BUY_TO_OPEN else "sd-c"
    return f"{prefix}-{a.decision_id.hex}"


def working_stops(fake: FakeAlpaca, ticker: str) -> list[FakeOrder]:
    with fake.lock:
        return [
            o
            for o in fake.orders.values()
            if o.symbol == ticker and o.type == "stop" and o.status in OPEN
        ]


def stop_cover(fake: FakeAlpaca, ticker: str) -> Decimal:
    return sum((o.qty - o.filled_qty for o in working_stops(fake, ticker)), Decimal(0))


async def kinds(desk: AlpacaDesk) -> list[str]:
    async with desk.store.read() as s:
        return list((await s.scalars(select(t.AuditRow.kind))).all())


async def assert_books_equal(desk: AlpacaDesk, fake: FakeAlpaca) -> None:
    ours = {p.ticker: p.qty for p in await desk.store.positions()}
    assert ours == {s: q for s, (q, _) in fake.positions.items()}
    assert (await desk.store.verify_audit()).ok


class BetweenReads:
    """The adapter, with the exchange moving just before positions are read."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = "racing"
        self.hooks: list[Callable[[], Awaitable[None] | None]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def get_positions(self) -> list[BrokerPosition]:
        """Let the next hook move the exchange, then read positions."""
        if self.hooks:
            result = self.hooks.pop(0)()
            if result is not None:
                await result
        positions: list[BrokerPosition] = await self.inner.get_positions()
        return positions


async def test_sync_when_a_stop_and_an_entry_fill_between_the_two_reads_then_no_halt_no_wedge(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    held = await entry(desk, "AAPL", 10)
    await desk.agent.execute(held, sector=None)
    fake.auto_fill = False  # the next entry waits for the open
    waiting = await entry(desk, "MSFT", 1000)  # 100,000 of 1,000,000: 10%
    assert (await desk.agent.execute(waiting, sector=None)).status is OrderStatus.ACCEPTED
    racing = BetweenReads(desk.broker)

    def the_open() -> None:
        fake.set_price("AAPL", Decimal(89))  # the stop fills
        fake.fill_all()  # and the entry fills at the open

    racing.hooks.append(the_open)
    sync = SyncWorker(racing, desk.store, None, SystemClock(), desk.control, desk.agent)  # type: ignore[arg-type]
    report = await sync.run_once()

    assert not report.halted
    assert report.unsettled == {}
    assert await desk.control.state() is TradingState.ACTIVE
    await assert_books_equal(desk, fake)
    assert "reconcile.position_corrected" not in await kinds(desk)
    for _ in range(2):
        again = await desk.sync.run_once()
        assert (again.halted, again.unsettled, again.corrections) == (False, {}, 0)
    await assert_books_equal(desk, fake)
    assert stop_cover(fake, "MSFT") == Decimal(1000)


async def test_entry_when_sent_then_good_till_canceled_and_its_stop_survives_the_close(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    """G: a day entry's OTO leg expires at the close; ours are GTC, legs included."""
    a = await entry(desk, "AAPL", 10)
    await desk.agent.execute(a, sector=None)
    order = fake.order(coid(a))
    assert order.time_in_force == "gtc"
    assert [leg.time_in_force for leg in order.legs] == ["gtc"]
    assert fake.close_session() == []
    assert stop_cover(fake, "AAPL") == Decimal(10)


async def test_sync_when_a_day_stop_expired_at_the_close_then_it_is_replaced(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    """G/H: a stop that expires (an order placed before entries were GTC) is replaced."""
    a = await entry(desk, "AAPL", 10)
    await desk.agent.execute(a, sector=None)
    [leg] = fake.order(coid(a)).legs
    leg.time_in_force = "day"
    assert fake.close_session() == [leg.client_order_id]
    await desk.sync.run_once()
    [stop] = working_stops(fake, "AAPL")
    assert (stop.qty, stop.stop_price, stop.time_in_force) == (Decimal(10), Decimal(90), "gtc")
    assert "protection.placed" in await kinds(desk)
    await assert_books_equal(desk, fake)


async def test_sync_when_the_broker_cancels_a_stop_then_it_is_replaced(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    a = await entry(desk, "AAPL", 10)
    await desk.agent.execute(a, sector=None)
    [leg] = fake.order(coid(a)).legs
    fake.cancel_by_broker(leg.client_order_id)
    assert stop_cover(fake, "AAPL") == 0
    await desk.sync.run_once()
    assert stop_cover(fake, "AAPL") == Decimal(10)
    assert (await desk.sync.run_once()).protection == {}  # stable: nothing more to do


async def test_close_when_refused_after_its_stops_were_canceled_then_the_stop_is_restored(
    desk: AlpacaDesk, fake: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    """H: a close refused after its stops were canceled must not leave the shares bare."""
    a = await entry(desk, "AAPL", 10)
    await desk.agent.execute(a, sector=None)
    submit = desk.broker.submit_order

    async def refuse_closes(request: OrderRequest) -> Any:
        if request.intent is Intent.SELL_TO_CLOSE and request.type.value == "market":
            raise RejectedError("Alpaca 403: trading on this symbol is halted")
        return await submit(request)

    monkeypatch.setattr(desk.broker, "submit_order", refuse_closes)
    c = await close(desk, "AAPL", 10)
    report = await desk.agent.execute(c, sector=None)
    assert report.status is OrderStatus.REJECTED
    [stop] = working_stops(fake, "AAPL")  # restored at once, not at the next pass
    assert (stop.qty, stop.stop_price) == (Decimal(10), Decimal(90))
    assert "protection.placed" in await kinds(desk)


async def test_protection_when_the_broker_refuses_the_new_stop_then_retried_next_pass(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    a = await entry(desk, "AAPL", 10)
    await desk.agent.execute(a, sector=None)
    [leg] = fake.order(coid(a)).legs
    fake.cancel_by_broker(leg.client_order_id)
    fake.reject_stops = True
    report = await desk.sync.run_once()
    assert not report.halted
    assert stop_cover(fake, "AAPL") == 0
    assert "protection.failed" in await kinds(desk)
    fake.reject_stops = False
    await desk.sync.run_once()
    assert stop_cover(fake, "AAPL") == Decimal(10)


async def test_restart_when_our_leg_is_listed_on_its_own_then_it_stays_ours_and_its_fill_is_booked(
    db_url: str, fake: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    """I: a crash between acceptance and booking, with the leg listed apart from its entry:
    the leg is recognised by its parent's client order id, never imported as external."""
    fake.legs_top_level = True
    first = await build_alpaca_desk(db_url, fake.url, SystemClock())
    a = await entry(first, "AAPL", 10)

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("process died before booking")

    monkeypatch.setattr(first.agent.booker, "book", crash)
    with pytest.raises(RuntimeError):
        await first.agent.execute(a, sector=None)
    await first.close()

    restarted = await build_alpaca_desk(db_url, fake.url, SystemClock(), migrate_db=False)
    try:
        report = await restarted.sync.run_once()
        assert report.imported == []
        [leg] = fake.order(coid(a)).legs
        row = await restarted.store.order(leg.client_order_id)
        assert row is not None
        assert (row.external, row.parent_client_order_id) == (False, coid(a))
        fake.set_price("AAPL", Decimal(89))
        report = await restarted.sync.run_once()
        assert report.corrections == 0
        async with restarted.store.read() as s:
            leg_fills = (
                await s.scalars(
                    select(t.FillRow).where(t.FillRow.client_order_id == leg.client_order_id)
                )
            ).all()
        assert [f.qty for f in leg_fills] == [Decimal(10)]
        await assert_books_equal(restarted, fake)
        assert await restarted.control.state() is TradingState.ACTIVE
    finally:
        await restarted.close()


def foreign(fake: FakeAlpaca, **fields: Any) -> FakeOrder:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "client_order_id": str(uuid.uuid4()),
        "symbol": "AAPL",
        "side": "buy",
        "qty": Decimal(1),
        "type": "limit",
        "time_in_force": "day",
        "status": "new",
        "created_at": now,
    }
    values.update(fields)
    order = FakeOrder(**values)
    with fake.lock:
        fake.orders[order.id] = order
        fake.by_client_id[order.client_order_id] = order
    return order


async def test_sync_when_the_broker_holds_foreign_order_shapes_then_imported_and_nothing_wedges(
    desk: AlpacaDesk, fake: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K: an order by notional (no qty), a 128-character client order id, an options symbol,
    and one alpaca-py's model refuses: none can stop a pass or keep start-up unready."""
    notional = foreign(fake, qty=Decimal(0))
    long_id = foreign(fake, client_order_id="x" * 128)
    option = foreign(fake, symbol="AAPL260116C00150000", side="sell", type="stop_limit")
    odd = foreign(fake, time_in_force="gtd")  # not a value alpaca-py knows
    body = FakeOrder.body

    def shaped(self: FakeOrder) -> dict[str, Any]:
        out = body(self)
        if self is notional:
            out["qty"], out["notional"] = None, "250.5"
        return out

    monkeypatch.setattr(FakeOrder, "body", shaped)
    report = await desk.sync.run_once()
    assert set(report.imported) == {
        notional.client_order_id,
        long_id.client_order_id,
        option.client_order_id,
        odd.client_order_id,
    }
    row = await desk.store.order(notional.client_order_id)
    assert row is not None
    assert (row.external, row.qty, row.notional) == (True, Decimal(0), Decimal("250.5"))
    assert await desk.store.order("x" * 128) is not None
    assert (await desk.sync.run_once()).imported == []
    restarted = await build_alpaca_desk(
        str(desk.store.engine.url.render_as_string(hide_password=False)),
        fake.url,
        SystemClock(),
        migrate_db=False,
    )
    try:
        assert await restarted.sync.startup() is not None
        assert restarted.agent.ready
    finally:
        await restarted.close()
