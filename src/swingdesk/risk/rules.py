"""The risk rules, one pure function each, in the order a trader reads them.

Each rule takes the whole situation (``RiskInput``) and returns a ``RiskCheck`` with the
measured value and the limit, passed or not, so that ``explain`` can show every check.
When a rule cannot measure its value (missing market data) it fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal

from swingdesk.domain.context import CONTEXT_FIELDS
from swingdesk.domain.events import RiskCheck
from swingdesk.domain.money import ZERO
from swingdesk.domain.portfolio import day_loss_fraction, drawdown_fraction
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.inputs import RiskInput as RiskInput
from swingdesk.risk.sizing import size_close

_Q = Decimal("0.000001")
_MS = Decimal("0.001")
# Decimals are compared with ZERO, not 0: comparing with an int converts it on every call.

Rule = Callable[[RiskInput], RiskCheck]

# Values are computed here from validated inputs; skipping re-validation keeps a full
# evaluation in the tens of microseconds. Checks that depend only on the limits are
# prebuilt (validated) in ``LimitTexts``.
_check = RiskCheck.trusted

_LOW_CONFIDENCE = RiskCode.LOW_CONFIDENCE.value
_COOLDOWN = RiskCode.COOLDOWN.value
_MAX_DRAWDOWN = RiskCode.MAX_DRAWDOWN.value
_DAILY_LOSS = RiskCode.DAILY_LOSS.value
_MARKET_DATA = RiskCode.MARKET_DATA.value
_ADV_LIQUIDITY = RiskCode.ADV_LIQUIDITY.value
_EARNINGS_BLACKOUT = RiskCode.EARNINGS_BLACKOUT.value
_VIX_GATE = RiskCode.VIX_GATE.value
_STOP_INVALID = RiskCode.STOP_INVALID.value
_SIZE_ZERO = RiskCode.SIZE_ZERO.value
_BUYING_POWER = RiskCode.BUYING_POWER.value
_TICKER_CONCENTRATION = RiskCode.TICKER_CONCENTRATION.value
_SECTOR_CONCENTRATION = RiskCode.SECTOR_CONCENTRATION.value
_NO_POSITION = RiskCode.NO_POSITION.value
_CLOSE_SIZE = RiskCode.CLOSE_SIZE.value
_BP_NOT_EVALUATED = "not evaluated, failing closed: entry could not be sized"


# --- Phase 1: account viability -------------------------------------------------------


def halted(r: RiskInput) -> RiskCheck:
    """Nothing passes while the desk is HALTED."""
    return r.texts.halted[r.portfolio.trading_state]


def reducing(r: RiskInput) -> RiskCheck:
    """While REDUCING only closing orders pass."""
    return r.texts.reducing[r.portfolio.trading_state]


def max_drawdown(r: RiskInput) -> RiskCheck:
    """No new longs once equity is 10% or more below its high-water mark."""
    dd = drawdown_fraction(r.portfolio.high_water_mark, r.equity)
    limit = r.limits.max_drawdown_pct
    return _check(
        _MAX_DRAWDOWN,
        dd < limit,
        dd.quantize(_Q),
        limit,
        f"drawdown from high-water mark {dd:.2%}{r.texts.drawdown_tail}",
    )


def daily_loss(r: RiskInput) -> RiskCheck:
    """No new longs once today's loss reaches 3% of start-of-day equity."""
    loss = day_loss_fraction(r.portfolio.start_of_day_equity, r.equity)
    limit = r.limits.max_daily_loss_pct
    return _check(
        _DAILY_LOSS,
        loss < limit,
        loss.quantize(_Q),
        limit,
        f"loss since start of day {loss:.2%}{r.texts.day_loss_tail}",
    )


def low_confidence(r: RiskInput) -> RiskCheck:
    """The analyst must be at least this sure of any order."""
    conf, limit = Decimal(repr(r.signal.confidence)), r.limits.min_confidence
    return _check(
        _LOW_CONFIDENCE,
        conf >= limit,
        conf,
        limit,
        f"analyst confidence {conf!s}{r.texts.confidence_tail}",
    )


def cooldown(r: RiskInput) -> RiskCheck:
    """No second order in a ticker within the cooldown after the last one."""
    ticker = r.signal.ticker
    last = r.portfolio.last_order_at.get(ticker)
    if last is None:
        return r.texts.no_earlier_order
    limit = r.limits.cooldown_s
    # Round down: 9.9996 s is still inside a 10 s cooldown and must not show (or pass) as 10.000.
    elapsed = Decimal(repr((r.now - last).total_seconds())).quantize(_MS, rounding=ROUND_FLOOR)
    return _check(
        _COOLDOWN,
        elapsed >= limit,
        elapsed,
        limit,
        f"{elapsed!s}s since the last order in {ticker}{r.texts.cooldown_tail}",
    )


# --- Phase 2: market regime, new longs only ---------------------------------------------


def market_data(r: RiskInput) -> RiskCheck:
    """Missing or stale market data fails closed."""
    m = r.market
    if (
        m.price is not None
        and m.atr_14 is not None
        and m.adv_20 is not None
        and m.vix is not None
        and m.sector is not None
        and (not m.missing or CONTEXT_FIELDS.issuperset(m.missing))
        and not m.stale
    ):
        return r.texts.data_complete
    gaps = m.unavailable()
    if r.limits.allow_unknown_earnings and "next_earnings" in gaps:
        gaps.remove("next_earnings")  # the earnings gate says so in its own check
    value = ", ".join(gaps) if gaps else "complete"
    return _check(
        _MARKET_DATA,
        not gaps,
        value,
        "complete and fresh",
        f"market data unavailable: {value}" if gaps else "market data complete and fresh",
    )


