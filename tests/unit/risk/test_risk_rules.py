"""Unit tests that pin the risk desk's arithmetic on worked examples and every rule boundary.

House limits (RiskLimits defaults): drawdown 10%, day loss 3%, ADV 5,000,000 shares,
earnings blackout 3 trading days, VIX 35, ticker 5%, sector 20%, risk 1% per trade,
stop 2 x ATR-14, confidence 0.6, cooldown 10 s.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from swingdesk.domain.enums import Action, DataSource, Intent, OrderSide, TradingState
from swingdesk.domain.errors import ConflictError
from swingdesk.domain.events import RiskApproved, RiskCheck, RiskRejected, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.risk import RiskLimits, RiskManager, assess_account
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.sizing import size_entry
from swingdesk.risk.state import STATE_TRANSITIONS, change_state

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)
LIMITS = RiskLimits()
RISK = RiskManager(LIMITS)

BUY_CODES = {
    RiskCode.HALTED,
    RiskCode.LOW_CONFIDENCE,
    RiskCode.COOLDOWN,
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
SELL_CODES = {
    RiskCode.HALTED,
    RiskCode.LOW_CONFIDENCE,
    RiskCode.COOLDOWN,
    RiskCode.NO_POSITION,
    RiskCode.CLOSE_SIZE,
}
SIZING_CODES = {
    RiskCode.STOP_INVALID,
    RiskCode.SIZE_ZERO,
    RiskCode.BUYING_POWER,
    RiskCode.TICKER_CONCENTRATION,
    RiskCode.SECTOR_CONCENTRATION,
}


# --- builders -----------------------------------------------------------------------------


def snap(**overrides: Any) -> MarketSnapshot:
    """Return a clean AAPL snapshot (every gate open) with ``overrides`` applied."""
    fields: dict[str, Any] = {
        "ticker": "AAPL",
        "sector": "Tech",
        "price": Decimal(50),
        "atr_14": Decimal("1.25"),
        "adv_20": Decimal(10_000_000),
        "vix": Decimal(20),
        "next_earnings": None,
        "earnings_in_trading_days": None,
        "as_of": NOW,
        "source": DataSource.SIMULATED,
    }
    fields.update(overrides)
    return MarketSnapshot(**fields)


def pos(
    ticker: str, qty: int | str, price: int | str, sector: str | None = "Tech"
) -> PositionState:
    """Return a position marked at its entry price."""
    p = Decimal(price)
    return PositionState(
        ticker=ticker, qty=Decimal(qty), avg_price=p, market_price=p, sector=sector
    )


def book(
    cash: int | str = 100_000,
    *,
    positions: tuple[PositionState, ...] = (),
    hwm: int | str | None = None,
    sod: int | str | None = None,
    buying_power: int | str | None = None,
    state: TradingState = TradingState.ACTIVE,
    last_order_at: dict[str, datetime] | None = None,
) -> PortfolioState:
    """Return a portfolio; water marks and buying power default to today's equity / cash."""
    equity = Decimal(cash) + sum((p.market_value for p in positions), Decimal(0))
    return PortfolioState(
        cash=Decimal(cash),
        buying_power=Decimal(buying_power) if buying_power is not None else Decimal(cash),
        high_water_mark=Decimal(hwm) if hwm is not None else equity,
        start_of_day_equity=Decimal(sod) if sod is not None else equity,
        positions=positions,
        trading_state=state,
        last_order_at=last_order_at or {},
        as_of=NOW,
    )


def sig(
    action: Action = Action.BUY, confidence: float = 0.8, ticker: str = "AAPL"
) -> SignalCreated:
    """Return an analyst signal."""
    return SignalCreated(
        ts_event=NOW,
        decision_id=uuid4(),
        ticker=ticker,
        action=action,
        confidence=confidence,
        rationale="test",
        model="scripted",
    )


def evaluate(
    action: Action = Action.BUY,
    *,
    portfolio: PortfolioState | None = None,
    market: MarketSnapshot | None = None,
    confidence: float = 0.8,
    now: datetime = NOW,
) -> RiskApproved | RiskRejected:
    """Run the risk manager with clean defaults."""
    return RISK.evaluate_signal(sig(action, confidence), portfolio or book(), market or snap(), now)


def check(verdict: RiskApproved | RiskRejected, code: RiskCode) -> RiskCheck:
    """Return the one check with ``code``."""
    found = [c for c in verdict.checks if c.code == code.value]
    assert len(found) == 1, f"{code} reported {len(found)} times"
    return found[0]


