"""Random risk situations for Hypothesis: a signal, a portfolio and a snapshot of one ticker.

Gates are open most of the time (``Mostly``), so that approvals stay frequent enough for the
properties about them to bite; the held position's book mark may lag the snapshot's price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from swingdesk.domain.enums import Action, DataSource, TradingState
from swingdesk.domain.events import RiskApproved, RiskRejected, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.risk import RiskLimits, RiskManager
from swingdesk.risk.codes import RiskCode

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)
LIMITS = RiskLimits()
RISK = RiskManager(LIMITS)
TICKERS = (
    "AAPL",
    "MSFT",
    "NVDA",
    "XOM",
    "CVX",
    "JPM",
    "BAC",
    "PFE",
    "JNJ",
    "KO",
    "PEP",
    "CAT",
    "BA",
)
SECTORS = ("Tech", "Energy", "Financials", "Health", "Staples", "Industrials")
DECISION = UUID(int=1)
SIGNAL_ID = UUID(int=2)

EVERY_ORDER = {RiskCode.HALTED, RiskCode.LOW_CONFIDENCE, RiskCode.COOLDOWN}
OPENING = {
    RiskCode.REDUCING,
    RiskCode.MAX_DRAWDOWN,
    RiskCode.DAILY_LOSS,
    RiskCode.MARKET_DATA,
    RiskCode.ADV_LIQUIDITY,
    RiskCode.EARNINGS_BLACKOUT,
    RiskCode.VIX_GATE,
    RiskCode.STOP_INVALID,
    RiskCode.SIZE_ZERO,
    RiskCode.BUYING_POWER,
    RiskCode.TICKER_CONCENTRATION,
    RiskCode.SECTOR_CONCENTRATION,
}
CLOSING = {RiskCode.NO_POSITION, RiskCode.CLOSE_SIZE}

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Case:
    """One generated situation."""

    signal: SignalCreated
    portfolio: PortfolioState
    market: MarketSnapshot


def cents(units: int) -> Decimal:
    """Return ``units`` hundredths as an exact Decimal."""
    return Decimal(units).scaleb(-2)


class Mostly:
    """Draws a gate's value: open in a clean case (half of them), else four times in five.

    Without this, a dozen independent gates would leave almost no approvals to check.
    """

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.clean = draw(st.booleans())

    def __call__(self, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
        """Draw from ``good``, or now and then from ``bad``."""
        draw = self.draw
        return draw(good) if self.clean or draw(st.integers(0, 4)) else draw(bad)


@st.composite
def cases(
    draw: st.DrawFn,
    *,
    actions: tuple[Action, ...] = (Action.BUY, Action.SELL),
    states: tuple[TradingState, ...] = tuple(TradingState),
) -> Case:
    """Draw a valid signal, portfolio and snapshot for one ticker."""
    mostly = Mostly(draw)
    ticker = draw(st.sampled_from(TICKERS))
    action = draw(st.sampled_from(actions))
    price = cents(draw(st.integers(100, 200_000)))  # 1.00 .. 2,000.00
    sector = mostly(st.sampled_from(SECTORS), st.none())

    # The account: positions sized as slices of a target equity, so concentration is tested
    # near its limits, then cash makes up the rest (possibly negative: margin).
    target = Decimal(draw(st.integers(1_000, 5_000_000)))
    others = draw(
        st.lists(st.sampled_from([t for t in TICKERS if t != ticker]), max_size=6, unique=True)
    )
    positions: list[PositionState] = []
    for name in others:
        mark = cents(draw(st.integers(100, 200_000)))
        slice_bp = draw(st.integers(1, 1500))  # up to 15% of the target each
        qty = max(1, int(target * slice_bp / 10_000 / mark))
        positions.append(
            PositionState(
                ticker=name,
                qty=Decimal(qty),
                avg_price=mark,
                market_price=mark,
                sector=draw(st.sampled_from((sector, *SECTORS, None))),
            )
        )
    if not draw(st.integers(0, 3)) or (action is Action.SELL and draw(st.integers(0, 4))):
        # the ticker itself is held; its book mark may lag the snapshot price
        mark = max(
            cents(1), (price * Decimal(draw(st.integers(80, 120))) / 100).quantize(Decimal("0.01"))
        )
        slice_bp = draw(st.integers(1, 400))
        positions.append(
            PositionState(
                ticker=ticker,
                qty=Decimal(max(1, int(target * slice_bp / 10_000 / mark))),
                avg_price=mark,
                market_price=mark,
                sector=draw(st.sampled_from((sector, *SECTORS, None))),
            )
        )
    positions_value = sum((p.market_value for p in positions), Decimal(0))
    cash = target - positions_value + cents(draw(st.integers(-1_000_000, 1_000_000)))
    equity = cash + positions_value
    base = max(equity, Decimal(0))
    drawdown_bp = mostly(st.integers(0, 999), st.integers(1000, 5000))
    hwm = (base * 10_000 / (10_000 - Decimal(drawdown_bp))).quantize(Decimal("0.01"))
    day_bp = mostly(st.integers(-500, 299), st.integers(300, 2000))
    sod = (base * (10_000 + Decimal(day_bp)) / 10_000).quantize(Decimal("0.01"))
    # buying power is drawn even in clean cases: ample (2x cash) three times in four, else
    # tight (0-10% of cash, around the cost of a 5% position)
    bp_permille = 2000 if draw(st.integers(0, 3)) else draw(st.integers(0, 100))
    buying_power = (max(cash, Decimal(0)) * bp_permille / 1000).quantize(Decimal("0.01"))
    last_order_at = {
        name: NOW - timedelta(milliseconds=draw(st.integers(-5_000, 60_000)))
        for name in draw(st.lists(st.sampled_from(TICKERS), max_size=4, unique=True))
    }
    if ticker in last_order_at and (mostly.clean or draw(st.integers(0, 2))):
        del last_order_at[ticker]  # keep the cooldown from blocking most cases
    portfolio = PortfolioState(
        cash=cash,
        buying_power=buying_power,
        high_water_mark=hwm,
        start_of_day_equity=sod,
        positions=tuple(positions),
        trading_state=mostly(st.just(TradingState.ACTIVE), st.sampled_from(states))
        if TradingState.ACTIVE in states
        else draw(st.sampled_from(states)),
        last_order_at=last_order_at,
        as_of=NOW,
    )

    # ATR 0.3%..25% of price: above 10% the 1% risk budget, not the 5% cap, sets the size
    atr_bp = mostly(st.integers(30, 2500), st.integers(0, 6000))
    earnings_days = mostly(st.one_of(st.none(), st.integers(4, 60)), st.integers(0, 3))
    market = MarketSnapshot(
        ticker=ticker,
        sector=sector,
        price=mostly(st.just(price), st.none()),
        atr_14=mostly(
            st.just((price * atr_bp / 10_000).quantize(Decimal("0.0001"))),
            st.none(),
        ),
        adv_20=mostly(
            st.integers(5_000_000, 80_000_000).map(Decimal),
            st.one_of(st.none(), st.integers(0, 4_999_999).map(Decimal)),
        ),
        vix=mostly(
            st.integers(900, 3500).map(cents),
            st.one_of(st.none(), st.integers(3501, 9000).map(cents)),
        ),
        earnings_in_trading_days=earnings_days,
        next_earnings=None
        if earnings_days is None
        else NOW.date() + timedelta(days=earnings_days + 2 * (earnings_days // 5)),
        as_of=NOW,
        source=DataSource.SIMULATED,
        stale=mostly(st.just(False), st.booleans()),
        missing=mostly(
            st.just(()),
            st.lists(st.sampled_from(("next_earnings", "atr_14", "vix")), unique=True).map(tuple),
        ),
    )
    confidence = mostly(st.floats(0.6, 1.0), st.floats(0.0, 1.0))
    signal = SignalCreated(
        event_id=SIGNAL_ID,
        ts_event=NOW,
        decision_id=DECISION,
        ticker=ticker,
        action=action,
        confidence=confidence,
        rationale="property",
        model="hypothesis",
    )
    return Case(signal, portfolio, market)


def run(case: Case) -> RiskApproved | RiskRejected:
    """Evaluate one case."""
    return RISK.evaluate_signal(case.signal, case.portfolio, case.market, NOW)


def held_qty(portfolio: PortfolioState, ticker: str) -> Decimal:
    """Return the shares held in ``ticker`` (0 when none), read straight off the positions."""
    return sum((p.qty for p in portfolio.positions if p.ticker == ticker), Decimal(0))


def decision_equity(case: Case) -> Decimal:
    """Return the account at the decision's marks, by hand: the snapshot's price for the
    decided ticker (when it has one), every other position at its market price."""
    price, ticker = case.market.price, case.signal.ticker
    return case.portfolio.cash + sum(
        (
            pos.qty * (price if pos.ticker == ticker and price is not None else pos.market_price)
            for pos in case.portfolio.positions
        ),
        Decimal(0),
    )
