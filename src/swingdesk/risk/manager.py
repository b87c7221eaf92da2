"""The RiskManager: evaluates every rule for a signal and approves, sizes or denies it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter

from swingdesk.domain.enums import Action, Intent, OrderSide, TradingState
from swingdesk.domain.events import RiskApproved, RiskCheck, RiskRejected, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.money import ZERO
from swingdesk.domain.portfolio import PortfolioState, day_loss_fraction, drawdown_fraction
from swingdesk.risk import rules
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.inputs import LimitTexts, RiskInput, pct, prepare
from swingdesk.risk.limits import RiskLimits
from swingdesk.risk.sizing import EntrySize, size_close

_OPENING_RULES = rules.EVERY_ORDER + rules.OPENING
_CLOSING_RULES = rules.EVERY_ORDER + rules.CLOSING
_passed = attrgetter("passed")
# Bound once: looking an enum member or a model's classmethod up on its class costs 0.1-0.2 us,
# about what a rule's comparison does, and a verdict looked up several.
_HOLD, _BUY = Action.HOLD, Action.BUY
_BUY_TO_OPEN, _SELL_TO_CLOSE = Intent.BUY_TO_OPEN, Intent.SELL_TO_CLOSE
_SIDE_BUY, _SIDE_SELL = OrderSide.BUY, OrderSide.SELL
_REJECTED, _APPROVED = RiskRejected.trusted, RiskApproved.trusted


def assess_account(
    portfolio: PortfolioState, limits: RiskLimits, *, marks: Mapping[str, Decimal] | None = None
) -> str | None:
    """Return why an ACTIVE desk must move to REDUCING, or None when it need not.

    A drawdown of 10% from the high-water mark, or a day's loss of 3%, stops new risk;
    returning to ACTIVE takes a person's explicit resume. The account is valued at its
    positions' market prices, or at ``marks`` where given (a verdict's, ``decision_marks``).
    """
    if portfolio.trading_state is not TradingState.ACTIVE:
        return None
    equity = portfolio.equity if marks is None else portfolio.equity_at(marks)
    drawdown = drawdown_fraction(portfolio.high_water_mark, equity)
    day_loss = day_loss_fraction(portfolio.start_of_day_equity, equity)
    reasons = []
    if drawdown >= limits.max_drawdown_pct:
        reasons.append(
            f"{RiskCode.MAX_DRAWDOWN.value}: drawdown {pct(drawdown)} "
            f">= {pct(limits.max_drawdown_pct)}"
        )
    if day_loss >= limits.max_daily_loss_pct:
        reasons.append(
            f"{RiskCode.DAILY_LOSS.value}: day loss {pct(day_loss)} "
            f">= {pct(limits.max_daily_loss_pct)}"
        )
    return "; ".join(reasons) or None


class RiskManager:
    """Deterministic and pure: the same inputs always give the same verdict."""

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self._texts = LimitTexts(limits)

    def evaluate_signal(
        self,
        signal: SignalCreated,
        portfolio: PortfolioState,
        market: MarketSnapshot,
        now: datetime,
    ) -> RiskApproved | RiskRejected:
        """Evaluate every applicable rule and return an approval or a denial, never raise."""
        action = signal.action
        if action is _HOLD:
            raise ValueError("HOLD creates no order and is not sent to risk")
        if signal.ticker != market.ticker:
            raise ValueError("signal and market snapshot are for different tickers")
        opening = action is _BUY
        inp = prepare(signal, portfolio, market, now, self._texts, opening=opening)
        checks = tuple([rule(inp) for rule in (_OPENING_RULES if opening else _CLOSING_RULES)])
        # Every value of the verdict is finite and in range by construction (see
        # RiskApproved.trusted); only ``now`` comes straight from the caller, so anything but
        # a UTC datetime goes through the validating constructor, which normalises or refuses it.
        trusted = type(now) is datetime and now.tzinfo is UTC
        if not all(map(_passed, checks)):
            return _deny(inp, checks, trusted=trusted, opening=opening)
        if inp.entry is not None:
            return _approve_entry(inp, inp.entry, checks, trusted=trusted)
        return _approve_close(inp, checks, trusted=trusted)


def _deny(
    inp: RiskInput, checks: tuple[RiskCheck, ...], *, trusted: bool, opening: bool
) -> RiskRejected:
    """The denial: every check, and the sized entry's quantity and stop where there is one."""
    signal, entry = inp.signal, inp.entry
    return (_REJECTED if trusted else RiskRejected)(
        decision_id=signal.decision_id,
        ts_event=inp.now,
        ticker=signal.ticker,
        signal_event_id=signal.event_id,
        action=signal.action,
        checks=checks,
        intent=_BUY_TO_OPEN if opening else _SELL_TO_CLOSE,
        qty=Decimal(entry.shares) if entry else None,
        stop_price=entry.stop_price if entry and entry.stop_price > ZERO else None,
    )


def _approve_entry(
    inp: RiskInput, entry: EntrySize, checks: tuple[RiskCheck, ...], *, trusted: bool
) -> RiskApproved:
    """A BUY_TO_OPEN approved at its sized quantity, with its protective stop."""
    signal = inp.signal
    return (_APPROVED if trusted else RiskApproved)(
        decision_id=signal.decision_id,
        ts_event=inp.now,
        ticker=signal.ticker,
        signal_event_id=signal.event_id,
        action=signal.action,
        checks=checks,
        intent=_BUY_TO_OPEN,
        side=_SIDE_BUY,
        qty=Decimal(entry.shares),
        reference_price=entry.price,
        stop_price=entry.stop_price,
        stop_distance=entry.stop_distance,
        risk_dollars=entry.risk_dollars,
        notional=entry.notional,
    )


def _approve_close(inp: RiskInput, checks: tuple[RiskCheck, ...], *, trusted: bool) -> RiskApproved:
    """A SELL_TO_CLOSE approved for the whole position or its fraction (``size_close``)."""
    signal, held = inp.signal, inp.held
    assert held is not None  # has_position passed
    price = inp.market.price or held.market_price
    qty = size_close(held.qty, signal.close_fraction)  # close_size passed: 0 < qty <= held
    return (_APPROVED if trusted else RiskApproved)(
        decision_id=signal.decision_id,
        ts_event=inp.now,
        ticker=signal.ticker,
        signal_event_id=signal.event_id,
        action=signal.action,
        checks=checks,
        intent=_SELL_TO_CLOSE,
        side=_SIDE_SELL,
        qty=qty,
        reference_price=price,
        notional=qty * price,
    )