def violations(verdict: RiskApproved | RiskRejected) -> set[str]:
    """Return the codes of the failed checks."""
    return {c.code for c in verdict.violations}


# --- Phase 4: sizing worked examples ------------------------------------------------------


def test_size_when_risk_size_exceeds_cap_then_capped_at_five_percent_of_equity() -> None:
    # equity 100,000; price 50; ATR-14 1.25
    # stop distance = 2 x 1.25 = 2.50; risk dollars = 1% x 100,000 = 1,000
    # risk shares = floor(1,000 / 2.50) = 400; cap = floor(100,000 x 5% / 50) = floor(100) = 100
    # shares = min(400, 100) = 100; stop = 50 - 2.50 = 47.50; cost 100 x 50 = 5,000
    verdict = evaluate()
    assert isinstance(verdict, RiskApproved)
    assert verdict.intent is Intent.BUY_TO_OPEN
    assert verdict.side is OrderSide.BUY
    assert verdict.qty == Decimal(100)
    assert verdict.stop_distance == Decimal("2.50")
    assert verdict.stop_price == Decimal("47.50")
    assert verdict.risk_dollars == Decimal(1000)
    assert verdict.reference_price == Decimal(50)
    assert verdict.notional == Decimal(5000)
    assert "= 400, cap 100" in check(verdict, RiskCode.SIZE_ZERO).message
    # 5,000 / 100,000 = exactly 5%: at the limit passes
    assert check(verdict, RiskCode.TICKER_CONCENTRATION).value == Decimal("0.05")


def test_size_when_risk_size_below_cap_then_risk_size_used() -> None:
    # equity 100,000; price 50; ATR-14 6.25
    # stop distance = 2 x 6.25 = 12.50; risk shares = floor(1,000 / 12.50) = 80
    # cap = 100, so shares = 80; stop = 50 - 12.50 = 37.50; cost 80 x 50 = 4,000
    # money at risk = 80 x 12.50 = 1,000 = exactly 1% of equity
    verdict = evaluate(market=snap(atr_14=Decimal("6.25")))
    assert isinstance(verdict, RiskApproved)
    assert verdict.qty == Decimal(80)
    assert verdict.stop_price == Decimal("37.50")
    assert verdict.notional == Decimal(4000)
    assert verdict.qty * (verdict.reference_price - verdict.stop_price) == Decimal(1000)


def test_size_when_stop_has_fractions_of_a_cent_then_stop_rounded_up_and_risk_stays_under() -> None:
    # equity 100,000; price 50; ATR-14 6.667 -> stop distance 13.334
    # raw stop = 50 - 13.334 = 36.666 -> rounded UP to the cent = 36.67 (never down to 36.66)
    # risk shares = floor(1,000 / 13.334) = floor(74.996...) = 74 (< cap 100)
    # money at risk = 74 x (50 - 36.67) = 74 x 13.33 = 986.42 <= 1,000
    verdict = evaluate(market=snap(atr_14=Decimal("6.667")))
    assert isinstance(verdict, RiskApproved)
    assert verdict.qty == Decimal(74)
    assert verdict.stop_price == Decimal("36.67")
    assert verdict.qty * (verdict.reference_price - verdict.stop_price) == Decimal("986.42")


def test_size_entry_when_equity_includes_positions_then_sized_on_equity_not_cash() -> None:
    # cash 60,000 + MSFT 100 x 400 = 40,000 -> equity 100,000
    # same numbers as the first example: risk 400 shares, cap 100
    portfolio = book(60_000, positions=(pos("MSFT", 100, 400, "Software"),))
    entry = size_entry(portfolio, snap(), LIMITS)
    assert entry is not None
    assert (entry.risk_shares, entry.cap_shares, entry.shares) == (400, 100, 100)
    assert entry.risk_dollars == Decimal(1000)


def test_evaluate_when_buying_power_one_cent_short_then_buying_power_fires() -> None:
    # cost = 100 x 50 = 5,000.00; buying power 4,999.99 < 5,000 -> BUYING_POWER
    verdict = evaluate(portfolio=book(buying_power="4999.99"))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.BUYING_POWER}
    bp = check(verdict, RiskCode.BUYING_POWER)
    assert (bp.value, bp.limit) == (Decimal(5000), Decimal("4999.99"))
    assert verdict.qty == Decimal(100)


