"""The trade journal's arithmetic: round trips, P&L in $ and R, exit reasons, tallies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from swingdesk.services.trips import round_trips, tallies
from swingdesk.unit_of_work import FillFact

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def fill(side: str, qty: int, price: str, days: float, coid: str, **kw: object) -> FillFact:
    values: dict[str, object] = {
        "ticker": "AAPL",
        "side": side,
        "qty": Decimal(qty),
        "price": Decimal(price),
        "commission": Decimal(0),
        "ts": T0 + timedelta(days=days),
        "client_order_id": coid,
        "decision_id": f"d-{coid}",
        "order_type": "market",
        "trigger": "autopilot",
        "stop_price": None,
    }
    values.update(kw)
    return FillFact(**values)  # type: ignore[arg-type]


def test_round_trips_when_partial_then_stopped_then_two_trips_with_reasons_and_r() -> None:
    fills = [
        fill("buy", 100, "50", 0, "e1", stop_price=Decimal(45)),
        fill("sell", 40, "55", 2, "c1", trigger="manual"),
        fill("sell", 60, "45", 3.5, "s1", order_type="stop", trigger=None, decision_id=None),
    ]
    partial, stopped = round_trips(fills, {"AAPL": "Information Technology"}.get)
    assert (partial.exit_reason, partial.qty, partial.pnl) == ("partial", 40, Decimal("200.00"))
    assert partial.r_multiple == Decimal("1.00")  # $5 gained per $5 risked
    assert partial.holding_days == Decimal("2.0")
    assert (stopped.exit_reason, stopped.pnl, stopped.r_multiple) == (
        "stop",
        Decimal("-300.00"),
        Decimal("-1.00"),
    )
    assert stopped.sector == "Information Technology"


def test_round_trips_when_two_fills_of_one_close_then_one_trip_at_the_average() -> None:
    fills = [
        fill("buy", 10, "100", 0, "e1", stop_price=Decimal(90), commission=Decimal(1)),
        fill("sell", 4, "110", 1, "c1", commission=Decimal(1)),
        fill("sell", 6, "120", 1.1, "c1"),
    ]
    [trip] = round_trips(fills)
    assert trip.exit_reason == "trend_exit"
    assert trip.exit_price == Decimal("116.0000")
    assert trip.entry_price == Decimal("100.1000")  # the entry commission is in the cost
    assert trip.pnl == Decimal("158.00")  # 1160 - 1001 - 1


def test_round_trips_when_a_sell_was_never_bought_then_ignored() -> None:
    assert round_trips([fill("sell", 5, "10", 0, "x")]) == []


def test_tallies_when_trips_then_totals_by_ticker_sector_and_day() -> None:
    fills = [
        fill("buy", 10, "100", 0, "e1", stop_price=Decimal(95)),
        fill("sell", 10, "110", 1, "c1", trigger="manual"),
        fill("buy", 10, "100", 2, "e2", stop_price=Decimal(95)),
        fill("sell", 10, "95", 3, "c2", order_type="stop"),
    ]
    out = tallies(round_trips(fills))
    assert out["totals"] == {
        "trades": 2,
        "wins": 1,
        "losses": 1,
        "win_rate_pct": "50.00",
        "pnl": "50.00",
        "avg_r": "0.50",
        "total_r": "1.00",
    }
    assert [d["date"] for d in out["daily"]] == ["2026-11-24", "2026-11-26"]  # type: ignore[index]
    assert out["by_sector"][0]["sector"] == "Unknown"  # type: ignore[index]
