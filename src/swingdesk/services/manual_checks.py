"""The checks of manual actions beside the risk desk's: pure functions of the desk's state.

A manual action never bypasses HALTED, except a close (taking risk off must stay possible).
"""

from __future__ import annotations

from decimal import Decimal

from swingdesk.domain.enums import WORKING_STATUSES, OrderStatus, TradingState
from swingdesk.domain.events import RiskCheck
from swingdesk.domain.portfolio import PositionState
from swingdesk.execution.protection import STOP_TYPES
from swingdesk.risk.codes import RiskCode

MANUAL = "manual"
#: Codes of the manual actions' own checks (beside the risk desk's).
CLOSE_QTY = "CLOSE_QTY"
STOP_INVALID = RiskCode.STOP_INVALID.value
STOP_NOT_TIGHTER = "STOP_NOT_TIGHTER"
ORDER_NOT_WORKING = "ORDER_NOT_WORKING"
PROTECTIVE_STOP = "PROTECTIVE_STOP"


def check(code: str, passed: bool, value: object, limit: object, message: str) -> RiskCheck:
    return RiskCheck(
        code=code,
        passed=passed,
        value=None if value is None else str(value),
        limit=None if limit is None else str(limit),
        message=message,
    )


def halted_check(state: TradingState, *, closing: bool) -> RiskCheck:
    """Return the HALTED check of a manual action (a close passes it even while HALTED)."""
    if closing:
        return check(
            RiskCode.HALTED.value,
            True,
            state.value,
            "not HALTED, except a close",
            f"trading state is {state.value}; a manual close may always take risk off",
        )
    return check(
        RiskCode.HALTED.value,
        state is not TradingState.HALTED,
        state.value,
        "not HALTED",
        f"trading state is {state.value}",
    )


def stop_checks(
    state: TradingState,
    position: PositionState | None,
    stop_price: Decimal,
    *,
    allow_loosen: bool,
) -> tuple[RiskCheck, ...]:
    """Return the checks a stop move must pass: not halted, a position, below the price,
    and tighter than the stop it replaces unless loosening is explicitly allowed."""
    checks = [halted_check(state, closing=False)]
    held = position is not None and position.qty > 0
    checks.append(
        check(
            RiskCode.NO_POSITION.value,
            held,
            position.qty if position else 0,
            "> 0",
            "a position to protect" if held else "no position held",
        )
    )
    if position is None or not held:
        return tuple(checks)
    price = position.market_price
    checks.append(
        check(
            STOP_INVALID,
            Decimal(0) < stop_price < price,
            stop_price,
            price,
            f"a sell stop must lie below the market price {price}",
        )
    )
    current = position.stop_price
    tighter = current is None or stop_price > current
    checks.append(
        check(
            STOP_NOT_TIGHTER,
            tighter or allow_loosen,
            stop_price,
            current,
            "tighter than the current stop"
            if tighter
            else (
                "looser than the current stop (explicitly allowed)"
                if allow_loosen
                else f"a manual stop move must be tighter than the current stop {current}"
            ),
        )
    )
    return tuple(checks)


def cancel_checks(
    state: TradingState, *, status: str, external: bool, order_type: str
) -> tuple[RiskCheck, ...]:
    """Return the checks a cancel must pass: not halted, our working order, not a stop."""
    working = OrderStatus(status) in WORKING_STATUSES and not external
    return (
        halted_check(state, closing=False),
        check(
            ORDER_NOT_WORKING,
            working,
            status,
            "a working order of ours",
            "the order is working" if working else "only a working order of ours can be canceled",
        ),
        check(
            PROTECTIVE_STOP,
            order_type not in STOP_TYPES,
            order_type,
            "not a protective stop",
            "not a stop"
            if order_type not in STOP_TYPES
            else "a protective stop is moved or closed with its position, never canceled alone",
        ),
    )