def test_evaluate_when_buying_power_equals_cost_then_approved() -> None:
    # cost 5,000 <= buying power 5,000
    verdict = evaluate(portfolio=book(buying_power=5000))
    assert isinstance(verdict, RiskApproved)
    assert verdict.notional == Decimal(5000)


def test_evaluate_when_one_share_exceeds_cap_then_size_zero() -> None:
    # price 6,000: cap = floor(100,000 x 5% / 6,000) = floor(0.83) = 0 -> SIZE_ZERO
    verdict = evaluate(market=snap(price=Decimal(6000), atr_14=Decimal(50)))
    assert isinstance(verdict, RiskRejected)
    assert RiskCode.SIZE_ZERO in violations(verdict)
    assert verdict.qty == Decimal(0)


def test_evaluate_when_stop_distance_exceeds_price_then_stop_invalid_and_size_zero() -> None:
    # price 50, ATR-14 30 -> stop = 50 - 60 = -10: no valid stop, no risk-based size
    verdict = evaluate(market=snap(atr_14=Decimal(30)))
    assert isinstance(verdict, RiskRejected)
    assert {RiskCode.STOP_INVALID, RiskCode.SIZE_ZERO} <= violations(verdict)
    assert verdict.stop_price is None


def test_evaluate_when_atr_is_zero_then_stop_invalid_and_size_zero() -> None:
    # ATR 0 -> stop distance 0 -> stop = price: the trade risks nothing only on paper
    verdict = evaluate(market=snap(atr_14=Decimal(0)))
    assert isinstance(verdict, RiskRejected)
    assert {RiskCode.STOP_INVALID, RiskCode.SIZE_ZERO} <= violations(verdict)


def test_evaluate_when_equity_is_negative_then_size_zero_and_concentration_fails_closed() -> None:
    verdict = evaluate(portfolio=book(-1000, hwm=0, sod=0, buying_power=0))
    assert isinstance(verdict, RiskRejected)
    assert {RiskCode.SIZE_ZERO, RiskCode.TICKER_CONCENTRATION} <= violations(verdict)
    assert check(verdict, RiskCode.TICKER_CONCENTRATION).value is None


# --- Phase 1: account viability boundaries -------------------------------------------------


def test_evaluate_when_drawdown_exactly_ten_percent_then_max_drawdown_fires() -> None:
    # high-water mark 100,000, equity 90,000 -> drawdown (100,000 - 90,000) / 100,000 = 10%
    verdict = evaluate(portfolio=book(90_000, hwm=100_000))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.MAX_DRAWDOWN}
    dd = check(verdict, RiskCode.MAX_DRAWDOWN)
    assert (dd.value, dd.limit) == (Decimal("0.1"), Decimal("0.10"))


def test_evaluate_when_drawdown_is_9_99_percent_then_max_drawdown_passes() -> None:
    # equity 90,010 -> drawdown 9,990 / 100,000 = 9.99% < 10%
    verdict = evaluate(portfolio=book(90_010, hwm=100_000))
    assert isinstance(verdict, RiskApproved)
    assert check(verdict, RiskCode.MAX_DRAWDOWN).value == Decimal("0.0999")


def test_evaluate_when_day_loss_exactly_three_percent_then_daily_loss_fires() -> None:
    # start of day 100,000, equity 97,000 -> loss 3,000 / 100,000 = 3% (drawdown 3% < 10%)
    verdict = evaluate(portfolio=book(97_000, hwm=100_000, sod=100_000))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.DAILY_LOSS}
    assert check(verdict, RiskCode.DAILY_LOSS).value == Decimal("0.03")


def test_evaluate_when_day_loss_is_2_99_percent_then_daily_loss_passes() -> None:
    # equity 97,010 -> loss 2,990 / 100,000 = 2.99%
    verdict = evaluate(portfolio=book(97_010, hwm=100_000, sod=100_000))
    assert isinstance(verdict, RiskApproved)


def test_evaluate_when_day_is_up_then_day_loss_is_zero() -> None:
    verdict = evaluate(portfolio=book(101_000, hwm=101_000, sod=100_000))
    assert isinstance(verdict, RiskApproved)
    assert check(verdict, RiskCode.DAILY_LOSS).value == Decimal(0)


def test_evaluate_when_halted_then_buy_blocked_by_halted_and_reducing() -> None:
    verdict = evaluate(portfolio=book(state=TradingState.HALTED))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.HALTED, RiskCode.REDUCING}


