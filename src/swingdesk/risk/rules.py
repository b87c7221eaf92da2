"""The risk rules, one pure function each, in the order a trader reads them.

Each rule takes the whole situation (``RiskInput``) and returns a ``RiskCheck`` with the
measured value and the limit, passed or not, so that ``explain`` can show every check.
When a rule cannot measure its value (missing market data) it fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from swingdesk.domain.enums import TradingState
from swingdesk.domain.events import RiskCheck, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.limits import RiskLimits
from swingdesk.risk.sizing import EntrySize

_Q = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class RiskInput:
    """Everything a rule may look at; ``entry`` is the sized order for a BUY_TO_OPEN."""

    signal: SignalCreated
    portfolio: PortfolioState
    market: MarketSnapshot
    limits: RiskLimits
    now: datetime
    entry: EntrySize | None = None


Rule = Callable[[RiskInput], RiskCheck]


def _check(
    code: RiskCode, passed: bool, value: Decimal | str | None, limit: Decimal | str | None, msg: str
) -> RiskCheck:
    # Values are computed here from validated inputs; skipping re-validation keeps a full
    # evaluation in the tens of microseconds.
    return RiskCheck.model_construct(
        code=code.value, passed=passed, value=value, limit=limit, message=msg
    )


def _pct(x: Decimal) -> str:
    return f"{x * 100:.2f}%"


def _not_evaluated(code: RiskCode, limit: Decimal | str | None, why: str) -> RiskCheck:
    return _check(code, False, None, limit, f"not evaluated, failing closed: {why}")


# --- Phase 1: account viability -------------------------------------------------------


def halted(r: RiskInput) -> RiskCheck:
    """Nothing passes while the desk is HALTED."""
    state = r.portfolio.trading_state
    ok = state is not TradingState.HALTED
    return _check(RiskCode.HALTED, ok, state.value, "not HALTED", f"trading state is {state.value}")


def reducing(r: RiskInput) -> RiskCheck:
    """While REDUCING only closing orders pass."""
    state = r.portfolio.trading_state
    ok = state is TradingState.ACTIVE
    return _check(
        RiskCode.REDUCING,
        ok,
        state.value,
        TradingState.ACTIVE.value,
        f"trading state is {state.value}; new positions need ACTIVE",
    )


def max_drawdown(r: RiskInput) -> RiskCheck:
    """No new longs once equity is 10% or more below its high-water mark."""
    dd, limit = r.portfolio.drawdown_pct, r.limits.max_drawdown_pct
    return _check(
        RiskCode.MAX_DRAWDOWN,
        dd < limit,
        dd.quantize(_Q),
        limit,
        f"drawdown from high-water mark {_pct(dd)} (limit {_pct(limit)})",
    )


def daily_loss(r: RiskInput) -> RiskCheck:
    """No new longs once today's loss reaches 3% of start-of-day equity."""
    loss, limit = r.portfolio.day_loss_pct, r.limits.max_daily_loss_pct
    return _check(
        RiskCode.DAILY_LOSS,
        loss < limit,
        loss.quantize(_Q),
        limit,
        f"loss since start of day {_pct(loss)} (limit {_pct(limit)})",
    )


def low_confidence(r: RiskInput) -> RiskCheck:
    """The analyst must be at least this sure of any order."""
    conf, limit = Decimal(repr(r.signal.confidence)), r.limits.min_confidence
    return _check(
        RiskCode.LOW_CONFIDENCE,
        conf >= limit,
        conf,
        limit,
        f"analyst confidence {conf} (minimum {limit})",
    )


def cooldown(r: RiskInput) -> RiskCheck:
    """No second order in a ticker within the cooldown after the last one."""
    limit = r.limits.cooldown_s
    last = r.portfolio.last_order(r.signal.ticker)
    if last is None:
        return _check(RiskCode.COOLDOWN, True, None, limit, "no earlier order in this ticker")
    # Round down: 9.9996 s is still inside a 10 s cooldown and must not show (or pass) as 10.000.
    elapsed = Decimal(repr((r.now - last).total_seconds())).quantize(
        Decimal("0.001"), rounding=ROUND_FLOOR
    )
    return _check(
        RiskCode.COOLDOWN,
        elapsed >= limit,
        elapsed,
        limit,
        f"{elapsed}s since the last order in {r.signal.ticker} (cooldown {limit}s)",
    )


# --- Phase 2: market regime, new longs only ---------------------------------------------


def market_data(r: RiskInput) -> RiskCheck:
    """Missing or stale market data fails closed."""
    gaps = r.market.unavailable()
    value = ", ".join(gaps) if gaps else "complete"
    return _check(
        RiskCode.MARKET_DATA,
        not gaps,
        value,
        "complete and fresh",
        f"market data unavailable: {value}" if gaps else "market data complete and fresh",
    )


def adv_liquidity(r: RiskInput) -> RiskCheck:
    """Only trade names with enough daily volume to get out."""
    adv, limit = r.market.adv_20, r.limits.min_adv_shares
    if adv is None:
        return _not_evaluated(RiskCode.ADV_LIQUIDITY, limit, "20-day average volume unavailable")
    return _check(
        RiskCode.ADV_LIQUIDITY,
        adv >= limit,
        adv,
        limit,
        f"20-day average daily volume {adv:,.0f} shares (minimum {limit:,.0f})",
    )


