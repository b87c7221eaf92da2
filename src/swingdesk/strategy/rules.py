"""The rules analyst: a deterministic trend-following swing rule (pure, no I/O, no pandas).

Entries (no position held) need an uptrend: price above the SMA-50 and the SMA-20 above
the SMA-50. Inside an uptrend the rule buys either a pullback (price within
``pullback_atr`` ATRs of the SMA-20) or a breakout (price more than ``breakout_atr`` ATRs
above the SMA-20 on an up day, but not more than ``max_extension_atr`` ATRs, so it does
not chase). Confidence starts from the setup's base, gains with trend strength
((SMA-20 - SMA-50) / ATR) and loses with a wild tape (ATR as % of price, VIX) and a
nearby earnings report.

Two optional context filters, both off by default (the rule is then exactly the
price-only rule, and its recorded inputs and parameters are unchanged): ``min_sentiment``
turns an entry into a HOLD while the headlines' aggregate sentiment is below it (no headlines,
no score: no filter, since no news is not bad news), and ``min_market_cap_usd`` turns an
entry into a HOLD below that market cap, or when the cap is unknown (fail closed, as the
floor exists to keep out what it cannot see). They only ever remove entries.

Exits (position held) sell when the price is at or below the position's stop (or, with
no stop recorded, an implied one ``fallback_stop_atr`` ATRs under the average price), or
when the trend breaks (price under the SMA-50 or the SMA-20 under the SMA-50).

Arithmetic is float on purpose: this scores a setup, it never sizes money, and floats
keep one call in single-digit microseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from swingdesk.domain.enums import Action
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PositionState
from swingdesk.strategy.api import Proposal

#: Reason code of a HOLD forced by missing or unusable market data.
MISSING_DATA = "MISSING_DATA"

_NA = "n/a"


@dataclass(frozen=True, slots=True)
class RuleParams:
    """Thresholds of the swing rule; distances are in ATR-14 multiples, fractions are 0-1.

    Defaults:
        pullback_atr 1.0: a pullback entry needs the price within 1 ATR of the SMA-20.
        breakout_atr 1.0: a breakout needs the price more than 1 ATR above the SMA-20.
        max_extension_atr 3.0: beyond 3 ATRs above the SMA-20 the move is too far to chase.
        pullback_base 0.55 / breakout_base 0.52: confidence before trend and volatility;
            breakouts start lower because they fail more often than pullbacks in a trend.
        trend_bonus_max 0.30, trend_full_strength 2.5: up to +0.30 confidence, reached
            when the SMA-20 is 2.5 ATRs above the SMA-50 (so a strong, calm trend scores
            about 0.85 and a weak one falls under the risk desk's 0.6 minimum).
        calm_atr_pct 0.02, wild_atr_pct 0.05, atr_penalty_max 0.15: ATR at 2% of price
            costs nothing, rising linearly to -0.15 at 5%.
        calm_vix 20, stressed_vix 35, vix_penalty_max 0.10: VIX 20 costs nothing, rising
            linearly to -0.10 at 35 (the risk desk's default gate); unknown VIX costs the full 0.10.
        earnings_caution_days 5, earnings_penalty 0.10: an earnings report within 5 trading
            days costs 0.10 (the risk desk blocks entries within 3 anyway).
        fallback_stop_atr 2.0: implied stop below the average price when a position has none.
        stop_exit_confidence 0.95: a stop breach is the least ambiguous exit there is.
        trend_exit_confidence 0.75 / full_break_exit_confidence 0.85: one trend condition
            broken, or both; both stay above the risk desk's 0.6 so exits are not blocked.
        hold_confidence 0.5: neutral confidence reported with a rule HOLD.
        min_sentiment None: no entry while the aggregate headline sentiment (-1..1) is
            below this; None ignores sentiment.
        min_market_cap_usd None: no entry below this market cap (USD) or when it is
            unknown; None ignores fundamentals.
    """

    pullback_atr: float = 1.0
    breakout_atr: float = 1.0
    max_extension_atr: float = 3.0
    pullback_base: float = 0.55
    breakout_base: float = 0.52
    trend_bonus_max: float = 0.30
    trend_full_strength: float = 2.5
    calm_atr_pct: float = 0.02
    wild_atr_pct: float = 0.05
    atr_penalty_max: float = 0.15
    calm_vix: float = 20.0
    stressed_vix: float = 35.0
    vix_penalty_max: float = 0.10
    earnings_caution_days: int = 5
    earnings_penalty: float = 0.10
    fallback_stop_atr: float = 2.0
    stop_exit_confidence: float = 0.95
    trend_exit_confidence: float = 0.75
    full_break_exit_confidence: float = 0.85
    hold_confidence: float = 0.5
    min_sentiment: float | None = None
    min_market_cap_usd: float | None = None

    @property
    def uses_context(self) -> bool:
        """Say whether a context filter is on (the rule then reads news or fundamentals)."""
        return self.min_sentiment is not None or self.min_market_cap_usd is not None

    def __post_init__(self) -> None:
        """Refuse thresholds that would divide by zero or invert a band."""
        if self.trend_full_strength <= 0:
            raise ValueError("trend_full_strength must be positive")
        if self.pullback_atr < 0 or self.breakout_atr < self.pullback_atr:
            raise ValueError("need 0 <= pullback_atr <= breakout_atr")


DEFAULT_PARAMS = RuleParams()


#: What the rule decided, why, and from which inputs: the strategy API's ``Proposal``.
RuleDecision = Proposal


def decide(
    snapshot: MarketSnapshot,
    position: PositionState | None,
    params: RuleParams = DEFAULT_PARAMS,
) -> RuleDecision:
    """Decide BUY, SELL or HOLD for one snapshot and the position held in it, if any."""
    s = snapshot
    inputs = {
        "ticker": s.ticker,
        "price": _as_text(s.price),
        "sma_20": _as_text(s.sma_20),
        "sma_50": _as_text(s.sma_50),
        "atr_14": _as_text(s.atr_14),
        "held": "yes" if position is not None else "no",
    }
    # Structural guarantee: only the entry path can BUY, only the exit path can SELL.
    if position is None:
        inputs["day_change_pct"] = _as_text(s.day_change_pct)
        inputs["vix"] = _as_text(s.vix)
        inputs["earnings_in_trading_days"] = _as_text(s.earnings_in_trading_days)
        if params.uses_context:
            return _context_filter(s, params, _entry(s, params, inputs), inputs)
        return _entry(s, params, inputs)
    inputs["avg_price"] = str(position.avg_price)
    inputs["stop_price"] = _as_text(position.stop_price)
    return _exit(s, position, params, inputs)


def _entry(s: MarketSnapshot, p: RuleParams, inputs: dict[str, str]) -> RuleDecision:
    d_price, d_s20, d_s50, d_atr = s.price, s.sma_20, s.sma_50, s.atr_14
    if d_price is None or d_s20 is None or d_s50 is None or d_atr is None:
        gaps = _gaps(price=d_price, sma_20=d_s20, sma_50=d_s50, atr_14=d_atr)
        return _missing(f"No entry: missing {gaps}; cannot judge the trend.", inputs)
    price, s20, s50, atr = float(d_price), float(d_s20), float(d_s50), float(d_atr)
    if atr <= 0 or not _finite(price, s20, s50, atr):
        return _missing(f"No entry: ATR-14 {atr:.2f} is unusable for distances.", inputs)

    if not (price > s50 and s20 > s50):
        why: list[str] = []
        if price <= s50:
            why.append(f"price {price:.2f} <= SMA-50 {s50:.2f}")
        if s20 <= s50:
            why.append(f"SMA-20 {s20:.2f} <= SMA-50 {s50:.2f}")
        return _hold(f"No uptrend: {', '.join(why)}; no entry.", p, inputs)

    trend = (s20 - s50) / atr
    head = (
        f"Uptrend: price {price:.2f} > SMA-50 {s50:.2f}, SMA-20 {s20:.2f} > SMA-50 "
        f"(SMA-20 {trend:.1f} ATR above SMA-50)"
    )
    dist = (price - s20) / atr
    return _uptrend_entry(s, p, inputs, head=head, dist=dist, trend=trend, atr=atr, price=price)


def _uptrend_entry(
    s: MarketSnapshot,
    p: RuleParams,
    inputs: dict[str, str],
    *,
    head: str,
    dist: float,
    trend: float,
    atr: float,
    price: float,
) -> RuleDecision:
    """Buy a pullback to SMA-20 or a breakout confirmed by the day's gain; otherwise wait.

    ``dist`` is the price's distance above SMA-20 in ATRs (negative below it).
    """
    if abs(dist) <= p.pullback_atr:
        base = p.pullback_base
        setup = f"pullback to within {abs(dist):.1f} ATR of SMA-20"
    elif dist < 0:
        return _hold(
            f"{head}; but price is {-dist:.1f} ATR below SMA-20, a deep pullback; waiting.",
            p,
            inputs,
        )
    elif dist <= p.breakout_atr:
        return _hold(
            f"{head}; price {dist:.1f} ATR above SMA-20 is neither a pullback "
            f"(<= {p.pullback_atr:.1f}) nor a breakout (> {p.breakout_atr:.1f}); waiting.",
            p,
            inputs,
        )
    elif dist > p.max_extension_atr:
        return _hold(
            f"{head}; but price is {dist:.1f} ATR above SMA-20 "
            f"(more than {p.max_extension_atr:.1f}), too extended to chase.",
            p,
            inputs,
        )
    elif s.day_change_pct is None:
        return _missing(
            f"{head}; price {dist:.1f} ATR above SMA-20 but day change is missing, "
            "so a breakout cannot be confirmed.",
            inputs,
        )
    elif s.day_change_pct <= 0:
        return _hold(
            f"{head}; price {dist:.1f} ATR above SMA-20 but day change "
            f"{_pct(s.day_change_pct)} shows no momentum; no breakout.",
            p,
            inputs,
        )
    else:
        base = p.breakout_base
        setup = f"breakout {dist:.1f} ATR above SMA-20 on a {_pct(s.day_change_pct)} day"

    return _scored_buy(
        s, p, inputs, head=head, setup=setup, base=base, trend=trend, atr=atr, price=price
    )


def _scored_buy(
    s: MarketSnapshot,
    p: RuleParams,
    inputs: dict[str, str],
    *,
    head: str,
    setup: str,
    base: float,
    trend: float,
    atr: float,
    price: float,
) -> RuleDecision:
    """Return the BUY of a setup, its confidence the base plus trend less the penalties."""
    atr_pct = atr / price
    trend_bonus = p.trend_bonus_max * min(trend / p.trend_full_strength, 1.0)
    atr_pen = p.atr_penalty_max * _ramp(atr_pct, p.calm_atr_pct, p.wild_atr_pct)
    notes = [
        head,
        f"{setup} (base {base:.2f}, trend +{trend_bonus:.2f})",
        f"ATR {atr:.2f} ({atr_pct * 100:.1f}% of price{_minus(atr_pen)})",
    ]
    if s.vix is None:
        vix_pen = p.vix_penalty_max
        notes.append(f"VIX unknown{_minus(vix_pen)}")
    else:
        vix = float(s.vix)
        vix_pen = p.vix_penalty_max * _ramp(vix, p.calm_vix, p.stressed_vix)
        notes.append(f"VIX {vix:.1f}{_minus(vix_pen)}")
    days = s.earnings_in_trading_days
    earn_pen = 0.0
    if days is not None and days <= p.earnings_caution_days:
        earn_pen = p.earnings_penalty
        notes.append(f"earnings in {days} trading days{_minus(earn_pen)}")
    confidence = _clamp(base + trend_bonus - atr_pen - vix_pen - earn_pen)
    notes.append(f"confidence {confidence:.2f}")
    return RuleDecision(Action.BUY, confidence, "; ".join(notes) + ".", inputs)


def _context_filter(
    s: MarketSnapshot, p: RuleParams, decision: RuleDecision, inputs: dict[str, str]
) -> RuleDecision:
    """Apply the optional sentiment and market-cap filters to an entry (never to a HOLD)."""
    score = s.sentiment.score if s.sentiment is not None else None
    cap = s.fundamentals.market_cap_usd if s.fundamentals is not None else None
    if p.min_sentiment is not None:
        inputs["sentiment"] = _NA if score is None else f"{score:.4f}"
    if p.min_market_cap_usd is not None:
        inputs["market_cap_usd"] = _as_text(cap)
    if decision.action is not Action.BUY:
        return decision
    if p.min_market_cap_usd is not None:
        if cap is None:
            return _missing(
                f"No entry: market cap unknown; the floor is {p.min_market_cap_usd:,.0f} USD.",
                inputs,
            )
        if float(cap) < p.min_market_cap_usd:
            return _hold(
                f"No entry: market cap {float(cap):,.0f} USD below the floor of "
                f"{p.min_market_cap_usd:,.0f} USD. Setup: {decision.rationale}",
                p,
                inputs,
            )
    if p.min_sentiment is not None and score is not None and score < p.min_sentiment:
        return _hold(
            f"No entry: headline sentiment {score:+.2f} below {p.min_sentiment:+.2f}. "
            f"Setup: {decision.rationale}",
            p,
            inputs,
        )
    return decision


def _exit(
    s: MarketSnapshot, pos: PositionState, p: RuleParams, inputs: dict[str, str]
) -> RuleDecision:
    if s.price is None:
        return _missing("Holding: price missing; cannot check the stop or the trend.", inputs)
    price, avg = float(s.price), float(pos.avg_price)
    pnl = f"{(price / avg - 1) * 100:+.1f}% from avg {avg:.2f}"

    stop: float | None = None
    stop_kind = "position stop"
    if pos.stop_price is not None:
        stop = float(pos.stop_price)
    elif s.atr_14 is not None and s.atr_14 > 0:
        stop = avg - p.fallback_stop_atr * float(s.atr_14)
        stop_kind = f"implied stop, avg - {p.fallback_stop_atr:.1f} ATR"
    if stop is not None and price <= stop:
        conf = _clamp(p.stop_exit_confidence)
        return RuleDecision(
            Action.SELL,
            conf,
            f"Stop breached: price {price:.2f} <= stop {stop:.2f} ({stop_kind}); "
            f"{pnl}; confidence {conf:.2f}.",
            inputs,
        )

    d_s20, d_s50 = s.sma_20, s.sma_50
    if d_s20 is None or d_s50 is None:
        gaps = _gaps(sma_20=d_s20, sma_50=d_s50)
        return _missing(
            f"Holding: stop not hit but missing {gaps}; cannot check the trend.", inputs
        )
    s20, s50 = float(d_s20), float(d_s50)
    broken: list[str] = []
    if price < s50:
        broken.append(f"price {price:.2f} < SMA-50 {s50:.2f}")
    if s20 < s50:
        broken.append(f"SMA-20 {s20:.2f} < SMA-50 {s50:.2f}")
    if broken:
        conf = _clamp(p.full_break_exit_confidence if len(broken) == 2 else p.trend_exit_confidence)
        return RuleDecision(
            Action.SELL,
            conf,
            f"Trend broken: {', '.join(broken)}; {pnl}; confidence {conf:.2f}.",
            inputs,
        )
    stop_text = f"stop {stop:.2f} ({stop_kind}) not hit" if stop is not None else "no stop known"
    return _hold(
        f"Holding: trend intact (price {price:.2f} >= SMA-50 {s50:.2f}, "
        f"SMA-20 {s20:.2f} >= SMA-50); {stop_text}; {pnl}.",
        p,
        inputs,
    )


def _hold(rationale: str, p: RuleParams, inputs: dict[str, str]) -> RuleDecision:
    return RuleDecision(Action.HOLD, _clamp(p.hold_confidence), rationale, inputs)


def _missing(rationale: str, inputs: dict[str, str]) -> RuleDecision:
    return RuleDecision(Action.HOLD, 0.0, rationale, inputs, MISSING_DATA)


def _gaps(**values: object) -> str:
    return ", ".join(name for name, value in values.items() if value is None)


def _as_text(value: Decimal | int | None) -> str:
    return _NA if value is None else str(value)


def _pct(fraction: Decimal) -> str:
    # day_change_pct is a fraction (price / prev_close - 1), shown as a percentage.
    return f"{float(fraction) * 100:+.2f}%"


def _minus(penalty: float) -> str:
    return f", -{penalty:.2f}" if penalty > 0 else ""


def _ramp(value: float, calm: float, wild: float) -> float:
    if wild <= calm:
        return 1.0 if value > calm else 0.0
    return min(max((value - calm) / (wild - calm), 0.0), 1.0)


def _clamp(value: float) -> float:
    # Rounded so the number in the rationale is exactly the number in the signal.
    if not math.isfinite(value):
        return 0.0
    return round(min(max(value, 0.0), 1.0), 2)


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)
