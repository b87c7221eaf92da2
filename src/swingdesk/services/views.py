"""Read models shared by the CLI and the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from swingdesk.domain.money import cents
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.risk.limits import RiskLimits
from swingdesk.unit_of_work import EquityMark, OrderEntry, OrderFilter, ReadViews


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


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def risk_view(
    p: PortfolioState,
    limits: RiskLimits,
    *,
    vix: Decimal | None = None,
    denials_today: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Render limits next to current exposures per ticker and sector, drawdown, day P&L,
    VIX and today's denials by code."""
    equity = p.equity
    largest = max((pos.market_value for pos in p.positions), default=None)
    by_sector: dict[str, Decimal] = {}
    tickers = []
    for pos in p.positions:
        sector = pos.sector or "Unknown"
        by_sector[sector] = by_sector.get(sector, Decimal(0)) + pos.market_value
        tickers.append(
            {
                "ticker": pos.ticker,
                "sector": pos.sector,
                "market_value": str(cents(pos.market_value)),
                "pct_of_equity": _pct(pos.market_value / equity) if equity > 0 else None,
                "limit_pct": _pct(limits.max_ticker_pct),
            }
        )
    return {
        "as_of": p.as_of.isoformat(),
        "trading_state": p.trading_state.value,
        "equity": str(cents(equity)),
        "drawdown_pct": _pct(p.drawdown_pct),
        "max_drawdown_pct": _pct(limits.max_drawdown_pct),
        "day_pnl": str(cents(p.day_pnl)),
        "day_loss_pct": _pct(p.day_loss_pct),
        "max_daily_loss_pct": _pct(limits.max_daily_loss_pct),
        "limits": limits.model_dump(mode="json"),
        "largest_position_pct": (
            _pct(largest / equity) if largest is not None and equity > 0 else None
        ),
        "vix": None if vix is None else str(vix),
        "max_vix": str(limits.max_vix),
        "denials_today": dict(denials_today or {}),
        "tickers": tickers,
        "sectors": [
            {
                "sector": sector,
                "market_value": str(cents(value)),
                "pct_of_equity": _pct(value / equity) if equity > 0 else None,
                "limit_pct": _pct(limits.max_sector_pct),
            }
            for sector, value in sorted(by_sector.items())
        ],
    }


def equity_point(row: EquityMark) -> dict[str, str]:
    """Render one stored account mark for the equity curve."""
    return {
        "ts": row.ts.isoformat(),
        "equity": str(cents(row.equity)),
        "cash": str(cents(row.cash)),
        "high_water_mark": str(cents(row.high_water_mark)),
    }


def order_view(o: OrderEntry) -> dict[str, Any]:
    """Render one stored order."""
    return {
        "client_order_id": o.client_order_id,
        "broker_order_id": o.broker_order_id,
        "decision_id": o.decision_id,
        "ticker": o.ticker,
        "side": o.side,
        "intent": o.intent,
        "qty": str(o.qty),
        "type": o.type,
        "time_in_force": o.time_in_force,
        "stop_price": _str(o.stop_price),
        "status": o.status,
        "filled_qty": str(o.filled_qty),
        "filled_avg_price": _str(o.filled_avg_price),
        "external": o.external,
        "error_code": o.error_code,
        "message": o.message,
        "created_at": o.created_at.isoformat(),
        "updated_at": o.updated_at.isoformat(),
    }


def _page(items: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    full = len(items) > limit
    return {
        "items": items[:limit],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if full else None,
    }


async def orders_page(
    reads: ReadViews,
    *,
    limit: int,
    offset: int,
    status: str | None,
    ticker: str | None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """Return stored orders, newest first, of New York days ``since``..``until`` inclusive."""
    f = OrderFilter(status=status, ticker=ticker, since=since, until=until)
    rows = await reads.orders(f, offset=offset, limit=limit + 1)
    return _page([order_view(o) for o in rows], limit, offset)


async def audit_page(reads: ReadViews, *, limit: int, before_seq: int | None) -> dict[str, Any]:
    """Return audit entries newest first, with the cursor for the next (older) page."""
    entries = await reads.audit(limit=limit + 1, before_seq=before_seq)
    items = entries[:limit]
    more = len(entries) > limit
    return {
        "items": items,
        "limit": limit,
        "next_before_seq": items[-1]["seq"] if more and items else None,
    }


async def insights_page(
    reads: ReadViews, *, limit: int, offset: int, ticker: str | None
) -> dict[str, Any]:
    """Return the analyst's signals, newest first."""
    rows = await reads.signals(ticker=ticker, offset=offset, limit=limit + 1)
    items = [
        {
            "event_id": r.event_id,
            "decision_id": r.decision_id,
            "ticker": r.ticker,
            "action": r.action,
            "confidence": r.confidence,
            "rationale": r.rationale,
            "reason_code": r.reason_code,
            "model": r.model,
            "latency_ms": r.latency_ms,
            "tokens_in": r.tokens_in,
            "tokens_out": r.tokens_out,
            "cost_usd": str(r.cost_usd),
            "cache_hit": r.cache_hit,
            "ts_event": r.ts_event.isoformat(),
        }
        for r in rows
    ]
    return _page(items, limit, offset)


async def snapshots_page(
    reads: ReadViews, *, limit: int, offset: int, ticker: str | None
) -> dict[str, Any]:
    """Return stored market snapshots, newest first."""
    rows = await reads.snapshots(ticker=ticker, offset=offset, limit=limit + 1)
    items = [
        {
            "snapshot_id": r.snapshot_id,
            "decision_id": r.decision_id,
            "ticker": r.ticker,
            "price": _str(r.price),
            "source": r.source,
            "as_of": r.as_of.isoformat(),
            "taken_at": r.taken_at.isoformat(),
            "snapshot": r.payload,
        }
        for r in rows
    ]
    return _page(items, limit, offset)
