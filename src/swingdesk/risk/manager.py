"""The RiskManager: evaluates every rule for a signal and approves, sizes or denies it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from swingdesk.domain.enums import Action, Intent, OrderSide, TradingState
from swingdesk.domain.events import RiskApproved, RiskCheck, RiskRejected, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.risk import rules
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.limits import RiskLimits
from swingdesk.risk.sizing import size_entry


def assess_account(portfolio: PortfolioState, limits: RiskLimits) -> str | None:
    """Return why an ACTIVE desk must move to REDUCING, or None when it need not.

    A drawdown of 10% from the high-water mark, or a day's loss of 3%, stops new risk;
    returning to ACTIVE takes a person's explicit resume.
    """
    if portfolio.trading_state is not TradingState.ACTIVE:
        return None
    reasons = []
    if portfolio.drawdown_pct >= limits.max_drawdown_pct:
        reasons.append(
            f"{RiskCode.MAX_DRAWDOWN.value}: drawdown {portfolio.drawdown_pct * 100:.2f}% "
            f">= {limits.max_drawdown_pct * 100:.2f}%"
        )
    if portfolio.day_loss_pct >= limits.max_daily_loss_pct:
        reasons.append(
            f"{RiskCode.DAILY_LOSS.value}: day loss {portfolio.day_loss_pct * 100:.2f}% "
            f">= {limits.max_daily_loss_pct * 100:.2f}%"
        )
    return "; ".join(reasons) or None


class RiskManager:
    """Deterministic and pure: the same inputs always give the same verdict."""

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits

    def evaluate_signal(
        self,
        signal: SignalCreated,
        portfolio: PortfolioState,
        market: MarketSnapshot,
        now: datetime,
    ) -> RiskApproved | RiskRejected:
        """Evaluate every applicable rule and return an approval or a denial, never raise."""
        if signal.action is Action.HOLD:
            raise ValueError("HOLD creates no order and is not sent to risk")
        if signal.ticker != market.ticker:
            raise ValueError("signal and market snapshot are for different tickers")
        limits = self.limits
        if signal.action is Action.BUY:
            intent, side = Intent.BUY_TO_OPEN, OrderSide.BUY
            entry = size_entry(portfolio, market, limits)
            applicable = rules.EVERY_ORDER + rules.OPENING
        else:
            intent, side, entry = Intent.SELL_TO_CLOSE, OrderSide.SELL, None
            applicable = rules.EVERY_ORDER + rules.CLOSING
        inp = rules.RiskInput(signal, portfolio, market, limits, now, entry)
        checks: tuple[RiskCheck, ...] = tuple(rule(inp) for rule in applicable)
        base = {
            "decision_id": signal.decision_id,
            "ts_event": now,
            "ticker": signal.ticker,
            "signal_event_id": signal.event_id,
            "action": signal.action,
            "checks": checks,
            "intent": intent,
        }
        if not all(c.passed for c in checks):
            return RiskRejected(
                **base,
                qty=Decimal(entry.shares) if entry else None,
                stop_price=entry.stop_price if entry and entry.stop_price > 0 else None,
            )
        if entry is not None:
            return RiskApproved(
                **base,
                side=side,
                qty=Decimal(entry.shares),
                reference_price=entry.price,
                stop_price=entry.stop_price,
                stop_distance=entry.stop_distance,
                risk_dollars=entry.risk_dollars,
                notional=entry.notional,
            )
        held = portfolio.position(signal.ticker)
        assert held is not None  # has_position passed
        price = market.price or held.market_price
        return RiskApproved(
            **base,
            side=side,
            qty=held.qty,
            reference_price=price,
            notional=held.qty * price,
        )
