"""Entries approved but not yet sent count against buying power and concentration."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from swingdesk.domain.enums import Action, DataSource
from swingdesk.domain.events import RiskApproved, RiskRejected, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.risk.limits import RiskLimits
from swingdesk.risk.manager import RiskManager
from swingdesk.risk.pending import PendingEntry, with_pending_entries

NOW = datetime(2024, 3, 1, 21, 1, tzinfo=UTC)


def _snap(ticker: str, sector: str = "Tech", **extra: object) -> MarketSnapshot:
    fields: dict[str, object] = {
        "ticker": ticker, "sector": sector, "price": Decimal(100), "atr_14": Decimal(2),
        "adv_20": Decimal(10_000_000), "vix": Decimal(15), "as_of": NOW,
        "source": DataSource.CSV, "earnings_in_trading_days": None,
    }  # fmt: skip
    return MarketSnapshot.model_validate(fields | extra)


def _signal(ticker: str) -> SignalCreated:
    return SignalCreated(
        ts_event=NOW, decision_id=uuid4(), ticker=ticker, action=Action.BUY,
        confidence=0.9, rationale="test", model="test",
    )  # fmt: skip


def _account(cash: str) -> PortfolioState:
    c = Decimal(cash)
    return PortfolioState(
        cash=c, buying_power=c, high_water_mark=c, start_of_day_equity=c, as_of=NOW
    )


def test_pending_when_added_then_equity_same_and_buying_power_reduced() -> None:
    base = _account("100000")
    after = with_pending_entries(base, [PendingEntry("AAA", Decimal(40), Decimal(100), "Tech")])
    assert after.equity == base.equity
    assert after.buying_power == Decimal(96_000)
    assert after.sector_exposure("Tech") == Decimal(4000)
    assert with_pending_entries(base, []) is base


def test_risk_when_second_entry_of_evening_exceeds_buying_power_then_denied() -> None:
    # Entries of up to 60% of a 5,000 account: one fits the cash, two do not.
    base = _account("5000")
    limits = RiskLimits(
        max_ticker_pct=Decimal("0.6"), max_sector_pct=Decimal(1), risk_per_trade_pct=Decimal("0.4")
    )
    risk = RiskManager(limits)
    first = risk.evaluate_signal(_signal("AAA"), base, _snap("AAA"), NOW)
    assert isinstance(first, RiskApproved)
    assert first.notional is not None
    assert first.notional > Decimal(2500)
    pending = [PendingEntry("AAA", first.qty, first.reference_price, "Tech")]
    second = risk.evaluate_signal(
        _signal("BBB"), with_pending_entries(base, pending), _snap("BBB", "Energy"), NOW
    )
    assert isinstance(second, RiskRejected)
    assert "BUYING_POWER" in {c.code for c in second.violations}
    alone = risk.evaluate_signal(_signal("BBB"), base, _snap("BBB", "Energy"), NOW)
    assert isinstance(alone, RiskApproved)


def test_risk_when_earnings_unknown_then_blocked_unless_allowed() -> None:
    snap = _snap("AAA", missing=("next_earnings",))
    base = _account("100000")
    blocked = RiskManager(RiskLimits()).evaluate_signal(_signal("AAA"), base, snap, NOW)
    assert isinstance(blocked, RiskRejected)
    assert {c.code for c in blocked.violations} == {"MARKET_DATA", "EARNINGS_BLACKOUT"}
    allowed = RiskManager(RiskLimits(allow_unknown_earnings=True)).evaluate_signal(
        _signal("AAA"), base, snap, NOW
    )
    assert isinstance(allowed, RiskApproved)
    gate = next(c for c in allowed.checks if c.code == "EARNINGS_BLACKOUT")
    assert gate.passed
    assert "unknown" in gate.message
    assert "allow" in gate.message
