"""How the simulated broker fills: market orders at a price plus slippage, resting sell
stops (fixed or trailing) on daily bars or at the current price. The fast backtest engine
calls the same functions, so both engines fill alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import NamedTuple

from swingdesk.domain.enums import OrderSide, OrderType
from swingdesk.domain.money import price4
from swingdesk.domain.trailing import TrailSpec, trailing_bar_step
from swingdesk.unit_of_work.sim_ledger import SimOrder

#: A daily bar: (open, low), or (open, low, high) where a trailing stop needs the high.
Bar = tuple[Decimal, ...]
Bars = Mapping[str, Bar]
STOP_TYPES = frozenset({OrderType.STOP, OrderType.TRAILING_STOP})


class StopMark(NamedTuple):
    """A trailing stop's high-water mark and the stop it gives."""

    hwm: Decimal
    stop: Decimal


def market_fill_price(price: Decimal, side: OrderSide, slippage: Decimal) -> Decimal:
    """Return the fill of a market order at ``price``: slippage (a fraction) against us."""
    sign = 1 if side is OrderSide.BUY else -1
    return price4(price * (1 + sign * slippage))


def bar_stop_fill(
    bar_open: Decimal, bar_low: Decimal, stop: Decimal, slippage: Decimal
) -> Decimal | None:
    """Return the fill of a sell stop on a daily bar, None when the low stays above it.

    It triggers when the low reaches the stop and fills at the stop, or at the open when
    the bar gapped below it, less slippage.
    """
    if bar_low > stop:
        return None
    return price4(min(bar_open, stop) * (1 - slippage))


def stop_fill(
    leg: SimOrder, bar: Bar | None, current: Decimal | None, slippage: Decimal
) -> tuple[SimOrder, Decimal | None]:
    """Return a resting stop as it stands now and its fill on a bar (or at the current
    price), None when not hit; a trailing stop's mark and stop move first
    (``domain.trailing``)."""
    if leg.type == OrderType.TRAILING_STOP.value and leg.hwm is not None:
        spec = TrailSpec(leg.trail_pct, leg.trail_price)
        if bar is not None:
            step = trailing_bar_step(spec, leg.hwm, bar[0], bar[1], _high(bar), slippage)
            return replace(leg, hwm=step.hwm, stop_price=step.stop), step.fill
        assert current is not None
        hwm = max(leg.hwm, current)
        leg = replace(leg, hwm=hwm, stop_price=spec.level(hwm))
    assert leg.stop_price is not None
    if bar is not None:
        return leg, bar_stop_fill(bar[0], bar[1], leg.stop_price, slippage)
    assert current is not None
    return leg, None if current > leg.stop_price else price4(current * (1 - slippage))


def _high(bar: Bar) -> Decimal | None:
    return bar[2] if len(bar) > 2 else None
