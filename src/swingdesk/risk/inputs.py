"""What the risk rules look at, worked out once per decision.

A rule must stay cheap: the desk evaluates up to 15 of them per signal with a latency target
in the tens of microseconds. So the account figures several rules share (equity, the held
position, the sector's other exposure) are computed in one pass over the positions, and every
check or message part that depends only on the limits is built once per ``RiskLimits``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from swingdesk.domain.enums import TradingState
from swingdesk.domain.events import RiskCheck, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.money import ZERO
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.limits import LimitValues, RiskLimits
from swingdesk.risk.sizing import EntrySize, size_for_equity


def pct(x: Decimal) -> str:
    """Format a fraction as a percentage with two decimals (0.05 -> '5.00%')."""
    return f"{x:.2%}"


def _failed_closed(code: RiskCode, limit: Decimal | str | None, why: str) -> RiskCheck:
    return RiskCheck(
        code=code.value,
        passed=False,
        value=None,
        limit=limit,
        message=f"not evaluated, failing closed: {why}",
    )


class LimitTexts:
    """The checks and message parts that depend only on the limits, built once.

    Grouped as the rules are (``risk/stages.py``): the desk's state and account, the
    instrument's market data, and the trade itself.
    """

    __slots__ = (
        "adv_missing",
        "adv_tail",
        "blackout_days",
        "blackout_tail",
        "confidence_tail",
        "cooldown_tail",
        "data_complete",
        "day_loss_tail",
        "drawdown_tail",
        "earnings_none",
        "earnings_unknown",
        "halted",
        "limits",
        "no_earlier_order",
        "one_share",
        "reducing",
        "sector_missing",
        "sector_tail",
        "size_missing",
        "stop_missing",
        "stop_tail",
        "ticker_missing",
        "ticker_tail",
        "values",
        "vix_missing",
        "vix_tail",
    )

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self.values = LimitValues(limits)
        self._desk(limits)
        self._market(limits)
        self._trade(limits)

    def _desk(self, limits: RiskLimits) -> None:
        """HALTED and REDUCING for each trading state; the drawdown and day-loss limits."""
        self.halted = {
            s: RiskCheck(
                code=RiskCode.HALTED.value,
                passed=s is not TradingState.HALTED,
                value=s.value,
                limit="not HALTED",
                message=f"trading state is {s.value}",
            )
            for s in TradingState
        }
        self.reducing = {
            s: RiskCheck(
                code=RiskCode.REDUCING.value,
                passed=s is TradingState.ACTIVE,
                value=s.value,
                limit=TradingState.ACTIVE.value,
                message=f"trading state is {s.value}; new positions need ACTIVE",
            )
            for s in TradingState
        }
        self.drawdown_tail = f" (limit {pct(limits.max_drawdown_pct)})"
        self.day_loss_tail = f" (limit {pct(limits.max_daily_loss_pct)})"

    def _market(self, limits: RiskLimits) -> None:
        """Market data, liquidity, earnings and VIX: the passes and fail-closed checks."""
        self.data_complete = RiskCheck(
            code=RiskCode.MARKET_DATA.value,
            passed=True,
            value="complete",
            limit="complete and fresh",
            message="market data complete and fresh",
        )
        self.adv_missing = _failed_closed(
            RiskCode.ADV_LIQUIDITY, limits.min_adv_shares, "20-day average volume unavailable"
        )
        self.adv_tail = f" shares (minimum {limits.min_adv_shares:,.0f})"
        blackout = Decimal(limits.earnings_blackout_days)
        self.blackout_days = blackout
        self.blackout_tail = f" trading days (blackout {limits.earnings_blackout_days})"
        self.earnings_unknown = (
            RiskCheck(
                code=RiskCode.EARNINGS_BLACKOUT.value,
                passed=True,
                value=None,
                limit=blackout,
                message="earnings date unknown; allowed by the allow-unknown-earnings setting",
            )
            if limits.allow_unknown_earnings
            else _failed_closed(RiskCode.EARNINGS_BLACKOUT, blackout, "earnings date unknown")
        )
        self.earnings_none = RiskCheck(
            code=RiskCode.EARNINGS_BLACKOUT.value,
            passed=True,
            value=None,
            limit=blackout,
            message="no earnings date scheduled",
        )
        self.vix_missing = _failed_closed(RiskCode.VIX_GATE, limits.max_vix, "VIX unavailable")
        self.vix_tail = f" (maximum {limits.max_vix})"

    def _trade(self, limits: RiskLimits) -> None:
        """Confidence, cooldown, stop, size and concentration: their limits' texts."""
        self.confidence_tail = f" (minimum {limits.min_confidence})"
        self.no_earlier_order = RiskCheck(
            code=RiskCode.COOLDOWN.value,
            passed=True,
            value=None,
            limit=limits.cooldown_s,
            message="no earlier order in this ticker",
        )
        self.cooldown_tail = f" (cooldown {limits.cooldown_s!s}s)"
        self.stop_missing = _failed_closed(
            RiskCode.STOP_INVALID, "0 < stop < price", "price or ATR-14 missing"
        )
        self.stop_tail = f" - {limits.atr_stop_multiple} x ATR-14"
        self.one_share = Decimal(1)
        self.size_missing = _failed_closed(
            RiskCode.SIZE_ZERO, self.one_share, "price or ATR-14 missing"
        )
        self.ticker_missing = _failed_closed(
            RiskCode.TICKER_CONCENTRATION, limits.max_ticker_pct, "entry or equity unavailable"
        )
        self.ticker_tail = f" of equity (limit {pct(limits.max_ticker_pct)})"
        self.sector_missing = _failed_closed(
            RiskCode.SECTOR_CONCENTRATION, limits.max_sector_pct, "entry, equity or sector unknown"
        )
        self.sector_tail = f" of equity (limit {pct(limits.max_sector_pct)})"


