"""Position sizing for a new long: risk a fixed slice of equity to a volatility stop."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import partial
from typing import NamedTuple

from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.money import CENT, ZERO
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.risk.limits import LimitValues, RiskLimits


class EntrySize(NamedTuple):
    """The sized entry and the numbers behind it; ``notional`` is shares x price."""

    shares: int
    price: Decimal
    stop_distance: Decimal
    stop_price: Decimal
    risk_dollars: Decimal
    risk_shares: int
    cap_shares: int
    notional: Decimal


# Calling a NamedTuple class runs its Python-level __new__ through the slow path (about 0.4 us
# for these eight fields); the risk desk sizes every BUY, so it builds the tuple directly.
_entry_size = partial(tuple.__new__, EntrySize)


def decision_marks(market: MarketSnapshot) -> dict[str, Decimal]:
    """Return the marks a verdict values the account at: the snapshot's price for its ticker."""
    return {} if market.price is None else {market.ticker: market.price}


def size_entry(
    portfolio: PortfolioState, market: MarketSnapshot, limits: RiskLimits
) -> EntrySize | None:
    """Size a BUY_TO_OPEN; None when price or ATR-14 is missing.

    risk_dollars = equity x risk_per_trade_pct; stop_distance = atr_stop_multiple x ATR-14;
    shares = floor(risk_dollars / stop_distance), capped at floor(equity x max_ticker_pct / price).
    The stop is rounded *up* to the cent so the money at risk never exceeds risk_dollars.
    Equity is the account at the decision's marks (``decision_marks``), as every rule sees it.
    """
    return size_for_equity(portfolio.equity_at(decision_marks(market)), market, limits)


def size_for_equity(
    equity: Decimal, market: MarketSnapshot, limits: RiskLimits | LimitValues
) -> EntrySize | None:
    """Size a BUY_TO_OPEN for an account worth ``equity``, as ``size_entry`` does.

    The risk desk passes its ``LimitValues`` (the same values, cheaper to read).
    """
    price, atr = market.price, market.atr_14
    if price is None or atr is None:
        return None
    base = ZERO if equity < ZERO else equity  # max(equity, 0), as the docstring says
    risk_dollars = base * limits.risk_per_trade_pct
    stop_distance = atr * limits.atr_stop_multiple
    stop_price = (price - stop_distance).quantize(CENT, ROUND_CEILING)
    # Both quotients are >= 0 (base >= 0, price > 0, stop_distance > 0), so int()'s
    # truncation is the floor.
    cap_shares = int(base * limits.max_ticker_pct / price)
    if stop_distance <= ZERO or stop_price <= ZERO or stop_price >= price:
        risk_shares = 0
    else:
        risk_shares = int(risk_dollars / stop_distance)
    shares = min(risk_shares, cap_shares)
    return _entry_size(
        (
            shares,
            price,
            stop_distance,
            stop_price,
            risk_dollars,
            risk_shares,
            cap_shares,
            shares * price,
        )
    )


def size_close(held_qty: Decimal, fraction: Decimal | None) -> Decimal:
    """Size a SELL_TO_CLOSE: the whole position, or floor(held x fraction) whole shares.

    A partial close sells whole shares only, rounded down so it never sells more than the
    fraction asked (nor more than is held); the result is 0 when the fraction is too small
    for one share, which risk denies (``CLOSE_SIZE``). A fraction of 1 (or none) closes
    everything held, fractional shares included, as a full close always did.
    """
    if fraction is None or fraction >= 1 or held_qty <= 0:
        return max(held_qty, ZERO)
    return min((held_qty * fraction).to_integral_value(ROUND_FLOOR), held_qty)
