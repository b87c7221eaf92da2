"""Orders approved but not yet at the broker, as the risk desk must see them.

A backtest approves in the evening and sends at the next open, so several approvals of one
evening are in flight together. Live, an order reaches the broker at once and the account
shows it; here each pending entry is shown as if already filled at its reference price:
cash and buying power fall by its notional and a position of that size appears, so
buying power and ticker and sector concentration count it, and equity is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from swingdesk.domain.money import ZERO
from swingdesk.domain.portfolio import PortfolioState, PositionState


class PendingEntry(NamedTuple):
    """An approved BUY_TO_OPEN waiting to be sent."""

    ticker: str
    qty: Decimal
    reference_price: Decimal
    sector: str | None


def with_pending_entries(
    portfolio: PortfolioState, pending: Sequence[PendingEntry]
) -> PortfolioState:
    """Return ``portfolio`` with every pending entry booked at its reference price."""
    if not pending:
        return portfolio
    notional = ZERO
    positions = list(portfolio.positions)
    for p in pending:
        notional += p.qty * p.reference_price
        positions.append(
            PositionState(
                ticker=p.ticker,
                qty=p.qty,
                avg_price=p.reference_price,
                market_price=p.reference_price,
                sector=p.sector,
            )
        )
    bp = portfolio.buying_power - notional
    return portfolio.model_copy(
        update={
            "cash": portfolio.cash - notional,
            "buying_power": bp if bp > ZERO else ZERO,
            "positions": tuple(positions),
        }
    )
