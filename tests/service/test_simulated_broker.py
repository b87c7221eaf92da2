"""The simulated broker's account reads are consistent while fills are being booked."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from swingdesk.adapters.clock import ManualClock
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.domain.enums import Intent, OrderSide
from swingdesk.domain.events import OrderRequest
from swingdesk.store import migrate
from swingdesk.store.sim_ledger import SqlSimLedger
from swingdesk.store.store import Store

PRICE = Decimal(50)


async def _price(ticker: str, now: datetime) -> Decimal:
    return PRICE


def _buy(ticker: str, now: datetime) -> OrderRequest:
    return OrderRequest(
        ts_event=now, decision_id=uuid4(), client_order_id=f"sd-{uuid4().hex[:20]}",
        ticker=ticker, side=OrderSide.BUY, intent=Intent.BUY_TO_OPEN, qty=Decimal(10),
        reference_price=PRICE, risk_event_id=uuid4(),
    )  # fmt: skip


async def test_get_account_when_read_during_fills_then_cash_and_positions_agree(
    db_url: str, clock: ManualClock
) -> None:
    migrate.upgrade(db_url)
    store = Store.from_url(db_url)
    # No slippage or commission and a constant price: buying moves cash into shares at par,
    # so equity must read exactly 100,000 at every instant. Reading cash and positions in
    # two statements let a read pair the old cash with the new position (equity 100,500).
    broker = SimulatedBroker(
        SqlSimLedger(store), _price, clock, initial_cash=Decimal(100_000), slippage_bps=Decimal(0)
    )
    seen: list[Decimal] = []
    buying = True

    async def buy_all() -> None:
        nonlocal buying
        for i in range(40):
            await broker.submit_order(_buy(f"T{i:02d}", clock.now()))
        buying = False

    async def watch() -> None:
        while buying:
            seen.append((await broker.get_account()).equity)

    try:
        await asyncio.gather(buy_all(), watch(), watch())
        assert len(seen) > 40
        assert set(seen) == {Decimal(100_000)}
        account = await broker.get_account()
        assert account.cash == Decimal(100_000) - 40 * 10 * PRICE
    finally:
        await store.close()
