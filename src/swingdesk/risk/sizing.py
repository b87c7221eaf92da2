"""Position sizing for a new long: risk a fixed slice of equity to a volatility stop."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.money import CENT, floor_int
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.risk.limits import RiskLimits


@dataclass(frozen=True, slots=True)
class EntrySize:
    """The sized entry and the numbers behind it."""

    shares: int
    price: Decimal
    stop_distance: Decimal
    stop_price: Decimal
    risk_dollars: Decimal
    risk_shares: int
    cap_shares: int

    @property
    def notional(self) -> Decimal:
        """Return what the entry costs at the reference price."""
        return self.shares * self.price


def size_entry(
    portfolio: PortfolioState, market: MarketSnapshot, limits: RiskLimits
) -> EntrySize | None:
    """Size a BUY_TO_OPEN; None when price or ATR-14 is missing.

    risk_dollars = equity x risk_per_trade_pct; stop_distance = atr_stop_multiple x ATR-14;
    shares = floor(risk_dollars / stop_distance), capped at floor(equity x max_ticker_pct / price).
    The stop is rounded *up* to the cent so the money at risk never exceeds risk_dollars.
    """
    price, atr = market.price, market.atr_14
    if price is None or atr is None:
        return None
    equity = portfolio.equity
    risk_dollars = max(equity, Decimal(0)) * limits.risk_per_trade_pct
    stop_distance = atr * limits.atr_stop_multiple
    raw_stop = price - stop_distance
    stop_price = raw_stop.quantize(CENT, rounding=ROUND_CEILING)
    cap_shares = floor_int(max(equity, Decimal(0)) * limits.max_ticker_pct / price)
    if stop_distance <= 0 or stop_price <= 0 or stop_price >= price:
        risk_shares = 0
    else:
        risk_shares = floor_int(risk_dollars / stop_distance)
    return EntrySize(
        shares=min(risk_shares, cap_shares),
        price=price,
        stop_distance=stop_distance,
        stop_price=stop_price,
        risk_dollars=risk_dollars,
        risk_shares=risk_shares,
        cap_shares=cap_shares,
    )
