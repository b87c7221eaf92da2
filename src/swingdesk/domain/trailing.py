"""The trailing protective stop: one rule for the simulated broker and both backtest engines.

A trailing sell stop follows the highest price seen since it was placed (its high-water mark,
``hwm``): its stop is ``hwm x (1 - pct)`` (``trail_pct``) or ``hwm - trail_price``, rounded up
to the cent (a sell stop never looser than the trail), and it never moves down. Alpaca's
``trailing_stop`` order does this tick by tick; with daily bars the order of the day's high and
low is unknown, so one bar is applied conservatively (the low is assumed to come first):

1. the open is the bar's first trade: ``hwm = max(hwm, open)``;
2. the stop is computed from that ``hwm``; when the bar's low reaches it, the stop fills at
   ``min(open, stop)`` less slippage (the open when the bar gapped below the stop);
3. otherwise the bar's high raises the mark for the next bar: ``hwm = max(hwm, high)``.

At placement the mark is the price at that moment (in a backtest, the session's open at which
the entry filled or the stop was resized). Pure: no I/O, Decimal only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

from swingdesk.domain.money import CENT, price4


@dataclass(frozen=True, slots=True)
class TrailSpec:
    """How far a trailing stop trails its high-water mark: a fraction or a price distance."""

    pct: Decimal | None = None
    price: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.pct is None) == (self.price is None):
            raise ValueError("a trailing stop trails by a fraction or by a price, exactly one")
        if self.pct is not None and not Decimal(0) < self.pct < 1:
            raise ValueError(f"trail fraction must be in (0, 1), not {self.pct}")
        if self.price is not None and not self.price > 0:
            raise ValueError(f"trail price must be positive, not {self.price}")

    @classmethod
    def of(cls, pct: Decimal | None, price: Decimal | None) -> TrailSpec | None:
        """Return the spec for these settings, None when neither is set (a fixed stop)."""
        return None if pct is None and price is None else cls(pct, price)

    def level(self, hwm: Decimal) -> Decimal:
        """Return the stop for a high-water mark (cent, rounded up; never below a cent)."""
        raw = hwm * (1 - self.pct) if self.pct is not None else hwm - (self.price or 0)
        return max(raw.quantize(CENT, ROUND_CEILING), CENT)


class BarStep(NamedTuple):
    """One daily bar applied to a trailing stop: the fill (None if not hit) and the new mark."""

    fill: Decimal | None
    hwm: Decimal
    stop: Decimal


def trailing_bar_step(
    spec: TrailSpec,
    hwm: Decimal,
    bar_open: Decimal,
    bar_low: Decimal,
    bar_high: Decimal | None,
    slippage: Decimal,
) -> BarStep:
    """Apply one daily bar to a trailing sell stop (the module's rule)."""
    mark = max(hwm, bar_open)
    stop = spec.level(mark)
    if bar_low <= stop:
        return BarStep(price4(min(bar_open, stop) * (1 - slippage)), mark, stop)
    if bar_high is not None and bar_high > mark:
        mark = bar_high
    return BarStep(None, mark, spec.level(mark))
