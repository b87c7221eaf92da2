"""The trade journal's arithmetic: fills into round trips, P&L in dollars and in R, and the
totals by ticker, sector and day. Pure: no I/O, Decimal money, the caller passes the fills.

One journal row per closing order: what it sold, against the average entry price of the
shares it closed, P&L after both sides' commissions, and R, the P&L as a multiple of the
risk taken at entry (shares x distance from the entry to the initial stop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from swingdesk.domain.exchange_time import ny_date_iso
from swingdesk.domain.money import ZERO, cents
from swingdesk.unit_of_work.reads import FillFact

STOP, TREND_EXIT, MANUAL, PARTIAL, OTHER = "stop", "trend_exit", "manual", "partial", "other"
_R = Decimal("0.01")
_DAY_S = Decimal(86400)


@dataclass(frozen=True)
class Trip:
    """One closing order against the entry it closed (part of)."""

    ticker: str
    sector: str | None
    qty: Decimal
    entry_price: Decimal
    exit_price: Decimal
    opened_at: datetime
    closed_at: datetime
    pnl: Decimal
    r_multiple: Decimal | None
    exit_reason: str
    entry_decision_id: str | None
    exit_decision_id: str | None
    exit_client_order_id: str

    @property
    def holding_days(self) -> Decimal:
        """Return the days from the first entry fill to the exit, to a tenth."""
        seconds = Decimal(str((self.closed_at - self.opened_at).total_seconds()))
        return (seconds / _DAY_S).quantize(Decimal("0.1"))


@dataclass
class _Open:
    qty: Decimal = ZERO
    cost: Decimal = ZERO  # price x qty plus entry commissions of the shares still open
    opened_at: datetime | None = None
    stop: Decimal | None = None
    decision_id: str | None = None


@dataclass
class _Exit:
    first: FillFact
    qty: Decimal = ZERO
    proceeds: Decimal = ZERO
    entry_cost: Decimal = ZERO
    commission: Decimal = ZERO
    last_ts: datetime | None = None


def _reason(fill: FillFact, still_open: bool) -> str:
    if fill.order_type in ("stop", "trailing_stop"):
        return STOP
    if still_open:
        return PARTIAL
    if fill.trigger == "manual":
        return MANUAL
    if fill.trigger is None or fill.decision_id is None:
        return OTHER
    return TREND_EXIT


def round_trips(
    fills: Iterable[FillFact], sector_of: Callable[[str], str | None] = lambda _: None
) -> list[Trip]:
    """Return every closing order as a trip, oldest exit first."""
    exits = _match_exits(fills)
    trips = [_trip(coid, ex, after, sector_of) for coid, (ex, after) in exits.items()]
    trips.sort(key=lambda tr: tr.closed_at)
    return trips


def _match_exits(fills: Iterable[FillFact]) -> dict[str, tuple[_Exit, _Open]]:
    """Replay the fills in time order; return each closing order's exit and what it closed.

    Keyed by client order id in the order of the exits' first fills; the ``_Open`` is the
    trip as it stood at that first fill, with ``qty`` what was left open after the exit.
    """
    ordered = sorted(fills, key=lambda f: (f.ts, 0 if f.side == "buy" else 1))
    book: dict[str, _Open] = {}
    exits: dict[str, tuple[_Exit, _Open]] = {}
    for f in ordered:
        pos = book.setdefault(f.ticker, _Open())
        if f.side == "buy":
            if pos.qty <= 0:
                book[f.ticker] = pos = _Open(opened_at=f.ts, decision_id=f.decision_id)
            pos.qty += f.qty
            pos.cost += f.qty * f.price + f.commission
            if pos.stop is None and f.stop_price is not None:
                pos.stop = f.stop_price
            continue
        if pos.qty <= 0:
            continue  # a sell of shares the journal never saw bought (external)
        qty = min(f.qty, pos.qty)
        avg = pos.cost / pos.qty
        if f.client_order_id not in exits:
            # What the exit closed against: the trip as it stood at its first fill.
            opened = _Open(pos.qty, pos.cost, pos.opened_at, pos.stop, pos.decision_id)
            exits[f.client_order_id] = (_Exit(first=f), opened)
        ex, after = exits[f.client_order_id]
        ex.qty += qty
        ex.proceeds += qty * f.price
        ex.entry_cost += qty * avg
        ex.commission += f.commission
        ex.last_ts = f.ts
        pos.qty -= qty
        pos.cost -= qty * avg
        after.qty = pos.qty  # left open after this exit
    return exits


def _trip(
    client_order_id: str, ex: _Exit, after: _Open, sector_of: Callable[[str], str | None]
) -> Trip:
    """Return the trip of one closing order: prices, P&L and R against the entry it closed."""
    entry_price = ex.entry_cost / ex.qty
    exit_price = ex.proceeds / ex.qty
    pnl = ex.proceeds - ex.entry_cost - ex.commission
    r_multiple = None
    if after.stop is not None and after.stop < entry_price:
        r_multiple = (pnl / (ex.qty * (entry_price - after.stop))).quantize(_R)
    first = ex.first
    return Trip(
        ticker=first.ticker,
        sector=sector_of(first.ticker),
        qty=ex.qty,
        entry_price=entry_price.quantize(Decimal("0.0001")),
        exit_price=exit_price.quantize(Decimal("0.0001")),
        opened_at=after.opened_at or first.ts,
        closed_at=ex.last_ts or first.ts,
        pnl=cents(pnl),
        r_multiple=r_multiple,
        exit_reason=_reason(first, after.qty > 0),
        entry_decision_id=after.decision_id,
        exit_decision_id=first.decision_id,
        exit_client_order_id=client_order_id,
    )


@dataclass
class Tally:
    """Trips, wins, P&L and R of a group."""

    trades: int = 0
    wins: int = 0
    pnl: Decimal = ZERO
    r_sum: Decimal = ZERO
    r_count: int = 0

    def add(self, trip: Trip) -> None:
        """Count one trip."""
        self.trades += 1
        self.wins += trip.pnl > 0
        self.pnl += trip.pnl
        if trip.r_multiple is not None:
            self.r_sum += trip.r_multiple
            self.r_count += 1

    def view(self) -> dict[str, object]:
        """Render the tally for people."""
        return {
            "trades": self.trades,
            "wins": self.wins,
            "losses": self.trades - self.wins,
            "win_rate_pct": str((Decimal(self.wins) * 100 / self.trades).quantize(_R))
            if self.trades
            else None,
            "pnl": str(cents(self.pnl)),
            "avg_r": str((self.r_sum / self.r_count).quantize(_R)) if self.r_count else None,
            "total_r": str(self.r_sum.quantize(_R)),
        }


def tallies(trips: Iterable[Trip]) -> dict[str, object]:
    """Return the totals, and the tallies by ticker, by sector and by New York exit day."""
    total = Tally()
    by_ticker: dict[str, Tally] = {}
    by_sector: dict[str, Tally] = {}
    by_day: dict[str, Tally] = {}
    for trip in trips:
        total.add(trip)
        by_ticker.setdefault(trip.ticker, Tally()).add(trip)
        by_sector.setdefault(trip.sector or "Unknown", Tally()).add(trip)
        by_day.setdefault(ny_date_iso(trip.closed_at), Tally()).add(trip)
    return {
        "totals": total.view(),
        "by_ticker": [{"ticker": k, **v.view()} for k, v in sorted(by_ticker.items())],
        "by_sector": [{"sector": k, **v.view()} for k, v in sorted(by_sector.items())],
        "daily": [
            {"date": k, "pnl": str(cents(v.pnl)), "trades": v.trades}
            for k, v in sorted(by_day.items())
        ],
    }


def trip_view(trip: Trip) -> dict[str, object]:
    """Render one trip for people."""
    return {
        "ticker": trip.ticker,
        "sector": trip.sector,
        "qty": str(trip.qty),
        "entry_price": str(trip.entry_price),
        "exit_price": str(trip.exit_price),
        "opened_at": trip.opened_at.isoformat(),
        "closed_at": trip.closed_at.isoformat(),
        "holding_days": str(trip.holding_days),
        "pnl": str(trip.pnl),
        "r_multiple": None if trip.r_multiple is None else str(trip.r_multiple),
        "exit_reason": trip.exit_reason,
        "entry_decision_id": trip.entry_decision_id,
        "exit_decision_id": trip.exit_decision_id,
        "exit_client_order_id": trip.exit_client_order_id,
    }
