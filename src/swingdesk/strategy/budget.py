"""What a model call costs and whether today's budget allows another one (pure).

Spend today is what the stored signals cost since midnight in New York, plus what calls
still in flight in this process may cost (reserved before each call at a worst-case
estimate), so that 32 concurrent decisions cannot overshoot the budget 32 times over.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

_PER_TOKEN = Decimal(1_000_000)
# A token is rarely fewer than 3 characters of English or JSON; dividing by 3 over-estimates.
_CHARS_PER_TOKEN_LOW = 3

SpentToday = Callable[[datetime], Awaitable[Decimal]]


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per one million input and output tokens."""

    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal

    def cost(self, tokens_in: int, tokens_out: int) -> Decimal:
        """Return the USD cost of one call."""
        return (
            Decimal(tokens_in) * self.input_usd_per_mtok
            + Decimal(tokens_out) * self.output_usd_per_mtok
        ) / _PER_TOKEN


def price_for(prices: Mapping[str, ModelPrice], model: str) -> ModelPrice | None:
    """Return the price of ``model``; a dated id (gpt-4o-mini-2024-07-18) falls back to its
    longest configured prefix."""
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith(name)]
    return prices[max(matches, key=len)] if matches else None


def estimate_tokens(text: str) -> int:
    """Return a deliberately high estimate of the tokens in ``text``."""
    return math.ceil(len(text) / _CHARS_PER_TOKEN_LOW)


class BudgetGuard:
    """Fails closed once today's spend, counting calls in flight, reaches the budget."""

    def __init__(
        self,
        daily_budget_usd: Decimal,
        spent_today: SpentToday,
        price: ModelPrice | None,
    ) -> None:
        """Keep the budget, the spend query and the model's price (None when unknown)."""
        self.daily_budget_usd = daily_budget_usd
        self.spent_today = spent_today
        self.price = price
        self._in_flight = Decimal(0)
        # Check-then-reserve must be atomic, or concurrent decisions all pass the same check.
        self._lock = asyncio.Lock()

    async def reserve(self, now: datetime, worst_case_usd: Decimal) -> str | None:
        """Reserve ``worst_case_usd``; return why the call may not go ahead, or None."""
        if self.price is None:
            # Without a price the spend cannot be counted, so a set budget cannot be kept.
            return "the model has no configured price, so the daily budget cannot be enforced"
        async with self._lock:
            spent = await self.spent_today(now)
            if spent + self._in_flight + worst_case_usd > self.daily_budget_usd:
                return (
                    f"today's LLM spend {spent:.4f} USD (+{self._in_flight:.4f} in flight, "
                    f"+{worst_case_usd:.4f} for this call) would exceed the daily budget "
                    f"of {self.daily_budget_usd} USD"
                )
            self._in_flight += worst_case_usd
            return None

    def release(self, worst_case_usd: Decimal) -> None:
        """Release a reservation once the call has finished (its real cost is then stored)."""
        self._in_flight = max(Decimal(0), self._in_flight - worst_case_usd)