def adv_liquidity(r: RiskInput) -> RiskCheck:
    """Only trade names with enough daily volume to get out."""
    adv = r.market.adv_20
    if adv is None:
        return r.texts.adv_missing
    limit = r.limits.min_adv_shares
    return _check(
        _ADV_LIQUIDITY,
        adv >= limit,
        adv,
        limit,
        f"20-day average daily volume {adv:,.0f}{r.texts.adv_tail}",
    )


def earnings_blackout(r: RiskInput) -> RiskCheck:
    """No new longs within a few trading days of an earnings report."""
    m = r.market
    if "next_earnings" in m.missing:
        return r.texts.earnings_unknown
    days = m.earnings_in_trading_days
    if days is None:
        return r.texts.earnings_none
    limit = r.limits.earnings_blackout_days
    return _check(
        _EARNINGS_BLACKOUT,
        days > limit,
        Decimal(days),
        r.texts.blackout_days,
        f"earnings on {m.next_earnings!s} in {days}{r.texts.blackout_tail}",
    )


def vix_gate(r: RiskInput) -> RiskCheck:
    """No new longs when the market's fear gauge is too high."""
    vix = r.market.vix
    if vix is None:
        return r.texts.vix_missing
    limit = r.limits.max_vix
    return _check(_VIX_GATE, vix <= limit, vix, limit, f"VIX {vix!s}{r.texts.vix_tail}")


# --- Phase 3 and 4: sizing and concentration, new longs only -----------------------------


def stop_valid(r: RiskInput) -> RiskCheck:
    """The protective stop must sit strictly between zero and the entry price."""
    e = r.entry
    if e is None:
        return r.texts.stop_missing
    stop, price = e.stop_price, e.price
    return _check(
        _STOP_INVALID,
        ZERO < stop < price and e.stop_distance > ZERO,
        stop,
        "0 < stop < price",
        f"stop {stop!s} = price {price!s}{r.texts.stop_tail}",
    )


def size_nonzero(r: RiskInput) -> RiskCheck:
    """Sizing must leave at least one share."""
    e = r.entry
    if e is None:
        return r.texts.size_missing
    return _check(
        _SIZE_ZERO,
        e.shares >= 1,
        Decimal(e.shares),
        r.texts.one_share,
        f"{e.shares} shares = min(floor({e.risk_dollars:.2f} risk / {e.stop_distance!s} stop "
        f"distance) = {e.risk_shares}, cap {e.cap_shares})",
    )


def buying_power(r: RiskInput) -> RiskCheck:
    """The entry must be affordable."""
    e, bp = r.entry, r.portfolio.buying_power
    if e is None:
        return _check(_BUYING_POWER, False, None, bp, _BP_NOT_EVALUATED)
    cost = e.notional
    return _check(
        _BUYING_POWER,
        cost <= bp,
        cost,
        bp,
        f"entry costs {cost:,.2f} (buying power {bp:,.2f})",
    )


def ticker_concentration(r: RiskInput) -> RiskCheck:
    """No single position above 5% of equity after the trade."""
    e, equity = r.entry, r.equity
    if e is None or equity <= ZERO:
        return r.texts.ticker_missing
    limit = r.limits.max_ticker_pct
    frac = (r.held_value + e.notional) / equity
    return _check(
        _TICKER_CONCENTRATION,
        frac <= limit,
        frac.quantize(_Q),
        limit,
        f"{r.signal.ticker} would be {frac:.2%}{r.texts.ticker_tail}",
    )


def sector_concentration(r: RiskInput) -> RiskCheck:
    """No sector above 20% of equity after the trade."""
    e, equity, sector = r.entry, r.equity, r.market.sector
    if e is None or equity <= ZERO or sector is None:
        return r.texts.sector_missing
    # The ticker's own holding is in the snapshot's sector whatever its recorded sector says
    # (positions rebuilt from the broker carry none), valued at the verdict's one mark.
    limit = r.limits.max_sector_pct
    frac = (r.sector_others + r.held_value + e.notional) / equity
    return _check(
        _SECTOR_CONCENTRATION,
        frac <= limit,
        frac.quantize(_Q),
        limit,
        f"{sector} would be {frac:.2%}{r.texts.sector_tail}",
    )


# --- Exits ------------------------------------------------------------------------------


def has_position(r: RiskInput) -> RiskCheck:
    """SELL closes a long position; there is no shorting."""
    held, ticker = r.held, r.signal.ticker
    if held is None:
        return _check(
            _NO_POSITION,
            False,
            ZERO,
            "> 0",
            f"no long position in {ticker} to close (swingdesk never sells short)",
        )
    return _check(_NO_POSITION, True, held.qty, "> 0", f"{held.qty!s} shares of {ticker} held")


def close_size(r: RiskInput) -> RiskCheck:
    """A close sells at least one share and never more than held (``size_close``)."""
    held, fraction = r.held, r.signal.close_fraction
    if held is None:
        return _check(_CLOSE_SIZE, True, ZERO, "> 0", "no position to size (see NO_POSITION)")
    qty = size_close(held.qty, fraction)
    what = "all" if fraction is None else f"{fraction} of"
    if qty <= 0 or qty > held.qty:
        return _check(
            _CLOSE_SIZE,
            False,
            qty,
            f"1..{held.qty}",
            f"closing {what} {held.qty} shares of {r.signal.ticker} sells {qty} whole shares",
        )
    return _check(
        _CLOSE_SIZE,
        True,
        qty,
        f"<= {held.qty}",
        f"closing {what} {held.qty} shares of {r.signal.ticker}: sell {qty}",
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
CLOSING: tuple[Rule, ...] = (has_position, close_size)
