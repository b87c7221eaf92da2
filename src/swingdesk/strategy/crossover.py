"""The SMA-20/50 crossover analyst: a fixed textbook rule (pure), used to cross-check backtests.

With no position, BUY on the session the SMA-20 closes above the SMA-50 after not being
above it the session before; holding, SELL on the session it closes below after not being
below. Ties (SMA-20 exactly equal to SMA-50) are neither above nor below. The snapshot's SMAs
carry six decimals, which for prices quoted to four decimals is their exact value, so a
crossing is decided exactly (as integer sums of closes would decide it), never by float noise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from swingdesk.domain.enums import Action
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PositionState
from swingdesk.strategy.agent import ApiStrategy, RulesStrategy
from swingdesk.strategy.api import Param, Proposal, StrategyParams, SwingStrategy
from swingdesk.strategy.rules import DEFAULT_PARAMS, MISSING_DATA, RuleDecision
from swingdesk.strategy.vector import cross_candidates

if TYPE_CHECKING:
    import pandas as pd

CROSSOVER_MODEL = "sma-crossover-v1"


@dataclass(frozen=True, slots=True)
class CrossoverParams:
    """Confidence reported with a crossing (above the desk's 0.6 minimum) and with a HOLD."""

    cross_confidence: float = 0.8
    hold_confidence: float = 0.5


def decide_crossover(
    snapshot: MarketSnapshot, position: PositionState | None, params: CrossoverParams
) -> RuleDecision:
    """Decide BUY on a fresh cross above, SELL on a fresh cross below while held, else HOLD."""
    s = snapshot
    s20, s50, p20, p50 = s.sma_20, s.sma_50, s.prev_sma_20, s.prev_sma_50
    inputs = {
        "ticker": s.ticker,
        "sma_20": str(s20),
        "sma_50": str(s50),
        "prev_sma_20": str(p20),
        "prev_sma_50": str(p50),
        "held": "yes" if position is not None else "no",
    }
    if s20 is None or s50 is None or p20 is None or p50 is None:
        return RuleDecision(
            Action.HOLD, 0.0, "No decision: the SMAs of today and yesterday are needed.",
            inputs, MISSING_DATA,
        )  # fmt: skip
    today = f"SMA-20 {s20} vs SMA-50 {s50} (yesterday {p20} vs {p50})"
    if position is None and s20 > s50 and not p20 > p50:
        return RuleDecision(
            Action.BUY, params.cross_confidence, f"SMA-20 crossed above SMA-50: {today}.", inputs
        )
    if position is not None and s20 < s50 and not p20 < p50:
        return RuleDecision(
            Action.SELL, params.cross_confidence, f"SMA-20 crossed below SMA-50: {today}.", inputs
        )
    return RuleDecision(Action.HOLD, params.hold_confidence, f"No crossing: {today}.", inputs)


class CrossoverSwing(SwingStrategy):
    """SMA-20/50 crossover: buy a fresh cross above, sell a fresh cross below while held."""

    name: ClassVar[str] = CROSSOVER_MODEL
    parameters: ClassVar[tuple[Param, ...]] = (
        Param("cross_confidence", "float", 0.8, low=0.0, high=1.0, optimize=False,
              help="confidence reported with a crossing (the desk's minimum is 0.6)"),
        Param("hold_confidence", "float", 0.5, low=0.0, high=1.0, optimize=False,
              help="confidence reported with a HOLD"),
    )  # fmt: skip
    warmup_bars: ClassVar[int] = 51

    def decide(
        self, snapshot: MarketSnapshot, position: PositionState | None, params: StrategyParams
    ) -> Proposal:
        """Return the crossover decision."""
        return decide_crossover(snapshot, position, CrossoverParams(**dict(params)))

    def signals(self, frame: pd.DataFrame, params: StrategyParams) -> pd.DataFrame:
        """Return the crossing candidates (SMA-20 above the SMA-50, not above the bar before)."""
        s20 = frame["sma_20"].to_numpy(dtype=float)
        s50 = frame["sma_50"].to_numpy(dtype=float)
        return frame[["sma_20", "sma_50"]].assign(entry=cross_candidates(s20, s50))


class CrossoverStrategy(RulesStrategy):
    """``decide_crossover`` behind the ``Strategy`` port."""

    name: str = CROSSOVER_MODEL

    def __init__(self, params: CrossoverParams | None = None) -> None:
        """Keep the crossover's confidences."""
        self.cross = params or CrossoverParams()
        ApiStrategy.__init__(self, CrossoverSwing(), StrategyParams(asdict(self.cross)))
        self.params = DEFAULT_PARAMS  # no rule thresholds: no context filter either
        self._cross_json = self._params_json

    def decide(self, snapshot: MarketSnapshot, position: PositionState | None) -> RuleDecision:
        """Return the crossover decision for one snapshot and the position held in it."""
        return decide_crossover(snapshot, position, self.cross)

    def params_json(self) -> dict[str, Any]:
        """Return the confidences as recorded in the prompt."""
        return self._cross_json
