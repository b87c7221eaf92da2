"""Hypothesis properties of the risk desk over random portfolios, markets and signals.

The invariants are recomputed here from the raw inputs, independently of the rule code:
an approved entry never puts more than 5% of equity in its ticker or 20% in its sector,
never risks more than 1% of equity to its stop and never costs more than the buying power.
Equity is the account at the decision's marks: the snapshot's price for the decided ticker,
every other position at its market price (``tests/fakes/risk_cases.py`` draws the cases).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from hypothesis import HealthCheck, assume, event, given, settings, target
from tests.fakes.risk_cases import (
    CLOSING,
    DECISION,
    EVERY_ORDER,
    LIMITS,
    OPENING,
    PROPERTY,
    SIGNAL_ID,
    Case,
    cases,
    decision_equity,
    held_qty,
    run,
)

from swingdesk.domain.enums import Action, Intent, OrderSide, TradingState
from swingdesk.domain.events import RiskApproved, RiskRejected
from swingdesk.risk import assess_account
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.sizing import decision_marks

# --- properties ----------------------------------------------------------------------------


# Only approvals are checked here, so most draws are discarded; the generator test at the
# end of this file makes sure approvals stay frequent.
@settings(PROPERTY, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=cases(actions=(Action.BUY,)))
def test_evaluate_when_buy_approved_then_ticker_sector_risk_and_cost_within_limits(
    case: Case,
) -> None:
    verdict = run(case)
    event(type(verdict).__name__)
    assume(isinstance(verdict, RiskApproved))
    assert isinstance(verdict, RiskApproved)
    p, m, ticker = case.portfolio, case.market, case.signal.ticker
    assert m.price is not None
    assert m.sector is not None
    assert verdict.stop_price is not None
    equity = decision_equity(case)  # the ticker at today's price, the others at their book mark
    qty, price = verdict.qty, m.price
    assert qty == qty.to_integral_value(rounding=ROUND_DOWN)
    assert qty >= 1
    assert verdict.reference_price == price
    # the ticker after the trade, valued at today's price
    ticker_after = (held_qty(p, ticker) + qty) * price
    assert ticker_after <= LIMITS.max_ticker_pct * equity
    # the sector after the trade: same-sector positions in other names, plus this name
    sector_after = ticker_after + sum(
        (
            pos.qty * pos.market_price
            for pos in p.positions
            if pos.sector == m.sector and pos.ticker != ticker
        ),
        Decimal(0),
    )
    # steer the search towards the limits, where an off-by-one in a rule would show
    target(float(ticker_after / equity), label="ticker fraction of equity")
    target(float(sector_after / equity), label="sector fraction of equity")
    assert sector_after <= LIMITS.max_sector_pct * equity
    # money lost if the stop is hit, at most 1% of equity
    assert 0 < verdict.stop_price < price
    assert qty * (price - verdict.stop_price) <= LIMITS.risk_per_trade_pct * equity
    assert verdict.stop_price == verdict.stop_price.quantize(Decimal("0.01"))
    # affordable
    assert qty * price <= p.buying_power
    assert verdict.notional == qty * price
    # and every gate was really open
    assert p.trading_state is TradingState.ACTIVE
    assert case.signal.confidence >= 0.6


@PROPERTY
@given(case=cases(actions=(Action.BUY,)))
def test_evaluate_when_buy_sized_then_reported_concentrations_match_independent_arithmetic(
    case: Case,
) -> None:
    verdict = run(case)
    p, m, ticker = case.portfolio, case.market, case.signal.ticker
    equity = decision_equity(case)
    assume(verdict.qty is not None and m.price is not None and m.sector is not None)
    assume(equity > 0)
    assert verdict.qty is not None
    assert m.price is not None
    checks = {c.code: c for c in verdict.checks}
    six = Decimal("0.000001")
    # the name, held and new shares, at today's price
    ticker_after = (held_qty(p, ticker) + verdict.qty) * m.price
    assert checks["TICKER_CONCENTRATION"].value == (ticker_after / equity).quantize(six)
    # the sector: this name wherever its book says it belongs, plus other names in the sector
    others = sum(
        (
            x.qty * x.market_price
            for x in p.positions
            if x.sector == m.sector and x.ticker != ticker
        ),
        Decimal(0),
    )
    assert checks["SECTOR_CONCENTRATION"].value == ((others + ticker_after) / equity).quantize(six)
    assert checks["BUYING_POWER"].value == verdict.qty * m.price


@PROPERTY
@given(case=cases())
def test_evaluate_when_any_valid_input_then_every_applicable_check_reported_exactly_once(
    case: Case,
) -> None:
    verdict = run(case)
    codes = [c.code for c in verdict.checks]
    expected = EVERY_ORDER | (OPENING if case.signal.action is Action.BUY else CLOSING)
    assert sorted(codes) == sorted(c.value for c in expected)
    assert all(c.limit is not None and c.message for c in verdict.checks)
    # approved exactly when nothing failed; a denial names at least one violation
    assert isinstance(verdict, RiskApproved) == all(c.passed for c in verdict.checks)
    assert verdict.violations == tuple(c for c in verdict.checks if not c.passed)
    assert verdict.decision_id == DECISION
    assert verdict.signal_event_id == SIGNAL_ID


@PROPERTY
@given(case=cases())
def test_evaluate_when_same_inputs_twice_then_equal_verdicts(case: Case) -> None:
    first, second = run(case), run(case)
    assert type(first) is type(second)
    # event_id is a fresh UUID per event by design; everything else must match
    assert first.model_dump(exclude={"event_id"}) == second.model_dump(exclude={"event_id"})


@PROPERTY
@given(case=cases(states=(TradingState.HALTED,)))
def test_evaluate_when_halted_then_nothing_approved(case: Case) -> None:
    assert case.portfolio.trading_state is TradingState.HALTED
    verdict = run(case)
    assert isinstance(verdict, RiskRejected)
    assert RiskCode.HALTED.value in {c.code for c in verdict.violations}


@PROPERTY
@given(case=cases(states=(TradingState.REDUCING,)))
def test_evaluate_when_reducing_then_only_sell_to_close_approved(case: Case) -> None:
    assert case.portfolio.trading_state is TradingState.REDUCING
    verdict = run(case)
    if case.signal.action is Action.BUY:
        assert isinstance(verdict, RiskRejected)
        assert RiskCode.REDUCING.value in {c.code for c in verdict.violations}
    else:
        event(type(verdict).__name__)
        if isinstance(verdict, RiskApproved):
            assert verdict.intent is Intent.SELL_TO_CLOSE


@PROPERTY
@given(case=cases(actions=(Action.SELL,)))
def test_evaluate_when_sell_then_approval_closes_exactly_the_held_quantity(case: Case) -> None:
    verdict = run(case)
    held = held_qty(case.portfolio, case.signal.ticker)
    event(type(verdict).__name__)
    if isinstance(verdict, RiskApproved):
        assert verdict.intent is Intent.SELL_TO_CLOSE
        assert verdict.side is OrderSide.SELL
        assert verdict.qty == held
        assert verdict.qty > 0
        assert verdict.stop_price is None
    elif held == 0:
        assert RiskCode.NO_POSITION.value in {c.code for c in verdict.violations}
    # market gates never appear on an exit
    assert not {c.code for c in verdict.checks} & {c.value for c in OPENING}


@PROPERTY
@given(case=cases(actions=(Action.BUY,), states=(TradingState.ACTIVE,)))
def test_evaluate_when_account_must_reduce_then_no_buy_approved(case: Case) -> None:
    reason = assess_account(case.portfolio, LIMITS, marks=decision_marks(case.market))
    verdict = run(case)
    event("must reduce" if reason else "may trade")
    if reason is not None:
        assert isinstance(verdict, RiskRejected)
        failed = {c.code for c in verdict.violations}
        assert failed & {RiskCode.MAX_DRAWDOWN.value, RiskCode.DAILY_LOSS.value}


def test_generator_when_sampled_then_produces_buy_approvals() -> None:
    # guards the BUY property above against a generator that never approves anything
    seen: list[bool] = []

    @settings(max_examples=200, deadline=None, database=None)
    @given(case=cases(actions=(Action.BUY,)))
    def sample(case: Case) -> None:
        seen.append(isinstance(run(case), RiskApproved))

    sample()
    assert sum(seen) >= 10, f"only {sum(seen)} of {len(seen)} BUY cases approved"
