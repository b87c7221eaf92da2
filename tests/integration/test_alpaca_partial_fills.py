"""Partial fills end to end: AlpacaPaperBroker + ExecutionAgent + SyncWorker against the
fake Alpaca, on SQLite and PostgreSQL.

Alpaca reports a partly filled order as ``partially_filled`` with ``filled_qty`` below
``qty`` and ``filled_avg_price`` over the filled part; it may fill the rest later, or end
with the rest unfilled (our cancel, a day order at the close). An OTO stop leg stays
``held`` until its parent fills completely; what it becomes when the parent ends partly
filled is not documented, so every variant the fake offers is tested: our books must end
with a stop for exactly the shares held, never more (a short) and never none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.fakes.alpaca_desk import AlpacaDesk, approve, build_alpaca_desk
from tests.fakes.fake_alpaca import FakeAlpaca, FakeOrder

from swingdesk.adapters.clock import SystemClock
from swingdesk.domain.enums import Intent, OrderStatus, OrderType, TradingState
from swingdesk.domain.events import RiskApproved
from swingdesk.store import tables as t

TICKER = "AAPL"
OPEN_STOP = {"held", "new", "accepted"}


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


async def entry(desk: AlpacaDesk, qty: int) -> RiskApproved:
    return await approve(desk.store, TICKER, SystemClock().now(), qty=qty, stop=Decimal(90))


async def close(desk: AlpacaDesk, qty: int) -> RiskApproved:
    now = SystemClock().now()
    return await approve(desk.store, TICKER, now, qty=qty, intent=Intent.SELL_TO_CLOSE)


def coid(a: RiskApproved) -> str:
    prefix = "sd-o" if a.intent is Intent.BUY_TO_OPEN else "sd-c"
    return f"{prefix}-{a.decision_id.hex}"


def broker_stops(fake: FakeAlpaca) -> list[FakeOrder]:
    """Every working sell stop at the broker (legs and standalone)."""
    with fake.lock:
        return [
            o
            for o in fake.orders.values()
            if o.symbol == TICKER and o.type == "stop" and o.status in OPEN_STOP
        ]


async def our_position(desk: AlpacaDesk) -> tuple[Decimal, Decimal] | None:
    rows = [p for p in await desk.store.positions() if p.ticker == TICKER]
    return (rows[0].qty, rows[0].avg_price) if rows else None


async def fills_of(desk: AlpacaDesk, client_order_id: str) -> list[t.FillRow]:
    async with desk.store.read() as s:
        q = select(t.FillRow).where(t.FillRow.client_order_id == client_order_id)
        return list((await s.scalars(q)).all())


async def audit_kinds(desk: AlpacaDesk) -> Counter[str]:
    async with desk.store.read() as s:
        return Counter((await s.scalars(select(t.AuditRow.kind))).all())


async def assert_books_equal_broker(desk: AlpacaDesk, fake: FakeAlpaca) -> None:
    report = await desk.sync.run_once()
    assert not report.halted
    assert report.corrections == 0
    theirs = fake.positions.get(TICKER)
    assert await our_position(desk) == theirs
    assert await desk.control.state() is TradingState.ACTIVE
    assert (await desk.store.verify_audit()).ok


async def test_entry_when_partly_filled_then_rest_fills_then_one_position_at_vwap(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    fake.partial_next.append((Decimal(4), Decimal("100.00")))
    a = await entry(desk, 10)

    report = await desk.agent.execute(a, sector=None)

    assert report.status is OrderStatus.PARTIALLY_FILLED
    assert (report.filled_qty, report.filled_avg_price) == (Decimal(4), Decimal(100))
    row = await desk.store.order(coid(a))
    assert row is not None
    assert row.status == OrderStatus.PARTIALLY_FILLED.value
    assert (row.filled_qty, row.filled_avg_price) == (Decimal(4), Decimal(100))
    assert await our_position(desk) == (Decimal(4), Decimal(100))
    [leg] = fake.order(coid(a)).legs
    assert (leg.status, leg.qty) == ("held", Decimal(10))  # armed at the complete fill

    fake.fill_rest(coid(a), Decimal("101.50"))
    sync = await desk.sync.run_once()

    assert sync.refreshed == 1
    assert not sync.halted
    row = await desk.store.order(coid(a))
    assert row is not None
    assert row.status == OrderStatus.FILLED.value
    vwap = (4 * Decimal(100) + 6 * Decimal("101.50")) / 10
    assert (row.filled_qty, row.filled_avg_price) == (Decimal(10), vwap)
    assert await our_position(desk) == (Decimal(10), vwap)
    fills = await fills_of(desk, coid(a))
    assert sorted((f.qty, f.price) for f in fills) == [
        (Decimal(4), Decimal(100)),
        (Decimal(6), Decimal("101.50")),
    ]
    assert [(s.qty, s.stop_price) for s in broker_stops(fake)] == [(Decimal(10), Decimal(90))]
    await assert_books_equal_broker(desk, fake)
    assert "protection.replaced" not in await audit_kinds(desk)


@pytest.mark.parametrize("leg_policy", ["cancel", "resize", "keep"])
@pytest.mark.parametrize("ending", ["canceled", "expired"])
async def test_entry_when_partly_filled_then_rest_ends_then_stop_covers_exactly_the_held_qty(
    desk: AlpacaDesk, fake: FakeAlpaca, leg_policy: str, ending: str
) -> None:
    fake.leg_on_partial_end = leg_policy
    fake.partial_next.append((Decimal(4), Decimal(100)))
    a = await entry(desk, 10)
    await desk.agent.execute(a, sector=None)

    fake.end_rest(coid(a), ending)
    await desk.sync.run_once()

    row = await desk.store.order(coid(a))
    assert row is not None
    assert row.status == ending
    assert row.filled_qty == Decimal(4)
    assert await our_position(desk) == (Decimal(4), Decimal(100))
    stops = broker_stops(fake)
    assert [(s.qty, s.stop_price) for s in stops] == [(Decimal(4), Decimal(90))]
    kinds = await audit_kinds(desk)
    # A leg canceled with its parent leaves nothing to replace: a stop is placed. A leg left
    # for the original qty is replaced. A leg resized to the filled part is right as it is.
    assert kinds["protection.placed"] == (1 if leg_policy == "cancel" else 0)
    assert kinds["protection.replaced"] == (1 if leg_policy == "keep" else 0)
    ours = await desk.store.open_stop_orders(TICKER)
    assert [(r.client_order_id, r.qty) for r in ours] == [(stops[0].client_order_id, Decimal(4))]
    await assert_books_equal_broker(desk, fake)

    # The stop protects what is held, and selling it leaves no short.
    fake.set_price(TICKER, Decimal(89))
    await desk.sync.run_once()
    assert TICKER not in fake.positions
    assert await our_position(desk) is None


async def test_entry_when_partly_filled_then_canceled_then_another_working_entry_keeps_its_leg(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    fake.partial_next.append((Decimal(4), Decimal(100)))
    x = await entry(desk, 10)
    await desk.agent.execute(x, sector=None)
    fake.partial_next.append((Decimal(2), Decimal(100)))
    y = await entry(desk, 5)  # also working, 2 of its 5 bought
    assert (await desk.agent.execute(y, sector=None)).status is OrderStatus.PARTIALLY_FILLED

    fake.end_rest(coid(x))
    await desk.sync.run_once()

    [y_leg] = fake.order(coid(y)).legs
    assert (y_leg.status, y_leg.qty) == ("held", Decimal(5))  # untouched: covers shares to come
    assert sorted(s.qty for s in broker_stops(fake)) == [Decimal(4), Decimal(5)]
    fake.fill_rest(coid(y), Decimal(100))
    await desk.sync.run_once()
    assert await our_position(desk) == (Decimal(9), Decimal(100))
    assert sum(s.qty for s in broker_stops(fake)) == Decimal(9)
    await assert_books_equal_broker(desk, fake)


async def test_protection_when_run_again_after_a_crash_before_booking_then_no_second_stop(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    fake.leg_on_partial_end = "keep"
    fake.partial_next.append((Decimal(3), Decimal(100)))
    a = await entry(desk, 10)
    await desk.agent.execute(a, sector=None)
    fake.end_rest(coid(a))
    ended = await desk.broker.get_order_by_client_id(coid(a))
    assert ended is not None
    row = await desk.store.order(coid(a))
    assert row is not None
    await desk.agent.stops.ensure(TICKER, ended=row.client_order_id)  # then the process dies

    await desk.sync.run_once()

    assert [s.qty for s in broker_stops(fake)] == [Decimal(3)]
    assert (await audit_kinds(desk))["protection.replaced"] == 1
    await assert_books_equal_broker(desk, fake)


async def test_close_when_partly_filled_then_position_reduced_and_rest_stays_protected(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    a = await entry(desk, 10)
    await desk.agent.execute(a, sector=None)
    assert await our_position(desk) == (Decimal(10), Decimal(100))
    fake.partial_next.append((Decimal(6), Decimal(105)))
    c = await close(desk, 10)

    report = await desk.agent.execute(c, sector=None)

    assert report.status is OrderStatus.PARTIALLY_FILLED
    assert await our_position(desk) == (Decimal(4), Decimal(100))
    # The remaining 4 are covered by the working close itself (Alpaca reserves them for it,
    # so no stop could be placed for them while it works).
    assert broker_stops(fake) == []
    assert fake.order(coid(c)).status == "partially_filled"
    await assert_books_equal_broker(desk, fake)

    fake.end_rest(coid(c), "expired")  # a day order at the close
    await desk.sync.run_once()

    row = await desk.store.order(coid(c))
    assert row is not None
    assert row.status == OrderStatus.EXPIRED.value
    assert await our_position(desk) == (Decimal(4), Decimal(100))
    assert [(s.qty, s.stop_price) for s in broker_stops(fake)] == [(Decimal(4), Decimal(90))]
    await assert_books_equal_broker(desk, fake)

    # The next decision closes the rest: the replacement stop is canceled first.
    c2 = await close(desk, 4)
    report = await desk.agent.execute(c2, sector=None)
    assert report.status is OrderStatus.FILLED
    assert await our_position(desk) is None
    assert broker_stops(fake) == []
    await assert_books_equal_broker(desk, fake)


async def test_close_when_partly_filled_then_rest_fills_then_position_gone(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    a = await entry(desk, 10)
    await desk.agent.execute(a, sector=None)
    fake.partial_next.append((Decimal(6), Decimal(105)))
    c = await close(desk, 10)
    await desk.agent.execute(c, sector=None)

    fake.fill_rest(coid(c), Decimal(104))
    await desk.sync.run_once()

    assert await our_position(desk) is None
    assert broker_stops(fake) == []
    assert [f.qty for f in await fills_of(desk, coid(c))] == [Decimal(6), Decimal(4)]
    await assert_books_equal_broker(desk, fake)


async def test_two_partial_fills_with_a_restart_between_then_each_booked_once(
    db_url: str, desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    fake.partial_next.append((Decimal(2), Decimal(100)))
    a = await entry(desk, 10)
    await desk.agent.execute(a, sector=None)
    await desk.close()  # the process dies; the broker goes on filling
    fake.fill_partial(coid(a), Decimal(5), Decimal(102))

    restarted = await build_alpaca_desk(db_url, fake.url, SystemClock(), migrate_db=False)
    try:
        assert await restarted.sync.startup() is not None
        again = await restarted.agent.execute(a, sector=None)  # upstream retries the decision
        assert again.resubmitted
        await restarted.sync.run_once()
        fake.fill_rest(coid(a), Decimal(103))
        second = await build_alpaca_desk(db_url, fake.url, SystemClock(), migrate_db=False)
        await second.sync.run_once()  # two workers on one database, one after the other
        await restarted.sync.run_once()
        await second.close()

        assert Counter(fake.created)[coid(a)] == 1
        fills = await fills_of(restarted, coid(a))
        assert sorted(f.qty for f in fills) == [Decimal(2), Decimal(3), Decimal(5)]
        vwap = (2 * Decimal(100) + 5 * Decimal(102) + 3 * Decimal(103)) / 10
        assert await our_position(restarted) == (Decimal(10), vwap)
        row = await restarted.store.order(coid(a))
        assert row is not None
        assert row.status == OrderStatus.FILLED.value
        assert row.filled_qty == Decimal(10)
        assert [s.qty for s in broker_stops(fake)] == [Decimal(10)]
        await assert_books_equal_broker(restarted, fake)
    finally:
        await restarted.close()


async def test_fake_when_partly_filled_then_alpaca_py_model_accepts_the_body(
    desk: AlpacaDesk, fake: FakeAlpaca
) -> None:
    fake.partial_next.append((Decimal(4), Decimal("100.25")))
    a = await entry(desk, 10)
    await desk.agent.execute(a, sector=None)
    found = await desk.broker.get_order_by_client_id(coid(a))
    assert found is not None
    assert found.status is OrderStatus.PARTIALLY_FILLED
    assert (found.qty, found.filled_qty) == (Decimal(10), Decimal(4))
    assert found.filled_avg_price == Decimal("100.25")
    assert [leg.status for leg in found.legs] == [OrderStatus.HELD]
    assert [leg.type for leg in found.legs] == [OrderType.STOP]