def earnings_blackout(r: RiskInput) -> RiskCheck:
    """No new longs within a few trading days of an earnings report."""
    limit = r.limits.earnings_blackout_days
    if "next_earnings" in r.market.missing:
        return _not_evaluated(RiskCode.EARNINGS_BLACKOUT, Decimal(limit), "earnings date unknown")
    days = r.market.earnings_in_trading_days
    if days is None:
        return _check(
            RiskCode.EARNINGS_BLACKOUT, True, None, Decimal(limit), "no earnings date scheduled"
        )
    return _check(
        RiskCode.EARNINGS_BLACKOUT,
        days > limit,
        Decimal(days),
        Decimal(limit),
        f"earnings on {r.market.next_earnings} in {days} trading days (blackout {limit})",
    )


def vix_gate(r: RiskInput) -> RiskCheck:
    """No new longs when the market's fear gauge is too high."""
    vix, limit = r.market.vix, r.limits.max_vix
    if vix is None:
        return _not_evaluated(RiskCode.VIX_GATE, limit, "VIX unavailable")
    return _check(RiskCode.VIX_GATE, vix <= limit, vix, limit, f"VIX {vix} (maximum {limit})")


# --- Phase 3 and 4: sizing and concentration, new longs only -----------------------------


def stop_valid(r: RiskInput) -> RiskCheck:
    """The protective stop must sit strictly between zero and the entry price."""
    e = r.entry
    if e is None:
        return _not_evaluated(RiskCode.STOP_INVALID, "0 < stop < price", "price or ATR-14 missing")
    ok = 0 < e.stop_price < e.price and e.stop_distance > 0
    return _check(
        RiskCode.STOP_INVALID,
        ok,
        e.stop_price,
        "0 < stop < price",
        f"stop {e.stop_price} = price {e.price} - {r.limits.atr_stop_multiple} x ATR-14",
    )


def size_nonzero(r: RiskInput) -> RiskCheck:
    """Sizing must leave at least one share."""
    e = r.entry
    if e is None:
        return _not_evaluated(RiskCode.SIZE_ZERO, Decimal(1), "price or ATR-14 missing")
    return _check(
        RiskCode.SIZE_ZERO,
        e.shares >= 1,
        Decimal(e.shares),
        Decimal(1),
        f"{e.shares} shares = min(floor({e.risk_dollars:.2f} risk / {e.stop_distance} stop "
        f"distance) = {e.risk_shares}, cap {e.cap_shares})",
    )


def buying_power(r: RiskInput) -> RiskCheck:
    """The entry must be affordable."""
    e, bp = r.entry, r.portfolio.buying_power
    if e is None:
        return _not_evaluated(RiskCode.BUYING_POWER, bp, "entry could not be sized")
    cost = e.notional
    return _check(
        RiskCode.BUYING_POWER,
        cost <= bp,
        cost,
        bp,
        f"entry costs {cost:,.2f} (buying power {bp:,.2f})",
    )


def ticker_concentration(r: RiskInput) -> RiskCheck:
    """No single position above 5% of equity after the trade."""
    e, limit, equity = r.entry, r.limits.max_ticker_pct, r.portfolio.equity
    if e is None or equity <= 0:
        return _not_evaluated(RiskCode.TICKER_CONCENTRATION, limit, "entry or equity unavailable")
    held = r.portfolio.position(r.signal.ticker)
    after = (held.qty * e.price if held else Decimal(0)) + e.notional
    frac = after / equity
    return _check(
        RiskCode.TICKER_CONCENTRATION,
        frac <= limit,
        frac.quantize(_Q),
        limit,
        f"{r.signal.ticker} would be {_pct(frac)} of equity (limit {_pct(limit)})",
    )


def sector_concentration(r: RiskInput) -> RiskCheck:
    """No sector above 20% of equity after the trade."""
    e, limit, equity, sector = r.entry, r.limits.max_sector_pct, r.portfolio.equity, r.market.sector
    if e is None or equity <= 0 or sector is None:
        return _not_evaluated(
            RiskCode.SECTOR_CONCENTRATION, limit, "entry, equity or sector unknown"
        )
    # The ticker's own holding is in the snapshot's sector whatever its recorded sector says
    # (positions rebuilt from the broker carry none), valued at the price the entry uses.
    ticker = r.signal.ticker
    others = sum(
        (
            p.market_value
            for p in r.portfolio.positions
            if p.sector == sector and p.ticker != ticker
        ),
        Decimal(0),
    )
    held = r.portfolio.position(ticker)
    frac = (others + (held.qty * e.price if held else Decimal(0)) + e.notional) / equity
    return _check(
        RiskCode.SECTOR_CONCENTRATION,
        frac <= limit,
        frac.quantize(_Q),
        limit,
        f"{sector} would be {_pct(frac)} of equity (limit {_pct(limit)})",
    )


# --- Exits ------------------------------------------------------------------------------


def has_position(r: RiskInput) -> RiskCheck:
    """SELL closes a long position; there is no shorting."""
    held = r.portfolio.position(r.signal.ticker)
    qty = held.qty if held else Decimal(0)
    return _check(
        RiskCode.NO_POSITION,
        held is not None,
        qty,
        "> 0",
        f"{qty} shares of {r.signal.ticker} held"
        if held
        else f"no long position in {r.signal.ticker} to close (swingdesk never sells short)",
    )


#: Rules every order must pass.
EVERY_ORDER: tuple[Rule, ...] = (halted, low_confidence, cooldown)
#: Rules a BUY_TO_OPEN must also pass; liquidity and earnings gates never block an exit.
OPENING: tuple[Rule, ...] = (
    reducing,
    max_drawdown,
    daily_loss,
    market_data,
    adv_liquidity,
    earnings_blackout,
    vix_gate,
    stop_valid,
    size_nonzero,
    buying_power,
    ticker_concentration,
    sector_concentration,
)
#: Rules a SELL_TO_CLOSE must also pass.
CLOSING: tuple[Rule, ...] = (has_position,)
