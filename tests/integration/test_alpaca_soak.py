"""Fault-injection soak: 2,000 order attempts against the fake Alpaca with 20% faults.

Afterwards the broker holds exactly one order per approved intent, every intent is in a
known terminal state, and our books equal the broker's: no duplicate, nothing lost.
"""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from tests.fakes.alpaca_desk import approve, build_alpaca_desk
from tests.fakes.fake_alpaca import FakeAlpaca, Faults

from swingdesk.adapters.clock import ManualClock
from swingdesk.config import async_url
from swingdesk.domain.enums import OrderStatus
from swingdesk.domain.events import RiskApproved
from swingdesk.store import tables as t

ATTEMPTS = 2_000
TICKERS = [f"T{i:02d}" for i in range(40)]


async def test_soak_when_20pct_of_requests_fault_then_one_order_per_intent_and_none_lost(
    tmp_path: Path, clock: ManualClock
) -> None:
    faults = Faults(
        rate_limit=0.04,
        server_error=0.04,
        gateway_timeout_after_accept=0.04,
        timeout_after_accept=0.04,
        drop=0.04,
        hang_s=0.12,
        seed=2026,
    )
    rng = random.Random(5)
    with FakeAlpaca(cash=Decimal(10_000_000), faults=faults) as fake:
        desk = await build_alpaca_desk(
            async_url(f"sqlite:///{tmp_path / 'soak.db'}"), fake.url, clock, read_timeout_s=0.06
        )
        intents: list[RiskApproved] = []
        attempts = 0
        while attempts < ATTEMPTS:
            # One attempt in five re-sends an earlier approval (a retry from upstream).
            if intents and rng.random() < 0.2:
                a = rng.choice(intents)
            else:
                a = await approve(desk.store, rng.choice(TICKERS), clock.now())
                intents.append(a)
            await desk.agent.execute(a, sector="Information Technology")
            attempts += 1
        fake.faults = Faults()  # the storm is over; reconciliation settles what is pending
        # ... through a client with a normal read timeout: the storm's 60 ms (there to turn the
        # fake's hangs into timeouts) is shorter than listing 500 open orders takes on a busy
        # machine, and a pass now reads the open orders at least twice (a consistent view).
        await desk.close()
        desk = await build_alpaca_desk(
            async_url(f"sqlite:///{tmp_path / 'soak.db'}"), fake.url, clock, migrate_db=False
        )
        report = await desk.sync.run_once()

        coids = {f"sd-o-{a.decision_id.hex}" for a in intents}
        created = Counter(fake.created)
        assert sum(fake.faulted.values()) > 0.15 * ATTEMPTS
        assert set(fake.faulted) == {
            "rate_limit",
            "server_error",
            "gateway_timeout_after_accept",
            "timeout_after_accept",
            "drop",
        }
        assert [c for c, n in created.items() if n > 1] == []  # zero duplicates
        parents = {o.client_order_id for o in fake.parent_orders()}
        assert parents == coids  # exactly one order per intent, none lost
        async with desk.store.read() as s:
            rows = {
                r.client_order_id: r
                for r in (await s.scalars(select(t.OrderRow).where(t.OrderRow.type == "market")))
            }
        assert set(rows) == coids
        assert {r.status for r in rows.values()} == {OrderStatus.FILLED.value}
        ours = {p.ticker: p.qty for p in await desk.store.positions()}
        theirs = {s: q for s, (q, _) in fake.positions.items()}
        assert ours == theirs
        assert sum(theirs.values()) == len(intents)
        assert not report.halted
        assert (await desk.store.verify_audit()).ok
        await desk.close()