class RiskInput(NamedTuple):
    """Everything a rule may look at; build it with ``prepare``.

    One valuation serves the whole verdict: the signal's ticker is marked at the snapshot's
    price (the quote the entry is sized on; its market price when the snapshot has none),
    every other position at its market price. ``equity`` is the portfolio at those marks
    (``PortfolioState.equity_at``), ``held`` its first position in the signal's ticker and
    ``held_value`` the value of every one of those, ``sector_others`` the value of its other
    positions in the snapshot's sector (zero when the sector is unknown). ``entry`` is the
    sized order for a BUY_TO_OPEN. ``limits`` holds the ``RiskLimits``' values (``LimitValues``).
    """

    signal: SignalCreated
    portfolio: PortfolioState
    market: MarketSnapshot
    limits: LimitValues
    now: datetime
    entry: EntrySize | None
    equity: Decimal
    held: PositionState | None
    held_value: Decimal
    sector_others: Decimal
    texts: LimitTexts


# RiskInput(...) would run the NamedTuple's Python-level __new__ (about 0.4 us): built directly.
_risk_input = partial(tuple.__new__, RiskInput)


def prepare(
    signal: SignalCreated,
    portfolio: PortfolioState,
    market: MarketSnapshot,
    now: datetime,
    texts: LimitTexts,
    *,
    opening: bool,
) -> RiskInput:
    """Work out the account figures in one pass and, for an opening order, size the entry."""
    ticker, sector, quote = signal.ticker, market.sector, market.price
    total = others = held_value = ZERO
    held = None
    # The additions of PortfolioState.equity_at(decision_marks(market)), in the same order,
    # so that the figures are identical. Each position's fields are read from its __dict__,
    # where the model keeps them: a read through the model's attribute costs several times as
    # much (pydantic's __getattr__ hook), and this loop makes four per position.
    for p in portfolio.positions:
        f = p.__dict__
        if f["ticker"] == ticker:
            value = f["qty"] * (f["market_price"] if quote is None else quote)
            held_value += value
            if held is None:
                held = p
        else:
            value = f["qty"] * f["market_price"]
            if sector is not None and f["sector"] == sector:
                others += value
        total += value
    equity = portfolio.cash + total
    entry = size_for_equity(equity, market, texts.values) if opening else None
    return _risk_input(
        (
            signal,
            portfolio,
            market,
            texts.values,
            now,
            entry,
            equity,
            held,
            held_value,
            others,
            texts,
        )
    )
