"""Decimal money, price and quantity helpers; floats never enter the domain."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

CENT = Decimal("0.01")
PRICE_QUANTUM = Decimal("0.0001")
ZERO = Decimal(0)


def to_decimal(value: object) -> Decimal:
    """Convert a number or numeric string to a finite Decimal, rejecting NaN and infinity."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() gives the shortest string that round-trips, so 0.1 becomes Decimal("0.1").
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"must not be negative: {value}")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError(f"must be positive: {value}")
    return value


_as_str = PlainSerializer(lambda d: str(d), return_type=str, when_used="json")

#: Any finite decimal (P&L, day change may be negative).
Dec = Annotated[Decimal, BeforeValidator(to_decimal), _as_str]
#: A finite decimal >= 0 (cash, quantities, volumes).
NonNegDec = Annotated[Decimal, BeforeValidator(to_decimal), AfterValidator(_non_negative), _as_str]
#: A finite decimal > 0 (prices).
PosDec = Annotated[Decimal, BeforeValidator(to_decimal), AfterValidator(_positive), _as_str]


def cents(value: Decimal) -> Decimal:
    """Round a money amount to whole cents, banker's rounding."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def price4(value: Decimal) -> Decimal:
    """Round a price to four decimal places, the precision brokers accept for stocks."""
    return value.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)


def floor_int(value: Decimal) -> int:
    """Return the largest whole number not above a non-negative value."""
    if value <= 0:
        return 0
    return int(value.to_integral_value(rounding=ROUND_DOWN))
