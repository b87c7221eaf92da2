"""One valuation per verdict: every rule values the account at the same marks.

The decided ticker is marked at the snapshot's price (the quote the entry is sized on),
every other position at its market price. Drawdown, daily loss, sizing, and ticker and
sector concentration must all see the equity of those marks, recomputed here by hand.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from hypothesis import given
from tests.fakes.risk_cases import LIMITS, PROPERTY, Case, cases, held_qty, run

from swingdesk.domain.enums import Action
from swingdesk.domain.portfolio import PositionState, day_loss_fraction, drawdown_fraction

SIX = Decimal("0.000001")


def _marked(case: Case, pos: PositionState) -> Decimal:
    """Return the position's value at the decision's marks."""
    price, ticker = case.market.price, case.signal.ticker
    return pos.qty * (price if pos.ticker == ticker and price is not None else pos.market_price)


@PROPERTY
@given(case=cases(actions=(Action.BUY,)))
def test_evaluate_when_book_mark_differs_from_quote_then_every_rule_sees_the_same_equity(
    case: Case,
) -> None:
    p, m, ticker = case.portfolio, case.market, case.signal.ticker
    equity = p.cash + sum((_marked(case, pos) for pos in p.positions), Decimal(0))
    # The domain's definition, given the same marks (and with none, the book's equity).
    assert p.equity_at({ticker: m.price} if m.price is not None else {}) == equity
    assert p.equity_at({}) == p.equity
    verdict = run(case)
    checks = {c.code: c for c in verdict.checks}
    assert checks["MAX_DRAWDOWN"].value == drawdown_fraction(p.high_water_mark, equity).quantize(
        SIX
    )
    assert checks["DAILY_LOSS"].value == day_loss_fraction(p.start_of_day_equity, equity).quantize(
        SIX
    )
    if m.price is None or m.atr_14 is None:
        return
    # Sizing: 1% of that equity at risk to the stop, capped at 5% of it.
    base = max(equity, Decimal(0))
    distance = m.atr_14 * LIMITS.atr_stop_multiple
    stop = (m.price - distance).quantize(Decimal("0.01"), ROUND_CEILING)
    at_risk = int(base * LIMITS.risk_per_trade_pct / distance) if 0 < stop < m.price else 0
    shares = min(at_risk, int(base * LIMITS.max_ticker_pct / m.price))
    assert verdict.qty == shares
    if equity <= 0:
        return
    ticker_after = (held_qty(p, ticker) + shares) * m.price
    assert checks["TICKER_CONCENTRATION"].value == (ticker_after / equity).quantize(SIX)
    if m.sector is not None:
        others = sum(
            (_marked(case, x) for x in p.positions if x.sector == m.sector and x.ticker != ticker),
            Decimal(0),
        )
        sector_after = others + ticker_after
        assert checks["SECTOR_CONCENTRATION"].value == (sector_after / equity).quantize(SIX)
