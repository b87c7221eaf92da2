"""The read port: what the API's read views (orders blotter, decisions explorer, trade
journal, audit log, signals, market snapshots) ask of persistence.

Filtering, ordering and the New York day ranges happen where the data lives; the views
page and render. Single-table records are protocols that the stored rows satisfy as they
are; joined ones are frozen dataclasses the store builds. Nothing here is a row type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class DecisionFilter:
    """What the explorer narrows to; None means any. ``since``/``until`` are New York days,
    inclusive."""

    ticker: str | None = None
    action: str | None = None
    approved: bool | None = None
    code: str | None = None
    since: date | None = None
    until: date | None = None
    analyst: str | None = None
    trigger: str | None = None


@dataclass(frozen=True)
class OrderFilter:
    """What the orders blotter narrows to; None means any. ``since``/``until`` are New York
    days, inclusive."""

    status: str | None = None
    ticker: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class DecisionLine:
    """One decision with its signal and verdict, as the explorer lists it.

    The signal's fields are None when no signal is stored, ``approved`` is None and
    ``denial_codes`` empty when no verdict is.
    """

    decision_id: str
    ticker: str
    trigger: str
    status: str
    created_at: datetime
    error_code: str | None
    action: str | None
    confidence: float | None
    analyst: str | None
    rationale: str | None
    reason_code: str | None
    cost_usd: Decimal | None
    approved: bool | None
    denial_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FillFact:
    """One fill with what the journal needs of its order and decision."""

    ticker: str
    side: str  # "buy" or "sell"
    qty: Decimal
    price: Decimal
    commission: Decimal
    ts: datetime
    client_order_id: str
    decision_id: str | None
    order_type: str  # "market", "stop", ...
    trigger: str | None  # the decision's trigger ("manual", "api", "autopilot", ...)
    stop_price: Decimal | None  # an entry's protective stop


class EquityMark(Protocol):
    """One stored account mark, as the equity curve reads it."""

    @property
    def ts(self) -> datetime:
        """Return when the mark was taken."""
        ...

    @property
    def equity(self) -> Decimal:
        """Return the account's equity."""
        ...

    @property
    def cash(self) -> Decimal:
        """Return the account's cash."""
        ...

    @property
    def high_water_mark(self) -> Decimal:
        """Return the equity high-water mark."""
        ...


@dataclass(frozen=True, slots=True)
class OrderEntry:
    """A stored order, as the blotter shows it."""

    client_order_id: str
    broker_order_id: str | None
    decision_id: str | None
    ticker: str
    side: str
    intent: str
    qty: Decimal
    type: str
    time_in_force: str
    stop_price: Decimal | None
    status: str
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    external: bool
    error_code: str | None
    message: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SignalEntry:
    """A stored analyst signal, as the insights view lists it."""

    event_id: str
    decision_id: str
    ticker: str
    action: str
    confidence: float
    rationale: str
    reason_code: str | None
    model: str
    latency_ms: float
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal
    cache_hit: bool
    ts_event: datetime


@dataclass(frozen=True, slots=True)
class SnapshotEntry:
    """A stored market snapshot, as the market-data view lists it."""

    snapshot_id: int
    decision_id: str | None
    ticker: str
    price: Decimal | None
    source: str
    as_of: datetime
    taken_at: datetime
    payload: dict[str, Any]


class ReadViews(Protocol):
    """The reads behind the API's read views.

    Each listing returns at most ``limit`` records after skipping ``offset``, newest first;
    a view asks for one more than it shows to learn whether another page follows.
    """

    async def orders(self, f: OrderFilter, *, offset: int, limit: int) -> list[OrderEntry]:
        """Return stored orders, newest first (ties by client order id)."""
        ...

    async def decisions(self, f: DecisionFilter, *, offset: int, limit: int) -> list[DecisionLine]:
        """Return decisions, newest first (ties by decision id), each with its denial codes
        (the verdict's failed checks, in check order)."""
        ...

    async def analysts(self) -> list[str]:
        """Return the analysts (models) that have signed a decision, sorted."""
        ...

    async def journal_fills(self, *, limit: int) -> list[FillFact]:
        """Return at most ``limit`` of our fills (no external orders'), oldest first; the
        stop price is the order's only for an entry (buy to open)."""
        ...

    async def audit(self, *, limit: int, before_seq: int | None) -> list[dict[str, object]]:
        """Return audit entries newest first, rendered as the API and the stream show them;
        only those older than ``before_seq`` when given."""
        ...

    async def signals(self, *, ticker: str | None, offset: int, limit: int) -> list[SignalEntry]:
        """Return the analyst's signals, newest first (ties by event id)."""
        ...

    async def snapshots(
        self, *, ticker: str | None, offset: int, limit: int
    ) -> list[SnapshotEntry]:
        """Return stored market snapshots, newest first (ties by newest id)."""
        ...