def test_evaluate_when_halted_then_sell_blocked() -> None:
    portfolio = book(95_000, positions=(pos("AAPL", 100, 50),), state=TradingState.HALTED)
    verdict = evaluate(Action.SELL, portfolio=portfolio)
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.HALTED}
    assert verdict.intent is Intent.SELL_TO_CLOSE


def test_evaluate_when_reducing_then_buy_blocked() -> None:
    verdict = evaluate(portfolio=book(state=TradingState.REDUCING))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.REDUCING}


def test_evaluate_when_reducing_then_sell_approved() -> None:
    portfolio = book(95_000, positions=(pos("AAPL", 100, 50),), state=TradingState.REDUCING)
    verdict = evaluate(Action.SELL, portfolio=portfolio)
    assert isinstance(verdict, RiskApproved)
    assert verdict.qty == Decimal(100)


def test_evaluate_when_drawdown_and_day_loss_breached_then_sell_still_approved() -> None:
    # equity 80,000 vs mark 100,000: 20% drawdown and 20% day loss only stop new longs
    portfolio = book(75_000, positions=(pos("AAPL", 100, 50),), hwm=100_000, sod=100_000)
    verdict = evaluate(Action.SELL, portfolio=portfolio)
    assert isinstance(verdict, RiskApproved)
    assert {c.code for c in verdict.checks} == SELL_CODES


# --- Phase 2: market regime boundaries ---------------------------------------------------


def test_evaluate_when_adv_one_share_below_minimum_then_adv_liquidity_fires() -> None:
    verdict = evaluate(market=snap(adv_20=Decimal(4_999_999)))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.ADV_LIQUIDITY}
    adv = check(verdict, RiskCode.ADV_LIQUIDITY)
    assert (adv.value, adv.limit) == (Decimal(4_999_999), Decimal(5_000_000))


def test_evaluate_when_adv_exactly_minimum_then_adv_liquidity_passes() -> None:
    verdict = evaluate(market=snap(adv_20=Decimal(5_000_000)))
    assert isinstance(verdict, RiskApproved)


def test_evaluate_when_earnings_in_three_trading_days_then_blackout_fires() -> None:
    market = snap(next_earnings=date(2024, 6, 6), earnings_in_trading_days=3)
    verdict = evaluate(market=market)
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.EARNINGS_BLACKOUT}
    blackout = check(verdict, RiskCode.EARNINGS_BLACKOUT)
    assert (blackout.value, blackout.limit) == (Decimal(3), Decimal(3))


def test_evaluate_when_earnings_today_then_blackout_fires() -> None:
    market = snap(next_earnings=NOW.date(), earnings_in_trading_days=0)
    assert violations(evaluate(market=market)) == {RiskCode.EARNINGS_BLACKOUT}


def test_evaluate_when_earnings_in_four_trading_days_then_blackout_passes() -> None:
    market = snap(next_earnings=date(2024, 6, 7), earnings_in_trading_days=4)
    verdict = evaluate(market=market)
    assert isinstance(verdict, RiskApproved)
    assert check(verdict, RiskCode.EARNINGS_BLACKOUT).value == Decimal(4)


def test_evaluate_when_no_earnings_scheduled_then_blackout_passes_without_value() -> None:
    verdict = evaluate()
    blackout = check(verdict, RiskCode.EARNINGS_BLACKOUT)
    assert blackout.passed
    assert blackout.value is None


def test_evaluate_when_earnings_date_missing_then_blackout_fails_closed() -> None:
    verdict = evaluate(market=snap(missing=("next_earnings",)))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.EARNINGS_BLACKOUT, RiskCode.MARKET_DATA}


def test_evaluate_when_vix_exactly_35_then_vix_gate_passes() -> None:
    verdict = evaluate(market=snap(vix=Decimal(35)))
    assert isinstance(verdict, RiskApproved)
    assert check(verdict, RiskCode.VIX_GATE).value == Decimal(35)


def test_evaluate_when_vix_35_01_then_vix_gate_fires() -> None:
    verdict = evaluate(market=snap(vix=Decimal("35.01")))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.VIX_GATE}


def test_evaluate_when_vix_missing_then_vix_gate_and_market_data_fail_closed() -> None:
    verdict = evaluate(market=snap(vix=None))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.VIX_GATE, RiskCode.MARKET_DATA}
    assert check(verdict, RiskCode.VIX_GATE).value is None


