"""Reconciliation cost with 1,000 positions and 1,000 open orders (network excluded).

Times (a) the pure comparison (``plan_positions`` + ``plan_orders``: drift, halt decision,
corrections, imports) and (b) a whole ``SyncWorker.run_once`` against an in-memory broker on
a SQLite file whose books hold the same 1,000 positions and 1,000 working orders (reads,
the diff, and 50 position corrections written and audited). Target: (a) <= 200 ms.

    .venv/bin/python bench/bench_reconcile.py [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

from _common import summary, write
from swingdesk.adapters.clock import ManualClock
from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.config import async_url
from swingdesk.domain.enums import Intent, OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.execution.agent import ExecutionAgent
from swingdesk.execution.control import TradingControl
from swingdesk.execution.reconciliation import (
    LocalOrder,
    LocalPosition,
    plan_orders,
    plan_positions,
)
from swingdesk.execution.sync import SyncWorker
from swingdesk.ports import BrokerAccount, BrokerOrder, BrokerPosition
from swingdesk.store import migrate
from swingdesk.store import tables as t
from swingdesk.store.store import Store

N = 1_000
NOW = datetime(2026, 11, 24, 15, tzinfo=UTC)


def positions() -> list[BrokerPosition]:
    out = []
    for i in range(N):
        qty, price = Decimal(10 + i % 90), Decimal(20 + i % 400) + Decimal("0.37")
        out.append(BrokerPosition(f"T{i:04d}", qty, price, qty * price, price))
    return out


def orders() -> list[BrokerOrder]:
    return [
        BrokerOrder(
            broker_order_id=str(uuid4()),
            client_order_id=f"sd-o-{i:032x}",
            ticker=f"T{i:04d}",
            side=OrderSide.SELL,
            qty=Decimal(5),
            type=OrderType.STOP,
            time_in_force=TimeInForce.GTC,
            status=OrderStatus.ACCEPTED,
            filled_qty=Decimal(0),
            filled_avg_price=None,
            submitted_at=NOW,
            stop_price=Decimal(10),
        )
        for i in range(N)
    ]


class MemoryBroker:
    """A broker that answers from lists (no network)."""

    name = "memory"

    def __init__(self, pos: list[BrokerPosition], open_orders: list[BrokerOrder]) -> None:
        self.pos, self.open = pos, open_orders
        value = sum((p.market_value for p in pos), Decimal(0))
        self.account = BrokerAccount(Decimal(10**9), Decimal(10**9), Decimal(10**9) + value)

    async def get_account(self) -> BrokerAccount:
        return self.account

    async def get_positions(self) -> list[BrokerPosition]:
        return self.pos

    async def list_orders(self, *, open_only: bool = True) -> list[BrokerOrder]:
        return self.open

    async def get_order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        return None

    async def submit_order(self, request: object) -> BrokerOrder:
        raise NotImplementedError

    async def cancel_order(self, broker_order_id: str) -> None:
        raise NotImplementedError


def bench_pure(runs: int) -> dict[str, float]:
    pos, ords = positions(), orders()
    # 5% of our positions differ by a few shares (corrected, under the halt limit).
    local = {
        p.ticker: LocalPosition(p.ticker, p.qty + (1 if i % 20 == 0 else 0), p.avg_entry_price)
        for i, p in enumerate(pos)
    }
    local_open = {
        o.client_order_id: LocalOrder(o.client_order_id, o.status, o.filled_qty) for o in ords
    }
    known = set(local_open)
    value = Decimal(10**9) + sum((p.market_value for p in pos), Decimal(0))
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        plan = plan_positions(pos, local, portfolio_value=value, max_drift_pct=Decimal("0.05"))
        oplan = plan_orders(ords, local_open, known)
        samples.append((time.perf_counter() - t0) * 1000)
    assert not plan.halt
    assert len(plan.corrections) == 50
    assert not oplan.to_import
    return summary(samples)


async def bench_sync(runs: int) -> dict[str, float]:
    pos, ords = positions(), orders()
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as d:
            url = async_url(f"sqlite:///{Path(d) / 'b.db'}")
            migrate.upgrade(url)
            store = Store.from_url(url)
            async with store.tx() as tx:
                for i, p in enumerate(pos):
                    tx.session.add(
                        t.PositionRow(
                            ticker=p.ticker,
                            qty=p.qty + (1 if i % 20 == 0 else 0),
                            avg_price=p.avg_entry_price,
                            sector=None,
                            stop_price=None,
                            opened_at=NOW,
                            updated_at=NOW,
                        )
                    )
                for o in ords:
                    await tx.add_broker_order(
                        o, decision_id=None, intent=Intent.SELL_TO_CLOSE, external=True, now=NOW
                    )
            clock, bus = ManualClock(NOW), InMemoryEventBus()
            broker = MemoryBroker(pos, ords)
            agent = ExecutionAgent(broker, store, bus, clock)  # type: ignore[arg-type]
            control = TradingControl(store, bus, clock)
            sync = SyncWorker(broker, store, bus, clock, control, agent)  # type: ignore[arg-type]
            t0 = time.perf_counter()
            report = await sync.run_once()
            samples.append((time.perf_counter() - t0) * 1000)
            assert report.corrections == 50
            assert not report.halted
            await store.close()
    return summary(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sync-runs", type=int, default=5)
    args = parser.parse_args()
    pure = bench_pure(args.runs)
    sync = asyncio.run(bench_sync(args.sync_runs))
    print(
        f"pure reconciliation, {N} positions + {N} open orders: "
        f"median {pure['median']:.1f} ms, p99 {pure['p99']:.1f} ms (target <= 200 ms)"
    )
    print(
        f"SyncWorker.run_once on SQLite (reads + 50 audited corrections): "
        f"median {sync['median']:.1f} ms, p99 {sync['p99']:.1f} ms"
    )
    path = write(
        "reconcile",
        {
            "positions": N,
            "open_orders": N,
            "pure_ms": pure,
            "sync_worker_sqlite_ms": sync,
            "target_pure_ms": 200,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
