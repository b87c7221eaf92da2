"""How a denial is counted: under the first stage of the desk's reasoning that stopped it.

The risk manager evaluates and records every rule for every signal, so ``explain`` shows
each value against its limit. Counting denials is another matter. A signal with no known
earnings date fails the market stage; that it would also have exceeded the buying power
says nothing about buying power, which it could never have used (on the shared S&P 500 data,
10,747 of the 12,146 buying-power failures of a five-year backtest were such signals). So
a tally (a backtest's denials by code, the dashboard's denials today) counts a denied signal
under the failed checks of its first failing stage, in the order a trader asks:

1. desk: can the desk take any new risk? (halted, reducing, drawdown, day loss)
2. market: is this instrument tradeable today? (data, liquidity, earnings, VIX)
3. trade: is this order acceptable? (confidence, cooldown, stop, size, buying power,
   ticker and sector concentration, a position to close)

A signal failing two checks of one stage counts under both.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from swingdesk.risk.codes import RiskCode


class Stage(IntEnum):
    """The stages of a verdict, in the order they are asked."""

    DESK = 1
    MARKET = 2
    TRADE = 3


STAGE_OF: dict[str, Stage] = {
    RiskCode.HALTED: Stage.DESK,
    RiskCode.REDUCING: Stage.DESK,
    RiskCode.MAX_DRAWDOWN: Stage.DESK,
    RiskCode.DAILY_LOSS: Stage.DESK,
    RiskCode.PORTFOLIO_UNAVAILABLE: Stage.DESK,
    RiskCode.MARKET_DATA: Stage.MARKET,
    RiskCode.ADV_LIQUIDITY: Stage.MARKET,
    RiskCode.EARNINGS_BLACKOUT: Stage.MARKET,
    RiskCode.VIX_GATE: Stage.MARKET,
    RiskCode.LOW_CONFIDENCE: Stage.TRADE,
    RiskCode.COOLDOWN: Stage.TRADE,
    RiskCode.STOP_INVALID: Stage.TRADE,
    RiskCode.SIZE_ZERO: Stage.TRADE,
    RiskCode.BUYING_POWER: Stage.TRADE,
    RiskCode.TICKER_CONCENTRATION: Stage.TRADE,
    RiskCode.SECTOR_CONCENTRATION: Stage.TRADE,
    RiskCode.NO_POSITION: Stage.TRADE,
    RiskCode.CLOSE_SIZE: Stage.TRADE,
}


def stopping_codes(failed: Iterable[str]) -> list[str]:
    """Return the codes a denial counts under, given the codes of its failed checks (in the
    verdict's order): those of its first failing stage.

    Empty when nothing failed. A code no stage names (a check added without one) counts as
    a trade check, never silently dropped.
    """
    staged = [(STAGE_OF.get(code, Stage.TRADE), code) for code in failed]
    if not staged:
        return []
    first = min(stage for stage, _ in staged)
    return [code for stage, code in staged if stage == first]
