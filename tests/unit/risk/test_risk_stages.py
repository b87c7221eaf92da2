"""How a denial is counted: under the failed checks of its first failing stage."""

from __future__ import annotations

import pytest

from swingdesk.risk.codes import RiskCode
from swingdesk.risk.stages import STAGE_OF, Stage, stopping_codes


def test_stage_when_any_risk_code_then_named() -> None:
    assert set(STAGE_OF) == {c.value for c in RiskCode}


def test_stopping_codes_when_all_passed_then_none() -> None:
    assert stopping_codes([]) == []


@pytest.mark.parametrize(
    ("failed", "counted"),
    [
        # A market failure hides the trade failures the signal never got to.
        (["BUYING_POWER", "ADV_LIQUIDITY", "SECTOR_CONCENTRATION"], ["ADV_LIQUIDITY"]),
        # Two failures of one stage both count, in the verdict's order.
        (["EARNINGS_BLACKOUT", "MARKET_DATA"], ["EARNINGS_BLACKOUT", "MARKET_DATA"]),
        # The desk comes first: REDUCING alone, however bad the market.
        (["LOW_CONFIDENCE", "REDUCING", "VIX_GATE"], ["REDUCING"]),
        (["LOW_CONFIDENCE", "COOLDOWN"], ["LOW_CONFIDENCE", "COOLDOWN"]),
        # A code no stage knows is counted as a trade check, never dropped.
        (["SOMETHING_NEW"], ["SOMETHING_NEW"]),
        (["SOMETHING_NEW", "MARKET_DATA"], ["MARKET_DATA"]),
    ],
)
def test_stopping_codes_when_checks_fail_then_first_failing_stage_counted(
    failed: list[str], counted: list[str]
) -> None:
    assert stopping_codes(failed) == counted
    assert stopping_codes(iter(failed)) == counted  # any iterable, read once


def test_stages_when_ordered_then_desk_market_trade() -> None:
    assert Stage.DESK < Stage.MARKET < Stage.TRADE
    assert STAGE_OF["MAX_DRAWDOWN"] is Stage.DESK
    assert STAGE_OF["EARNINGS_BLACKOUT"] is Stage.MARKET
    assert STAGE_OF["BUYING_POWER"] is Stage.TRADE
