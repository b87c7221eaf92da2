"""The simulated broker on each of its ledgers (its SQL tables on SQLite and PostgreSQL, and
memory): consistent account reads, duplicates, OTO legs, reserved shares, trailing stops,
cancels and the order list; the memory ledger books exactly what the SQL one does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from tests.service.harness import sim_ledger

from swingdesk.adapters.clock import ManualClock
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.domain.enums import Intent, OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import DuplicateOrderError, RejectedError
from swingdesk.domain.events import OrderRequest
from swingdesk.ports import BrokerOrder
from swingdesk.store import migrate
from swingdesk.store.memory.sim_ledger import MemorySimLedger
from swingdesk.store.store import Store
from swingdesk.unit_of_work.sim_ledger import (
    SimAccount,
    SimLedger,
    SimLedgerTx,
    SimOrder,
    SimPosition,
)

PRICE = Decimal(50)


async def _price(ticker: str, now: datetime) -> Decimal:
    return PRICE


def _buy(ticker: str, now: datetime) -> OrderRequest:
    return OrderRequest(
        ts_event=now, decision_id=uuid4(), client_order_id=f"sd-{uuid4().hex[:20]}",
        ticker=ticker, side=OrderSide.BUY, intent=Intent.BUY_TO_OPEN, qty=Decimal(10),
        reference_price=PRICE, risk_event_id=uuid4(),
    )  # fmt: skip


def _request(now: datetime, **kw: Any) -> OrderRequest:
    fields: dict[str, Any] = {
        "ts_event": now, "decision_id": uuid4(), "client_order_id": f"sd-{uuid4().hex[:20]}",
        "ticker": "AAPL", "side": OrderSide.BUY, "intent": Intent.BUY_TO_OPEN,
        "qty": Decimal(10), "reference_price": PRICE, "risk_event_id": uuid4(),
    }  # fmt: skip
    return OrderRequest(**(fields | kw))


def _sell(now: datetime, qty: int = 10, **kw: Any) -> OrderRequest:
    return _request(now, side=OrderSide.SELL, intent=Intent.SELL_TO_CLOSE, qty=Decimal(qty), **kw)


class Prices:
    """A price per ticker the tests move."""

    def __init__(self) -> None:
        self.now: dict[str, Decimal] = {}

    async def __call__(self, ticker: str, now: datetime) -> Decimal:
        return self.now.get(ticker, PRICE)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    migrate.upgrade(db_url)
    store = Store.from_url(db_url)
    yield store
    await store.close()


@pytest.fixture
def prices() -> Prices:
    return Prices()


@pytest.fixture
def broker(store: Store, ledger_kind: str, prices: Prices, clock: ManualClock) -> SimulatedBroker:
    return SimulatedBroker(
        sim_ledger(ledger_kind, store),
        prices,
        clock,
        initial_cash=Decimal(100_000),
        slippage_bps=Decimal(10),
        commission=Decimal(1),
    )


async def test_get_account_when_read_during_fills_then_cash_and_positions_agree(
    store: Store, ledger_kind: str, clock: ManualClock
) -> None:
    # No slippage or commission and a constant price: buying moves cash into shares at par,
    # so equity must read exactly 100,000 at every instant. Reading cash and positions in
    # two statements let a read pair the old cash with the new position (equity 100,500).
    broker = SimulatedBroker(
        sim_ledger(ledger_kind, store),
        _price,
        clock,
        initial_cash=Decimal(100_000),
        slippage_bps=Decimal(0),
    )
    seen: list[Decimal] = []
    buying = True

    async def buy_all() -> None:
        nonlocal buying
        for i in range(40):
            await broker.submit_order(_buy(f"T{i:02d}", clock.now()))
            await asyncio.sleep(0)  # the memory ledger never waits: let the readers run
        buying = False

    async def watch() -> None:
        while buying:
            seen.append((await broker.get_account()).equity)
            await asyncio.sleep(0)

    await asyncio.gather(buy_all(), watch(), watch())
    assert len(seen) > 40
    assert set(seen) == {Decimal(100_000)}
    account = await broker.get_account()
    assert account.cash == Decimal(100_000) - 40 * 10 * PRICE


async def test_submit_when_client_order_id_used_then_duplicate_and_nothing_booked(
    broker: SimulatedBroker, clock: ManualClock
) -> None:
    first = _request(clock.now(), stop_price=Decimal(45))
    await broker.submit_order(first)
    cash = (await broker.get_account()).cash
    with pytest.raises(DuplicateOrderError):
        await broker.submit_order(first)
    with pytest.raises(DuplicateOrderError):
        await broker.submit_order(_sell(clock.now(), 5, type=OrderType.STOP, stop_price=Decimal(40),
                                        client_order_id=first.client_order_id))  # fmt: skip
    assert (await broker.get_account()).cash == cash
    assert len(await broker.list_orders(open_only=False)) == 1


class _Blind:
    """A ledger whose transactions do not see client order ids already used: as when a
    concurrent submit with the same id commits between the check and the insert."""

    def __init__(self, inner: SimLedger) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def tx(self) -> AbstractAsyncContextManager[SimLedgerTx]:
        @asynccontextmanager
        async def blind() -> AsyncIterator[SimLedgerTx]:
            async with self._inner.tx() as tx:

                async def never(client_order_id: str) -> str | None:
                    return None

                tx.order_id_of = never  # type: ignore[method-assign]
                yield tx

        return blind()


async def test_submit_when_duplicate_slips_past_the_check_then_unique_id_refuses_it(
    store: Store, ledger_kind: str, clock: ManualClock
) -> None:
    ledger = sim_ledger(ledger_kind, store)
    broker = SimulatedBroker(_Blind(ledger), _price, clock, initial_cash=Decimal(100_000))
    first = _request(clock.now())
    await broker.submit_order(first)
    cash = (await broker.get_account()).cash
    with pytest.raises(DuplicateOrderError) as caught:
        await broker.submit_order(first)
    assert caught.value.details == {"client_order_id": first.client_order_id}
    assert (await broker.get_account()).cash == cash
    [position] = await broker.get_positions()
    assert position.qty == Decimal(10)


async def test_entry_with_stop_when_filled_then_leg_held_nested_and_its_shares_reserved(
    broker: SimulatedBroker, clock: ManualClock
) -> None:
    entry = await broker.submit_order(_request(clock.now(), stop_price=Decimal(45)))
    fill = Decimal("50.05")  # 10 bps against us
    assert (entry.status, entry.filled_qty, entry.filled_avg_price) == (
        OrderStatus.FILLED, Decimal(10), fill,
    )  # fmt: skip
    [leg] = entry.legs
    assert (leg.status, leg.type, leg.stop_price, leg.qty) == (
        OrderStatus.HELD, OrderType.STOP, Decimal(45), Decimal(10),
    )  # fmt: skip
    assert leg.time_in_force is TimeInForce.GTC
    account = await broker.get_account()
    assert account.cash == Decimal(100_000) - 10 * fill - 1
    assert account.equity == account.cash + 10 * PRICE
    assert await broker.get_order_by_client_id(entry.client_order_id) == entry
    assert await broker.list_orders() == [entry]
    with pytest.raises(RejectedError, match="10 held of which 10 reserved"):
        await broker.submit_order(_sell(clock.now(), 1))
    with pytest.raises(RejectedError, match="10 held of which 10 reserved"):
        await broker.submit_order(_sell(clock.now(), 1, type=OrderType.STOP, stop_price=PRICE))


async def test_cancel_when_leg_canceled_then_shares_free_and_order_closed(
    broker: SimulatedBroker, clock: ManualClock
) -> None:
    entry = await broker.submit_order(_request(clock.now(), stop_price=Decimal(45)))
    await broker.cancel_order(entry.legs[0].broker_order_id)
    assert await broker.list_orders() == []
    [listed] = await broker.list_orders(open_only=False)
    assert listed.legs[0].status is OrderStatus.CANCELED
    with pytest.raises(RejectedError, match="already canceled"):
        await broker.cancel_order(entry.legs[0].broker_order_id)
    with pytest.raises(RejectedError, match="already filled"):
        await broker.cancel_order(entry.broker_order_id)
    with pytest.raises(RejectedError, match="not found"):
        await broker.cancel_order("nope")
    clock.advance(60)
    sold = await broker.submit_order(_sell(clock.now(), 10))
    assert sold.filled_avg_price == Decimal("49.95")
    assert await broker.get_positions() == []
    newest = await broker.list_orders(open_only=False)
    assert [o.broker_order_id for o in newest] == [sold.broker_order_id, entry.broker_order_id]


async def test_sell_when_more_than_held_then_refused_no_short(
    broker: SimulatedBroker, clock: ManualClock
) -> None:
    await broker.submit_order(_request(clock.now()))
    with pytest.raises(RejectedError, match="no short selling"):
        await broker.submit_order(_sell(clock.now(), 11))
    await broker.submit_order(_sell(clock.now(), 4))
    [position] = await broker.get_positions()
    assert (position.qty, position.avg_entry_price) == (Decimal(6), Decimal("50.05"))


async def test_process_stops_when_price_crosses_then_fills_and_position_closes(
    broker: SimulatedBroker, prices: Prices, clock: ManualClock
) -> None:
    await broker.submit_order(_request(clock.now(), stop_price=Decimal(45)))
    prices.now["AAPL"] = Decimal(46)
    assert await broker.process_stops(clock.now()) == []
    prices.now["AAPL"] = Decimal(44)
    [filled] = await broker.process_stops(clock.now())
    assert (filled.status, filled.filled_qty, filled.filled_avg_price) == (
        OrderStatus.FILLED, Decimal(10), Decimal("43.9560"),
    )  # fmt: skip
    assert await broker.get_positions() == []
    assert await broker.list_orders() == []
    assert (await broker.get_account()).cash == Decimal(100_000) - Decimal("500.5") - 1 + (
        Decimal("439.56") - 1
    )


async def test_trailing_stop_when_bars_then_follows_highs_and_fills_at_gap_open(
    broker: SimulatedBroker, clock: ManualClock
) -> None:
    await broker.submit_order(_request(clock.now()))
    stop = await broker.submit_order(
        _sell(clock.now(), 10, type=OrderType.TRAILING_STOP, trail_pct=Decimal("0.1"))
    )
    assert (stop.status, stop.hwm, stop.stop_price) == (OrderStatus.ACCEPTED, PRICE, Decimal(45))
    bar = (Decimal(52), Decimal(51), Decimal(60))
    assert await broker.process_stops(clock.now(), {"AAPL": bar}) == []
    [moved] = await broker.list_orders()
    assert (moved.hwm, moved.stop_price) == (Decimal(60), Decimal(54))
    assert await broker.process_stops(clock.now(), {"MSFT": bar}) == []
    [filled] = await broker.process_stops(clock.now(), {"AAPL": (Decimal(50), Decimal(49))})
    assert (filled.status, filled.filled_avg_price) == (OrderStatus.FILLED, Decimal("49.9500"))
    assert await broker.get_positions() == []


async def test_trailing_stop_when_price_rises_then_mark_moves_without_a_fill(
    broker: SimulatedBroker, prices: Prices, clock: ManualClock
) -> None:
    await broker.submit_order(_request(clock.now()))
    await broker.submit_order(
        _sell(clock.now(), 10, type=OrderType.TRAILING_STOP, trail_price=Decimal(5))
    )
    prices.now["AAPL"] = Decimal(70)
    assert await broker.process_stops(clock.now()) == []
    [moved] = await broker.list_orders()
    assert (moved.hwm, moved.stop_price) == (Decimal(70), Decimal(65))


async def _script(broker: SimulatedBroker, prices: Prices, clock: ManualClock) -> None:
    """Entries with and without legs, a partial sell, stops by price and by bar, cancels."""
    for ticker, stop in (("AAPL", Decimal(45)), ("MSFT", None), ("NVDA", Decimal(40))):
        await broker.submit_order(_request(clock.now(), ticker=ticker, stop_price=stop))
        clock.advance(60)
    await broker.submit_order(_sell(clock.now(), 4, ticker="MSFT"))
    clock.advance(60)
    trailing = {"type": OrderType.TRAILING_STOP, "trail_pct": Decimal("0.05")}
    await broker.submit_order(_sell(clock.now(), 6, ticker="MSFT", **trailing))
    clock.advance(60)
    prices.now["AAPL"] = Decimal(44)
    await broker.process_stops(clock.now())
    clock.advance(60)
    await broker.process_stops(clock.now(), {"MSFT": (Decimal(55), Decimal(52), Decimal(58))})
    [nvda] = [o for o in await broker.list_orders() if o.ticker == "NVDA"]
    await broker.cancel_order(nvda.legs[0].broker_order_id)
    await broker.process_stops(clock.now(), {"MSFT": (Decimal(50), Decimal(50))})


def _comparable(orders: list[BrokerOrder]) -> Iterator[BrokerOrder]:
    """The orders without their ids, which are random."""
    for o in orders:
        legs = tuple(_anonymous(leg) for leg in o.legs)
        yield replace(_anonymous(o), legs=legs)


def _anonymous(order: BrokerOrder) -> BrokerOrder:
    return replace(order, broker_order_id="", client_order_id="")


async def test_memory_ledger_when_same_script_then_books_equal_the_sql_ledger(
    sqlite_url: str,
) -> None:
    migrate.upgrade(sqlite_url)
    store = Store.from_url(sqlite_url)
    seen = []
    try:
        for ledger in (sim_ledger("sql", store), MemorySimLedger()):
            prices, clock = Prices(), ManualClock(datetime.fromisoformat("2026-11-24T15:00Z"))
            broker = SimulatedBroker(ledger, prices, clock, initial_cash=Decimal(100_000),
                                     slippage_bps=Decimal(10), commission=Decimal(1))  # fmt: skip
            await _script(broker, prices, clock)
            orders = list(_comparable(await broker.list_orders(open_only=False)))
            seen.append((await broker.get_account(), await broker.get_positions(), orders))
    finally:
        await store.close()
    assert seen[0] == seen[1]
    _, positions, orders = seen[0]
    assert [p.ticker for p in positions] == ["NVDA"]  # AAPL and MSFT stopped out
    assert len(orders) == 5


async def test_memory_ledger_when_transaction_fails_then_nothing_it_wrote_is_left() -> None:
    ledger = MemorySimLedger()
    now = datetime.fromisoformat("2026-11-24T15:00Z")
    order = SimOrder(
        broker_order_id="b1", client_order_id="c1", parent_id=None, ticker="AAPL", side="buy",
        qty=Decimal(10), type="market", time_in_force="day", stop_price=None, status="filled",
        filled_qty=Decimal(10), filled_avg_price=PRICE, submitted_at=now, updated_at=now,
    )  # fmt: skip
    with pytest.raises(RuntimeError):
        async with ledger.tx() as tx:
            await tx.put_account(SimAccount(cash=Decimal(500), seq=1))
            await tx.put_position(SimPosition("AAPL", Decimal(10), PRICE))
            await tx.add_order(order)
            # the transaction sees its own writes; readers outside it do not
            assert await tx.account() == SimAccount(cash=Decimal(500), seq=1)
            assert await tx.position("AAPL") == SimPosition("AAPL", Decimal(10), PRICE)
            assert await tx.order_id_of("c1") == "b1"
            assert await ledger.book() == (None, [])
            assert await ledger.order_by_client_id("c1") is None
            raise RuntimeError("boom")
    assert await ledger.book() == (None, [])
    assert await ledger.order_by_client_id("c1") is None
    assert await ledger.orders_newest_first() == []
    async with ledger.tx() as tx:
        assert (await tx.account(), await tx.position("AAPL")) == (None, None)
        assert await tx.order_id_of("c1") is None
        assert await tx.working_stops() == []


async def test_account_and_positions_when_read_during_fills_then_one_read_agrees_with_itself(
    store: Store, ledger_kind: str, clock: ManualClock
) -> None:
    broker = SimulatedBroker(
        sim_ledger(ledger_kind, store),
        _price,
        clock,
        initial_cash=Decimal(100_000),
        slippage_bps=Decimal(0),
    )
    seen: list[tuple[Decimal, Decimal]] = []
    buying = True

    async def buy_all() -> None:
        nonlocal buying
        for i in range(20):
            await broker.submit_order(_buy(f"T{i:02d}", clock.now()))
            await asyncio.sleep(0)  # the memory ledger never waits: let the reader run
        buying = False

    async def watch() -> None:
        while buying:
            account, positions = await broker.account_and_positions()
            held = sum((p.market_value for p in positions), Decimal(0))
            seen.append((account.equity, account.cash + held))
            await asyncio.sleep(0)

    await asyncio.gather(buy_all(), watch())
    assert len(seen) >= 20  # read while the buys were booked
    assert {equity for equity, _ in seen} == {Decimal(100_000)}
    assert all(equity == cash_plus_held for equity, cash_plus_held in seen)
    account, positions = await broker.account_and_positions()
    assert account == await broker.get_account()
    assert positions == await broker.get_positions()
    assert len(positions) == 20