def test_evaluate_when_adv_missing_then_adv_liquidity_and_market_data_fail_closed() -> None:
    verdict = evaluate(market=snap(adv_20=None))
    assert violations(verdict) == {RiskCode.ADV_LIQUIDITY, RiskCode.MARKET_DATA}


def test_evaluate_when_data_stale_then_market_data_fires() -> None:
    verdict = evaluate(market=snap(stale=True))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.MARKET_DATA}
    assert check(verdict, RiskCode.MARKET_DATA).value == "stale"


def test_evaluate_when_atr_missing_then_market_data_and_every_sizing_check_fail_closed() -> None:
    verdict = evaluate(market=snap(atr_14=None))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.MARKET_DATA} | SIZING_CODES
    assert check(verdict, RiskCode.MARKET_DATA).value == "atr_14"
    for code in SIZING_CODES:
        failed = check(verdict, code)
        assert failed.value is None
        assert "failing closed" in failed.message
    assert verdict.qty is None
    assert verdict.stop_price is None


def test_evaluate_when_price_missing_then_market_data_and_sizing_fail_closed() -> None:
    verdict = evaluate(market=snap(price=None))
    assert violations(verdict) == {RiskCode.MARKET_DATA} | SIZING_CODES


def test_evaluate_when_sector_missing_then_sector_concentration_fails_closed() -> None:
    verdict = evaluate(market=snap(sector=None))
    assert violations(verdict) == {RiskCode.MARKET_DATA, RiskCode.SECTOR_CONCENTRATION}


# --- Phase 3: concentration boundaries -----------------------------------------------------


def test_evaluate_when_sector_exactly_twenty_percent_after_trade_then_passes() -> None:
    # cash 85,000 + MSFT 150 x 100 = 15,000 (Tech) -> equity 100,000
    # after buying 100 AAPL x 50 = 5,000: Tech = 20,000 / 100,000 = exactly 20% -> passes
    portfolio = book(85_000, positions=(pos("MSFT", 150, 100),))
    verdict = evaluate(portfolio=portfolio)
    assert isinstance(verdict, RiskApproved)
    assert check(verdict, RiskCode.SECTOR_CONCENTRATION).value == Decimal("0.2")


def test_evaluate_when_sector_above_twenty_percent_after_trade_then_fires() -> None:
    # MSFT 151 x 100 = 15,100 + cash 84,900 -> equity 100,000
    # Tech after = 15,100 + 5,000 = 20,100 -> 20.1% > 20% -> SECTOR_CONCENTRATION
    portfolio = book(84_900, positions=(pos("MSFT", 151, 100),))
    verdict = evaluate(portfolio=portfolio)
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.SECTOR_CONCENTRATION}
    assert check(verdict, RiskCode.SECTOR_CONCENTRATION).value == Decimal("0.201")


def test_evaluate_when_other_sector_is_large_then_sector_concentration_passes() -> None:
    # 60,000 of Energy does not count against Tech
    portfolio = book(40_000, positions=(pos("XOM", 600, 100, "Energy"),))
    verdict = evaluate(portfolio=portfolio)
    assert isinstance(verdict, RiskApproved)
    assert check(verdict, RiskCode.SECTOR_CONCENTRATION).value == Decimal("0.05")


def test_evaluate_when_adding_to_a_held_position_then_ticker_concentration_fires() -> None:
    # cash 99,950 + AAPL 1 x 50 -> equity 100,000; buying 100 more:
    # AAPL after = 50 + 5,000 = 5,050 -> 5.05% > 5% -> TICKER_CONCENTRATION
    portfolio = book(99_950, positions=(pos("AAPL", 1, 50),))
    verdict = evaluate(portfolio=portfolio)
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.TICKER_CONCENTRATION}
    assert check(verdict, RiskCode.TICKER_CONCENTRATION).value == Decimal("0.0505")


def test_evaluate_when_held_position_has_unrecorded_sector_then_it_counts_in_snapshot_sector() -> (
    None
):
    # Positions rebuilt from the broker carry no sector. AAPL 10 x 50 = 500 is Tech whatever
    # the book says: MSFT 14,600 + AAPL 500 + new 5,000 = 20,100 of 100,000 = 20.1% > 20%.
    # (ticker: 500 + 5,000 = 5.5% also fires; the sector breach must be reported as well.)
    portfolio = book(84_900, positions=(pos("MSFT", 146, 100), pos("AAPL", 10, 50, sector=None)))
    verdict = evaluate(portfolio=portfolio)
    assert isinstance(verdict, RiskRejected)
    assert RiskCode.SECTOR_CONCENTRATION in violations(verdict)


