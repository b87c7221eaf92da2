"""Chart data: daily OHLCV with SMA-20/50, computed from the provider's bars."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from swingdesk.marketdata.indicators import SMA_LONG, compute_indicators
from swingdesk.ports import MarketData


def _num(value: object, digits: int = 4) -> float | None:
    x = float(value)  # type: ignore[arg-type]
    return round(x, digits) if math.isfinite(x) else None


async def market_history(
    provider: MarketData, ticker: str, now: datetime, days: int
) -> dict[str, Any]:
    """Return the last ``days`` daily bars with SMA-20 and SMA-50 (null until defined)."""
    # Extra bars in front so that SMA-50 is defined from the first bar shown.
    bars = await provider.daily_bars(ticker, now, days + SMA_LONG)
    ind = compute_indicators(bars) if not bars.empty else None
    rows = []
    for i, (idx, bar) in enumerate(bars.iterrows()):
        if i < len(bars) - days:
            continue
        rows.append(
            {
                "date": idx.date().isoformat() if hasattr(idx, "date") else str(idx),
                "open": _num(bar["open"]),
                "high": _num(bar["high"]),
                "low": _num(bar["low"]),
                "close": _num(bar["close"]),
                "volume": _num(bar["volume"], 0),
                "sma_20": _num(ind["sma_20"].iloc[i]) if ind is not None else None,
                "sma_50": _num(ind["sma_50"].iloc[i]) if ind is not None else None,
            }
        )
    return {
        "ticker": ticker,
        "source": provider.source.value,
        "as_of": now.isoformat(),
        "bars": rows,
    }
