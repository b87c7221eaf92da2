"""Reconciliation as pure functions: compare the broker's books with ours, decide what to do.

The broker is the source of truth. Per ticker, the drift is the share difference valued at
the broker's per-share price (market_value / qty; our average price when the broker has no
position). When the summed drift exceeds ``max_drift_pct`` of the portfolio value, the plan
says HALT and corrects nothing; otherwise it lists the corrections that make our positions
equal to the broker's. No I/O here: the SyncWorker reads, calls these, and writes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from swingdesk.domain.enums import OrderStatus
from swingdesk.ports import BrokerOrder, BrokerPosition

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LocalPosition:
    """One position as our books hold it."""

    ticker: str
    qty: Decimal
    avg_price: Decimal


@dataclass(frozen=True, slots=True)
class TickerDrift:
    """How far our position in one ticker is from the broker's."""

    ticker: str
    broker_qty: Decimal
    local_qty: Decimal
    price: Decimal
    drift_notional: Decimal
    drift_pct: Decimal


class CorrectionKind(StrEnum):
    """What a correction does to our position row."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class PositionCorrection:
    """Overwrite our position in one ticker with the broker's."""

    kind: CorrectionKind
    ticker: str
    qty_before: Decimal
    qty_after: Decimal
    avg_before: Decimal | None
    avg_after: Decimal | None


@dataclass(frozen=True, slots=True)
class PositionPlan:
    """The position half of a reconciliation: drift, the halt decision, corrections."""

    drifts: tuple[TickerDrift, ...]
    drift_notional: Decimal
    drift_pct: Decimal
    portfolio_value: Decimal
    max_drift_pct: Decimal
    halt: bool
    corrections: tuple[PositionCorrection, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class LocalOrder:
    """One order our books consider open."""

    client_order_id: str
    status: OrderStatus
    filled_qty: Decimal


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """The order half: what to import, what to refresh, what to look up."""

    to_import: tuple[BrokerOrder, ...]
    to_refresh: tuple[BrokerOrder, ...]
    to_look_up: tuple[str, ...]


def per_share_price(position: BrokerPosition) -> Decimal:
    """Return market_value / qty (the broker's own valuation), zero for an empty position."""
    return position.market_value / position.qty if position.qty else ZERO


def plan_positions(
    broker: Iterable[BrokerPosition],
    local: Mapping[str, LocalPosition],
    *,
    portfolio_value: Decimal,
    max_drift_pct: Decimal,
) -> PositionPlan:
    """Compare position sets; halt above ``max_drift_pct`` of equity, else correct ours."""
    theirs = {p.ticker: p for p in broker}
    drifts: list[TickerDrift] = []
    corrections: list[PositionCorrection] = []
    short = sorted(t for t, p in theirs.items() if p.qty < 0)
    for ticker in sorted(theirs.keys() | local.keys()):
        b, m = theirs.get(ticker), local.get(ticker)
        b_qty, m_qty = (b.qty if b else ZERO), (m.qty if m else ZERO)
        price = per_share_price(b) if b is not None and b.qty else (m.avg_price if m else ZERO)
        notional = abs(b_qty - m_qty) * price
        if b_qty != m_qty:
            drifts.append(
                TickerDrift(ticker, b_qty, m_qty, price, notional, _pct(notional, portfolio_value))
            )
        correction = _correction(ticker, b, m)
        if correction is not None:
            corrections.append(correction)
    total = sum((d.drift_notional for d in drifts), ZERO)
    pct = _pct(total, portfolio_value)
    halt = pct > max_drift_pct or bool(short)
    if short:
        reason = f"the broker holds short positions in {', '.join(short)}; swingdesk is long-only"
    elif halt:
        reason = (
            f"position drift {pct:.2%} of portfolio value {portfolio_value:.2f} exceeds "
            f"{max_drift_pct:.2%}: "
            + ", ".join(
                f"{d.ticker} broker {d.broker_qty} vs ours {d.local_qty} "
                f"({d.drift_notional:.2f} = {d.drift_pct:.2%})"
                for d in drifts
            )
        )
    else:
        reason = ""
    return PositionPlan(
        drifts=tuple(drifts),
        drift_notional=total,
        drift_pct=pct,
        portfolio_value=portfolio_value,
        max_drift_pct=max_drift_pct,
        halt=halt,
        corrections=() if halt else tuple(corrections),
        reason=reason,
    )


def _pct(notional: Decimal, value: Decimal) -> Decimal:
    if notional == 0:
        return ZERO
    # Without a positive portfolio value any drift is unbounded: report 100%.
    return notional / value if value > 0 else Decimal(1)


def _correction(
    ticker: str, b: BrokerPosition | None, m: LocalPosition | None
) -> PositionCorrection | None:
    if b is not None and b.qty > 0:
        if m is None:
            return PositionCorrection(
                CorrectionKind.CREATE, ticker, ZERO, b.qty, None, b.avg_entry_price
            )
        if m.qty != b.qty or m.avg_price != b.avg_entry_price:
            return PositionCorrection(
                CorrectionKind.UPDATE, ticker, m.qty, b.qty, m.avg_price, b.avg_entry_price
            )
        return None
    if m is not None:
        return PositionCorrection(CorrectionKind.DELETE, ticker, m.qty, ZERO, m.avg_price, None)
    return None


def apply_corrections(
    local: Mapping[str, LocalPosition], corrections: Iterable[PositionCorrection]
) -> dict[str, LocalPosition]:
    """Return our positions after the corrections (the SyncWorker writes the same to the DB)."""
    out = dict(local)
    for c in corrections:
        if c.kind is CorrectionKind.DELETE:
            out.pop(c.ticker, None)
        else:
            assert c.avg_after is not None
            out[c.ticker] = LocalPosition(c.ticker, c.qty_after, c.avg_after)
    return out


def flatten(orders: Iterable[BrokerOrder]) -> list[BrokerOrder]:
    """Return orders with their legs (protective stops) listed alongside them."""
    out: list[BrokerOrder] = []
    for o in orders:
        out.append(o)
        out.extend(flatten(o.legs))
    return out


def plan_orders(
    broker_open: Sequence[BrokerOrder],
    local_open: Mapping[str, LocalOrder],
    known: Collection[str],
) -> OrderPlan:
    """Compare open orders: import the broker's unknown ones, refresh changed ones, and list
    ours the broker no longer shows as open (they must be looked up by client order id).

    A stop leg belongs to its parent: the legs of one of our orders are ours (refreshing the
    parent books them), the legs of an unknown order are imported with it.
    """
    to_import: list[BrokerOrder] = []
    to_refresh: list[BrokerOrder] = []
    for o in broker_open:
        if o.client_order_id not in known:
            to_import.append(o)
        elif any(
            x.client_order_id not in known or _differs(x, local_open.get(x.client_order_id))
            for x in flatten([o])
        ):
            to_refresh.append(o)
    seen = {o.client_order_id for o in flatten(broker_open)}
    to_look_up = tuple(
        sorted(client_order_id for client_order_id in local_open if client_order_id not in seen)
    )
    return OrderPlan(tuple(to_import), tuple(to_refresh), to_look_up)


def _differs(theirs: BrokerOrder, ours: LocalOrder | None) -> bool:
    return ours is not None and (
        theirs.status != ours.status or theirs.filled_qty != ours.filled_qty
    )
