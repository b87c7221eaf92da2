"""The account as the risk manager sees it: cash, positions, water marks, state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from swingdesk.domain.clock import UtcDatetime
from swingdesk.domain.enums import OrderSide, TradingState
from swingdesk.domain.money import ZERO, Dec, NonNegDec, PosDec


class Valued(Protocol):
    """Anything with a market value: our position, or the broker's."""

    @property
    def market_value(self) -> Decimal:
        """Return the value at the last price."""
        ...


def equity_of(cash: Decimal, positions: Iterable[Valued]) -> Decimal:
    """Return cash plus the market value of positions: the desk's one definition of equity."""
    return cash + sum((p.market_value for p in positions), ZERO)


def advance_water_marks(
    equity: Decimal, high_water_mark: Decimal | None, start_of_day_equity: Decimal | None
) -> tuple[Decimal, Decimal]:
    """Return (high-water mark, start-of-day equity) after seeing ``equity``; None means
    not yet set (the first read, or a new trading day for start-of-day equity)."""
    return (
        equity if high_water_mark is None else max(high_water_mark, equity),
        equity if start_of_day_equity is None else start_of_day_equity,
    )


class PositionState(BaseModel):
    """A long position in one ticker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticker: str
    qty: PosDec
    avg_price: PosDec
    market_price: PosDec
    sector: str | None = None
    stop_price: PosDec | None = None

    @property
    def market_value(self) -> Decimal:
        """Value the position at its last price."""
        return self.qty * self.market_price

    @property
    def cost_basis(self) -> Decimal:
        """Return what the position cost."""
        return self.qty * self.avg_price

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the open profit or loss."""
        return self.market_value - self.cost_basis


class PortfolioState(BaseModel):
    """A consistent picture of the account at one moment, built from broker and database."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cash: Dec
    buying_power: NonNegDec
    high_water_mark: NonNegDec
    start_of_day_equity: NonNegDec
    positions: tuple[PositionState, ...] = ()
    trading_state: TradingState = TradingState.ACTIVE
    last_order_at: Mapping[str, UtcDatetime] = Field(default_factory=dict)
    as_of: UtcDatetime

    @property
    def positions_value(self) -> Decimal:
        """Sum the market value of all positions."""
        return sum((p.market_value for p in self.positions), ZERO)

    @property
    def equity(self) -> Decimal:
        """Return cash plus the market value of positions (``equity_of``)."""
        return equity_of(self.cash, self.positions)

    def equity_at(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Return cash plus each position valued at its ticker's mark, else its market price.

        One verdict values the whole account at one set of marks (risk: the snapshot's price
        for the ticker decided); with no marks this is ``equity``, sum for sum.
        """
        total = ZERO
        for p in self.positions:
            total += p.qty * marks.get(p.ticker, p.market_price)
        return self.cash + total

    def position(self, ticker: str) -> PositionState | None:
        """Return the open position in ``ticker``, if any."""
        for p in self.positions:
            if p.ticker == ticker:
                return p
        return None

    def sector_exposure(self, sector: str) -> Decimal:
        """Sum the market value of positions in ``sector``."""
        return sum((p.market_value for p in self.positions if p.sector == sector), ZERO)

    @property
    def drawdown_pct(self) -> Decimal:
        """Return the fall of equity from its high-water mark, as a fraction (0.1 = 10%)."""
        return drawdown_fraction(self.high_water_mark, self.equity)

    @property
    def day_pnl(self) -> Decimal:
        """Return equity now minus equity at the start of the trading day."""
        return self.equity - self.start_of_day_equity

    @property
    def day_loss_pct(self) -> Decimal:
        """Return today's loss as a fraction of start-of-day equity (0 when up)."""
        return day_loss_fraction(self.start_of_day_equity, self.equity)

    def last_order(self, ticker: str) -> datetime | None:
        """Return when the desk last sent an order for ``ticker``."""
        return self.last_order_at.get(ticker)


# The two account ratios as functions of equity, so that the risk desk can compute equity
# once per decision and still share one definition with the properties above.
def drawdown_fraction(high_water_mark: Decimal, equity: Decimal) -> Decimal:
    """Return the fall of ``equity`` from ``high_water_mark``, as a fraction (0 when none)."""
    if high_water_mark <= ZERO:
        return ZERO
    fall = (high_water_mark - equity) / high_water_mark
    return fall if fall > ZERO else ZERO


def day_loss_fraction(start_of_day_equity: Decimal, equity: Decimal) -> Decimal:
    """Return the loss of ``equity`` since the start of day, as a fraction (0 when up)."""
    if start_of_day_equity <= ZERO:
        return ZERO
    loss = -(equity - start_of_day_equity) / start_of_day_equity
    return loss if loss > ZERO else ZERO


def apply_fill(
    position: PositionState | None,
    *,
    ticker: str,
    side: OrderSide,
    qty: Decimal,
    price: Decimal,
    sector: str | None,
    stop_price: Decimal | None = None,
) -> PositionState | None:
    """Return the position after a fill; None when it is closed. Long-only: selling more
    than is held is refused, because a fill must never create a short."""
    if qty <= 0 or price <= 0:
        raise ValueError("fill quantity and price must be positive")
    if side is OrderSide.BUY:
        if position is None:
            return PositionState(
                ticker=ticker,
                qty=qty,
                avg_price=price,
                market_price=price,
                sector=sector,
                stop_price=stop_price,
            )
        new_qty = position.qty + qty
        avg = (position.qty * position.avg_price + qty * price) / new_qty
        return position.model_copy(
            update={
                "qty": new_qty,
                "avg_price": avg,
                "market_price": price,
                "stop_price": stop_price if stop_price is not None else position.stop_price,
            }
        )
    held = position.qty if position is not None else ZERO
    if qty > held:
        raise ValueError(f"sell fill of {qty} exceeds the {held} shares held in {ticker}")
    if position is None or qty == held:
        return None
    return position.model_copy(update={"qty": held - qty, "market_price": price})


def position_after_fill(
    position: PositionState | None,
    *,
    ticker: str,
    side: OrderSide,
    qty: Decimal,
    price: Decimal,
    sector: str | None,
    stop_price: Decimal | None = None,
) -> tuple[PositionState | None, Decimal]:
    """Return our position after a fill, and the shares of a sell beyond it (0 normally).

    A sell may exceed our position when a reconciliation correction already adopted the
    broker's books after that sale: the position only goes to zero (never short) and the
    excess is returned for the caller to journal. Otherwise ``apply_fill``.
    """
    beyond, moved = ZERO, qty
    if side is OrderSide.SELL:
        beyond = max(qty - (position.qty if position is not None else ZERO), ZERO)
        moved = qty - beyond
    if moved == 0:
        return position, beyond
    after = apply_fill(
        position,
        ticker=ticker,
        side=side,
        qty=moved,
        price=price,
        sector=sector,
        stop_price=stop_price,
    )
    return after, beyond