# --- confidence and cooldown (every order) ------------------------------------------------


@pytest.mark.parametrize("action", [Action.BUY, Action.SELL])
def test_evaluate_when_confidence_exactly_minimum_then_passes(action: Action) -> None:
    portfolio = book(95_000, positions=(pos("AAPL", 100, 50),)) if action is Action.SELL else None
    verdict = evaluate(action, portfolio=portfolio, confidence=0.6)
    assert isinstance(verdict, RiskApproved)
    assert check(verdict, RiskCode.LOW_CONFIDENCE).value == Decimal("0.6")


@pytest.mark.parametrize("action", [Action.BUY, Action.SELL])
def test_evaluate_when_confidence_0_59_then_low_confidence_fires(action: Action) -> None:
    portfolio = book(95_000, positions=(pos("AAPL", 100, 50),)) if action is Action.SELL else None
    verdict = evaluate(action, portfolio=portfolio, confidence=0.59)
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.LOW_CONFIDENCE}
    low = check(verdict, RiskCode.LOW_CONFIDENCE)
    assert (low.value, low.limit) == (Decimal("0.59"), Decimal("0.6"))


@pytest.mark.parametrize("action", [Action.BUY, Action.SELL])
def test_evaluate_when_last_order_9_9_seconds_ago_then_cooldown_fires(action: Action) -> None:
    positions = (pos("AAPL", 100, 50),) if action is Action.SELL else ()
    last = {"AAPL": NOW - timedelta(seconds=9.9)}
    verdict = evaluate(action, portfolio=book(95_000, positions=positions, last_order_at=last))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.COOLDOWN}
    cool = check(verdict, RiskCode.COOLDOWN)
    assert (cool.value, cool.limit) == (Decimal("9.9"), Decimal(10))


@pytest.mark.parametrize("action", [Action.BUY, Action.SELL])
def test_evaluate_when_last_order_exactly_10_seconds_ago_then_cooldown_passes(
    action: Action,
) -> None:
    positions = (pos("AAPL", 100, 50),) if action is Action.SELL else ()
    last = {"AAPL": NOW - timedelta(seconds=10)}
    verdict = evaluate(action, portfolio=book(95_000, positions=positions, last_order_at=last))
    assert isinstance(verdict, RiskApproved)


def test_evaluate_when_last_order_9_9996_seconds_ago_then_cooldown_still_fires() -> None:
    # 9.9996 s is inside the 10 s cooldown; it must not be rounded up to 10.000 and pass
    last = {"AAPL": NOW - timedelta(seconds=9, microseconds=999_600)}
    verdict = evaluate(portfolio=book(last_order_at=last))
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.COOLDOWN}


def test_evaluate_when_recent_order_in_other_ticker_then_cooldown_passes() -> None:
    verdict = evaluate(portfolio=book(last_order_at={"MSFT": NOW - timedelta(seconds=1)}))
    assert isinstance(verdict, RiskApproved)
    assert check(verdict, RiskCode.COOLDOWN).value is None


def test_evaluate_when_last_order_is_in_the_future_then_cooldown_fails_closed() -> None:
    # a clock step backwards must not reopen the ticker
    verdict = evaluate(portfolio=book(last_order_at={"AAPL": NOW + timedelta(seconds=30)}))
    assert violations(verdict) == {RiskCode.COOLDOWN}


# --- all violations together, reporting -----------------------------------------------------


def test_evaluate_when_many_rules_breached_then_every_violation_reported() -> None:
    market = snap(
        adv_20=Decimal(1_000_000),
        vix=Decimal(40),
        next_earnings=date(2024, 6, 4),
        earnings_in_trading_days=1,
    )
    portfolio = book(
        88_000,
        hwm=100_000,
        sod=95_000,
        state=TradingState.REDUCING,
        last_order_at={"AAPL": NOW - timedelta(seconds=2)},
    )
    verdict = evaluate(portfolio=portfolio, market=market, confidence=0.3)
    assert isinstance(verdict, RiskRejected)
    # drawdown 12% >= 10%; day loss 7,000 / 95,000 = 7.37% >= 3%
    assert violations(verdict) == {
        RiskCode.LOW_CONFIDENCE,
        RiskCode.COOLDOWN,
        RiskCode.REDUCING,
        RiskCode.MAX_DRAWDOWN,
        RiskCode.DAILY_LOSS,
        RiskCode.ADV_LIQUIDITY,
        RiskCode.EARNINGS_BLACKOUT,
        RiskCode.VIX_GATE,
    }
    # the entry is still sized so the denial can show what would have been bought
    assert verdict.qty == Decimal(88)  # cap = floor(88,000 x 5% / 50) = 88


