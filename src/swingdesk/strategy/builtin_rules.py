"""The desk's rule analyst written with the strategy API (``rules.decide`` and its params)."""

from __future__ import annotations

from dataclasses import asdict, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PositionState
from swingdesk.strategy.api import Param, ParamKind, Proposal, StrategyParams, SwingStrategy
from swingdesk.strategy.rules import DEFAULT_PARAMS, RuleParams, decide
from swingdesk.strategy.vector import rule_candidates

if TYPE_CHECKING:
    import pandas as pd

RULES_MODEL = "rules-v1"
_CONTEXT_PARAMS = frozenset({"min_sentiment", "min_market_cap_usd"})

#: Search ranges of the thresholds worth tuning; the others are fixed unless set by hand.
#: Pullback and breakout bands do not overlap, so any sampled pair is a valid RuleParams.
_RANGES: dict[str, tuple[float, float, bool]] = {
    "pullback_atr": (0.25, 1.0, True),
    "breakout_atr": (1.0, 2.5, True),
    "max_extension_atr": (2.5, 5.0, True),
    "pullback_base": (0.45, 0.7, True),
    "breakout_base": (0.45, 0.7, True),
    "trend_bonus_max": (0.0, 0.4, True),
    "trend_full_strength": (0.5, 5.0, True),
    "calm_atr_pct": (0.005, 0.05, False),
    "wild_atr_pct": (0.02, 0.2, False),
    "atr_penalty_max": (0.0, 0.5, False),
    "calm_vix": (5.0, 60.0, False),
    "stressed_vix": (10.0, 90.0, False),
    "vix_penalty_max": (0.0, 0.5, False),
    "earnings_caution_days": (0, 30, False),
    "earnings_penalty": (0.0, 0.5, False),
    "fallback_stop_atr": (0.5, 6.0, True),
    "stop_exit_confidence": (0.0, 1.0, False),
    "trend_exit_confidence": (0.0, 1.0, False),
    "full_break_exit_confidence": (0.0, 1.0, False),
    "hold_confidence": (0.0, 1.0, False),
    "min_sentiment": (-1.0, 1.0, False),
    "min_market_cap_usd": (0.0, 1e13, False),
}


def _declare() -> tuple[Param, ...]:
    out = []
    defaults = asdict(DEFAULT_PARAMS)
    for f in fields(RuleParams):
        low, high, tune = _RANGES[f.name]
        kind: ParamKind = "int" if isinstance(defaults[f.name], int) else "float"
        out.append(
            Param(f.name, kind, defaults[f.name], low=low, high=high, optimize=tune,
                  help="see RuleParams")
        )  # fmt: skip
    return tuple(out)


@lru_cache(maxsize=256)
def rule_params(params: StrategyParams) -> RuleParams:
    """Return the ``RuleParams`` these values describe (cached: decided per ticker-day)."""
    return RuleParams(**dict(params))


class RulesSwing(SwingStrategy):
    """Trend-following swing rule: buy pullbacks and breakouts in an uptrend, exit on a stop
    or a broken trend (the default analyst; see ``strategy.rules``)."""

    name: ClassVar[str] = RULES_MODEL
    parameters: ClassVar[tuple[Param, ...]] = _declare()
    warmup_bars: ClassVar[int] = 60

    def decide(
        self, snapshot: MarketSnapshot, position: PositionState | None, params: StrategyParams
    ) -> Proposal:
        """Return the rule's decision."""
        return decide(snapshot, position, rule_params(params))

    def signals(self, frame: pd.DataFrame, params: StrategyParams) -> pd.DataFrame:
        """Return the entry candidates of the rule (trend and distance to the SMA-20)."""
        entry = rule_candidates(
            rule_params(params),
            frame["close"].to_numpy(dtype=float),
            frame["atr_14"].to_numpy(dtype=float),
            frame["sma_20"].to_numpy(dtype=float),
            frame["sma_50"].to_numpy(dtype=float),
        )
        return frame[["atr_14", "sma_20", "sma_50"]].assign(entry=entry)

    def uses_context(self, params: StrategyParams) -> bool:
        """Say whether a sentiment or market-cap filter is set."""
        return rule_params(params).uses_context

    def record(self, params: StrategyParams) -> dict[str, Any]:
        """Return the thresholds; the context filters only when set (the hash is unchanged)."""
        return {k: v for k, v in params.items() if v is not None or k not in _CONTEXT_PARAMS}
