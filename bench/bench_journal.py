"""Trade journal and decisions explorer: how long the trading-day views take to answer.

Fills a fresh SQLite desk (simulated market and broker, rules analyst off the hot path) with
N closed round trips (entry and exit orders with their fills and decisions) written straight
through the store, then times ``journal_view`` (every fill into round trips, tallies by
ticker, sector and day) and one filtered ``decisions_page``. Targets: the journal over 2,000
trips in <= 500 ms median; a filtered explorer page in <= 50 ms median.

    .venv/bin/python bench/bench_journal.py [--trips 2000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

from _common import RESULTS, summary, write
from swingdesk.domain.enums import DecisionStatus, Intent, OrderSide, OrderStatus, OrderType
from swingdesk.services.decisions_view import DecisionFilter, decisions_page
from swingdesk.services.journal import journal_view
from swingdesk.store import migrate
from swingdesk.store import tables as t
from swingdesk.store.store import Store

T0 = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)
TICKERS = ("AAPL", "MSFT", "NVDA", "XOM", "JPM", "KO", "PG", "WMT", "UNH", "TSLA")
TARGET_JOURNAL_MS = 500.0
TARGET_EXPLORER_MS = 50.0


async def seed(store: Store, trips: int) -> None:
    """Write ``trips`` closed round trips: decision, order and fill for entry and exit."""
    decisions: list[t.DecisionRow] = []
    orders: list[t.OrderRow] = []
    fills: list[t.FillRow] = []
    for i in range(trips):
        ticker = TICKERS[i % len(TICKERS)]
        opened = T0 + timedelta(hours=6 * i)
        for leg, side, intent, price, ts in (
            ("e", OrderSide.BUY, Intent.BUY_TO_OPEN, Decimal(100 + i % 7), opened),
            (
                "c",
                OrderSide.SELL,
                Intent.SELL_TO_CLOSE,
                Decimal(98 + i % 11),
                opened + timedelta(days=3),
            ),
        ):
            did = str(uuid4())
            coid = f"sd-{leg}-{did.replace('-', '')}"
            decisions.append(
                t.DecisionRow(
                    decision_id=did,
                    ticker=ticker,
                    trigger="autopilot",
                    status=DecisionStatus.ORDERED.value,
                    created_at=ts,
                    updated_at=ts,
                )
            )
            orders.append(
                t.OrderRow(
                    client_order_id=coid,
                    decision_id=did,
                    ticker=ticker,
                    side=side.value,
                    intent=intent.value,
                    qty=Decimal(10),
                    type=OrderType.MARKET.value,
                    time_in_force="day",
                    stop_price=Decimal(95) if leg == "e" else None,
                    reference_price=price,
                    status=OrderStatus.FILLED.value,
                    filled_qty=Decimal(10),
                    filled_avg_price=price,
                    external=False,
                    created_at=ts,
                    updated_at=ts,
                )
            )
            fills.append(
                t.FillRow(
                    fill_id=f"f-{coid}",
                    event_id=str(uuid4()),
                    client_order_id=coid,
                    decision_id=did,
                    ticker=ticker,
                    side=side.value,
                    qty=Decimal(10),
                    price=price,
                    commission=Decimal(0),
                    ts_event=ts,
                )
            )
    async with store.read() as session:
        for rows in (decisions, orders, fills):  # parents first: the foreign keys hold
            session.add_all(rows)
            await session.flush()
        await session.commit()


async def run(trips: int, repeat: int) -> dict[str, object]:
    """Seed a desk and time both views."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        store = Store.from_url(url)
        try:
            await seed(store, trips)
            journal_ms, explorer_ms = [], []
            for _ in range(repeat):
                start = time.perf_counter()
                out = await journal_view(store.views, lambda _: "Sector")
                journal_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                await decisions_page(
                    store.views,
                    DecisionFilter(ticker="MSFT", trigger="autopilot"),
                    limit=50,
                    offset=0,
                )
                explorer_ms.append((time.perf_counter() - start) * 1000)
            assert out["count"] == trips
        finally:
            await store.close()
    return {"journal": summary(journal_ms), "explorer": summary(explorer_ms)}


def main() -> None:
    """Run the benchmark, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trips", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--out", type=Path, default=RESULTS / "journal.json")
    args = parser.parse_args()
    fig = asyncio.run(run(args.trips, args.repeat))
    journal, explorer = fig["journal"], fig["explorer"]
    assert isinstance(journal, dict)
    assert isinstance(explorer, dict)
    print(f"journal over {args.trips:,} trips ({args.trips * 2:,} fills), {args.repeat} runs:")
    print(f"  median {journal['median']:.1f} ms, p90 {journal['p90']:.1f} ms")
    print(f"  target: median <= {TARGET_JOURNAL_MS:g} ms")
    print(f"decisions explorer page (ticker + trigger filter), {args.trips * 2:,} decisions:")
    print(f"  median {explorer['median']:.1f} ms, p90 {explorer['p90']:.1f} ms")
    print(f"  target: median <= {TARGET_EXPLORER_MS:g} ms")
    path = write(
        "journal",
        {
            "trips": args.trips,
            "repeat": args.repeat,
            "journal_median_ms": round(journal["median"], 2),
            "journal_p90_ms": round(journal["p90"], 2),
            "explorer_median_ms": round(explorer["median"], 2),
            "explorer_p90_ms": round(explorer["p90"], 2),
            "target_journal_median_ms": TARGET_JOURNAL_MS,
            "target_explorer_median_ms": TARGET_EXPLORER_MS,
            "meets_target": journal["median"] <= TARGET_JOURNAL_MS
            and explorer["median"] <= TARGET_EXPLORER_MS,
            "median_of_medians_ms": statistics.fmean([journal["median"], explorer["median"]]),
        },
        args.out,
    )
    print(f"  wrote {path}")


if __name__ == "__main__":
    main()
