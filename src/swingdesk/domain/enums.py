"""String enums; where a value crosses a broker wire it equals the wire value."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What the analyst proposes."""

    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"


class Intent(StrEnum):
    """What an order does to the book: swingdesk is long-only."""

    BUY_TO_OPEN = "BUY_TO_OPEN"
    SELL_TO_CLOSE = "SELL_TO_CLOSE"


class OrderSide(StrEnum):
    """Order side, equal to Alpaca's wire value."""

    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    """Order type, equal to Alpaca's wire value."""

    MARKET = "market"
    STOP = "stop"
    LIMIT = "limit"
    STOP_LIMIT = "stop_limit"
    TRAILING_STOP = "trailing_stop"


class TimeInForce(StrEnum):
    """Time in force, equal to Alpaca's wire value."""

    DAY = "day"
    GTC = "gtc"
    OPG = "opg"
    CLS = "cls"
    IOC = "ioc"
    FOK = "fok"


class OrderStatus(StrEnum):
    """Order status, equal to Alpaca's wire value where Alpaca has one."""

    NEW = "new"
    HELD = "held"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """Say whether no further change can happen."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
#: An order that can still fill: every status that is not terminal (a held stop leg too).
WORKING_STATUSES = frozenset(s for s in OrderStatus if s not in TERMINAL_STATUSES)


class TradingState(StrEnum):
    """The desk's trading state."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class DataSource(StrEnum):
    """Where market data came from."""

    SIMULATED = "simulated"
    CSV = "csv"
    YAHOO = "yahoo"
    ALPACA = "alpaca"


class DecisionStatus(StrEnum):
    """How far a decision got."""

    PENDING = "pending"
    HOLD = "hold"
    REJECTED = "rejected"
    ORDERED = "ordered"
    FAILED = "failed"