def test_evaluate_when_buy_approved_then_every_check_reported_with_limit() -> None:
    verdict = evaluate()
    assert isinstance(verdict, RiskApproved)
    codes = [c.code for c in verdict.checks]
    assert sorted(codes) == sorted(c.value for c in BUY_CODES)
    assert all(c.passed for c in verdict.checks)
    assert all(c.limit is not None and c.message for c in verdict.checks)
    assert verdict.violations == ()
    measured = {c.code for c in verdict.checks if c.value is not None}
    # only "no earlier order" and "no earnings scheduled" have nothing to measure
    assert measured == {c.value for c in BUY_CODES} - {"COOLDOWN", "EARNINGS_BLACKOUT"}


def test_evaluate_when_verdict_built_then_linked_to_signal_and_timestamped() -> None:
    signal = sig()
    verdict = RISK.evaluate_signal(signal, book(), snap(), NOW)
    assert verdict.decision_id == signal.decision_id
    assert verdict.signal_event_id == signal.event_id
    assert verdict.ts_event == NOW
    assert verdict.ticker == "AAPL"
    assert verdict.action is Action.BUY


# --- exits --------------------------------------------------------------------------------


def test_evaluate_when_sell_with_position_then_whole_position_closed() -> None:
    portfolio = book(90_000, positions=(pos("AAPL", 137, 45), pos("MSFT", 10, 400)))
    verdict = evaluate(Action.SELL, portfolio=portfolio, market=snap(price=Decimal("52.10")))
    assert isinstance(verdict, RiskApproved)
    assert verdict.intent is Intent.SELL_TO_CLOSE
    assert verdict.side is OrderSide.SELL
    assert verdict.qty == Decimal(137)
    assert verdict.reference_price == Decimal("52.10")
    assert verdict.notional == Decimal(137) * Decimal("52.10")
    assert verdict.stop_price is None
    assert {c.code for c in verdict.checks} == SELL_CODES


def test_evaluate_when_sell_without_position_then_no_position() -> None:
    portfolio = book(positions=(pos("MSFT", 10, 400),))
    verdict = evaluate(Action.SELL, portfolio=portfolio)
    assert isinstance(verdict, RiskRejected)
    assert violations(verdict) == {RiskCode.NO_POSITION}
    assert check(verdict, RiskCode.NO_POSITION).value == Decimal(0)
    assert verdict.qty is None


@pytest.mark.parametrize(
    "market",
    [
        snap(adv_20=Decimal(10)),
        snap(next_earnings=NOW.date(), earnings_in_trading_days=0),
        snap(vix=Decimal(80)),
        snap(stale=True, missing=("atr_14", "next_earnings")),
        snap(price=None, atr_14=None, adv_20=None, vix=None, sector=None),
    ],
    ids=["illiquid", "earnings-today", "vix-80", "stale", "everything-missing"],
)
def test_evaluate_when_market_gates_closed_then_sell_still_approved(
    market: MarketSnapshot,
) -> None:
    portfolio = book(95_000, positions=(pos("AAPL", 100, 50),))
    verdict = evaluate(Action.SELL, portfolio=portfolio, market=market)
    assert isinstance(verdict, RiskApproved)
    assert verdict.qty == Decimal(100)
    # with no snapshot price the close is referenced at the position's last mark
    assert verdict.reference_price == (market.price or Decimal(50))


def test_evaluate_when_hold_then_value_error() -> None:
    with pytest.raises(ValueError, match="HOLD"):
        evaluate(Action.HOLD)


def test_evaluate_when_tickers_differ_then_value_error() -> None:
    with pytest.raises(ValueError, match="different tickers"):
        RISK.evaluate_signal(sig(ticker="MSFT"), book(), snap(), NOW)


