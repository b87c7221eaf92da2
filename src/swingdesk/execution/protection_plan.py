"""The protection invariant as a pure decision: every held share is under exactly one
working protective stop of ours, and the stops together cover exactly the shares held. When
they do not, they are replaced by one stop for the shares held at the position's recorded
stop price.

No I/O here: the StopKeeper gathers what the broker holds and which stops work, asks
``plan_protection`` what to do, and does it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class WorkingStop:
    """One of our protective stops the broker still has working."""

    client_order_id: str
    broker_order_id: str | None
    remaining_qty: Decimal
    stop_price: Decimal | None
    trailing: bool = False


@dataclass(frozen=True, slots=True)
class ProtectionPlan:
    """What to do in one ticker: keep the one right stop, or cancel and place one."""

    need_qty: Decimal
    keep: WorkingStop | None
    cancel: tuple[WorkingStop, ...]
    place_qty: Decimal
    stop_price: Decimal | None
    price_source: str  # "recorded", "working_stop", "fallback", "trail" or "none"

    @property
    def in_order(self) -> bool:
        """Say whether nothing needs to change."""
        return not self.cancel and not self.place_qty

    @property
    def missing_price(self) -> bool:
        """Say whether shares need a stop but no stop price can be named."""
        return self.place_qty > 0 and self.stop_price is None and self.price_source != "trail"


def fallback_stop_price(current_price: Decimal | None, fallback_pct: Decimal) -> Decimal | None:
    """Return a stop ``fallback_pct`` below the current price (cent below); None if unknown."""
    if current_price is None or current_price <= 0 or not 0 < fallback_pct < 1:
        return None
    price = (current_price * (1 - fallback_pct)).quantize(CENT, rounding=ROUND_DOWN)
    return price if price > 0 else None


def plan_protection(
    *,
    held_qty: Decimal,
    covered_elsewhere: Decimal,
    stops: Sequence[WorkingStop],
    recorded_stop: Decimal | None,
    fallback_stop: Decimal | None,
    trailing: bool = False,
) -> ProtectionPlan:
    """Decide how one ticker's stops must change.

    ``held_qty`` is what the broker holds; ``covered_elsewhere`` the shares that need no stop
    of their own here (a working close reserves its unfilled shares, a working entry's leg
    covers what it bought, someone else's working sell reserves its shares). The one stop
    stops kept must cover exactly the rest (each entry's leg keeps its own price); otherwise
    every stop is canceled and one is placed for the rest, at the recorded price, else the
    working stops' price, else the fallback. With ``trailing`` (the desk protects with
    trailing stops) a fixed stop does not fit either, and the one placed trails (no price).
    """
    need = max(held_qty - max(covered_elsewhere, ZERO), ZERO)
    if need == 0:
        return ProtectionPlan(need, None, tuple(stops), ZERO, None, "none")
    covering = sum((s.remaining_qty for s in stops), ZERO)
    if trailing and stops and covering == need and all(s.trailing for s in stops):
        return ProtectionPlan(need, stops[0], (), ZERO, stops[0].stop_price, "trail")
    if trailing:
        return ProtectionPlan(need, None, tuple(stops), need, None, "trail")
    if stops and covering == need and all(s.stop_price is not None for s in stops):
        # Each share is under exactly one stop: entries' legs keep the stop each was sized on.
        return ProtectionPlan(need, stops[0], (), ZERO, stops[0].stop_price, "working_stop")
    working_price = next((s.stop_price for s in stops if s.stop_price is not None), None)
    if recorded_stop is not None:
        price, source = recorded_stop, "recorded"
    elif working_price is not None:
        price, source = working_price, "working_stop"
    elif fallback_stop is not None:
        price, source = fallback_stop, "fallback"
    else:
        return ProtectionPlan(need, None, (), need, None, "none")
    return ProtectionPlan(need, None, tuple(stops), need, price, source)
