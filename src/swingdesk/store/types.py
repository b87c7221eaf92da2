"""Column types that keep Decimal exact and timestamps in UTC on every database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

_SCALE = Decimal("0.00000001")


def plain(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent form (50, not 5E+1)."""
    if value == 0:
        return Decimal(0)
    reduced = value.normalize()
    exponent = reduced.as_tuple().exponent
    return reduced.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else reduced


class Money(TypeDecorator[Decimal]):
    """``NUMERIC(24, 8)`` on PostgreSQL; exact decimal text on SQLite, which has no decimal."""

    impl = Numeric(24, 8)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Use text on SQLite so no value is ever rounded through a float."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(24, 8))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Refuse non-finite values at the boundary."""
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money columns take Decimal, got {type(value).__name__}")
        if not value.is_finite():
            raise ValueError(f"refusing to store a non-finite number: {value}")
        if dialect.name == "sqlite":
            return str(value.quantize(_SCALE))
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Return a Decimal whatever the driver gave."""
        if value is None:
            return None
        return plain(value if isinstance(value, Decimal) else Decimal(str(value)))


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, returned in UTC even from SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Refuse naive timestamps."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive timestamp")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite hands back naive."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