def test_evaluate_when_limits_configured_then_manager_uses_them() -> None:
    # risk 0.5% and stop 3 x ATR: 500 / (3 x 1.25) = 133.3 -> 133, cap 10% -> 200
    strict = RiskManager(
        RiskLimits(
            risk_per_trade_pct=Decimal("0.005"),
            atr_stop_multiple=Decimal(3),
            max_ticker_pct=Decimal("0.10"),
        )
    )
    verdict = strict.evaluate_signal(sig(), book(), snap(), NOW)
    assert isinstance(verdict, RiskApproved)
    assert verdict.qty == Decimal(133)
    assert verdict.stop_price == Decimal("46.25")


# --- assess_account -------------------------------------------------------------------------


def test_assess_account_when_drawdown_exactly_ten_percent_then_reason_given() -> None:
    reason = assess_account(book(90_000, hwm=100_000), LIMITS)
    assert reason is not None
    assert reason.startswith("MAX_DRAWDOWN")
    assert "10.00%" in reason


def test_assess_account_when_drawdown_9_99_percent_then_none() -> None:
    assert assess_account(book(90_010, hwm=100_000), LIMITS) is None


def test_assess_account_when_day_loss_exactly_three_percent_then_reason_given() -> None:
    reason = assess_account(book(97_000, hwm=100_000, sod=100_000), LIMITS)
    assert reason is not None
    assert reason.startswith("DAILY_LOSS")
    assert "MAX_DRAWDOWN" not in reason


def test_assess_account_when_day_loss_2_99_percent_then_none() -> None:
    assert assess_account(book(97_010, hwm=100_000, sod=100_000), LIMITS) is None


def test_assess_account_when_both_breached_then_both_reasons() -> None:
    reason = assess_account(book(85_000, hwm=100_000, sod=100_000), LIMITS)
    assert reason is not None
    assert "MAX_DRAWDOWN" in reason
    assert "DAILY_LOSS" in reason


@pytest.mark.parametrize("state", [TradingState.REDUCING, TradingState.HALTED])
def test_assess_account_when_not_active_then_none(state: TradingState) -> None:
    assert assess_account(book(50_000, hwm=100_000, sod=100_000, state=state), LIMITS) is None


# --- trading state --------------------------------------------------------------------------

_ALLOWED = [(a, b) for a, targets in STATE_TRANSITIONS.items() for b in sorted(targets)]
_REFUSED = [(a, b) for a in TradingState for b in TradingState if b not in STATE_TRANSITIONS[a]]


def test_state_table_when_read_then_matches_the_desk_rules() -> None:
    assert set(_ALLOWED) == {
        (TradingState.ACTIVE, TradingState.REDUCING),
        (TradingState.ACTIVE, TradingState.HALTED),
        (TradingState.REDUCING, TradingState.ACTIVE),
        (TradingState.REDUCING, TradingState.HALTED),
        (TradingState.HALTED, TradingState.ACTIVE),
        # A halt the desk lifts itself (reconciliation settled again) restores REDUCING.
        (TradingState.HALTED, TradingState.REDUCING),
    }


@pytest.mark.parametrize(("current", "target"), _ALLOWED)
def test_change_state_when_move_allowed_then_audited_event(
    current: TradingState, target: TradingState
) -> None:
    decision = uuid4()
    event = change_state(
        current, target, reason="  drawdown 10%  ", actor="risk", now=NOW, decision_id=decision
    )
    assert (event.previous, event.current) == (current, target)
    assert event.reason == "drawdown 10%"
    assert event.actor == "risk"
    assert event.ts_event == NOW
    assert event.decision_id == decision


@pytest.mark.parametrize(("current", "target"), _REFUSED)
def test_change_state_when_move_refused_then_conflict_error(
    current: TradingState, target: TradingState
) -> None:
    with pytest.raises(ConflictError) as info:
        change_state(current, target, reason="because", actor="ops", now=NOW)
    assert info.value.details == {"from": current.value, "to": target.value}


def test_change_state_when_same_state_then_conflict_says_already() -> None:
    with pytest.raises(ConflictError, match="already ACTIVE"):
        change_state(TradingState.ACTIVE, TradingState.ACTIVE, reason="x", actor="ops", now=NOW)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_change_state_when_reason_empty_then_conflict_error(reason: str) -> None:
    with pytest.raises(ConflictError, match="reason"):
        change_state(TradingState.ACTIVE, TradingState.HALTED, reason=reason, actor="ops", now=NOW)
