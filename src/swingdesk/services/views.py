"""Read models shared by the CLI and the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from swingdesk.domain.money import cents
from swingdesk.domain.portfolio import PortfolioState


def _pct(value: Decimal) -> str:
    return str((value * 100).quantize(Decimal("0.01")))


def portfolio_view(p: PortfolioState) -> dict[str, Any]:
    """Render a portfolio for people: money in cents, fractions as percentages."""
    equity = p.equity
    return {
        "as_of": p.as_of.isoformat(),
        "trading_state": p.trading_state.value,
        "equity": str(cents(equity)),
        "cash": str(cents(p.cash)),
        "buying_power": str(cents(p.buying_power)),
        "high_water_mark": str(cents(p.high_water_mark)),
        "start_of_day_equity": str(cents(p.start_of_day_equity)),
        "day_pnl": str(cents(p.day_pnl)),
        "drawdown_pct": _pct(p.drawdown_pct),
        "positions": [
            {
                "ticker": pos.ticker,
                "qty": str(pos.qty),
                "avg_price": str(pos.avg_price.quantize(Decimal("0.0001"))),
                "market_price": str(pos.market_price),
                "market_value": str(cents(pos.market_value)),
                "unrealized_pnl": str(cents(pos.unrealized_pnl)),
                "pct_of_equity": _pct(pos.market_value / equity) if equity > 0 else None,
                "sector": pos.sector,
                "stop_price": None if pos.stop_price is None else str(pos.stop_price),
            }
            for pos in p.positions
        ],
    }
