"""The strategy stage: feasible actions, the rules analyst and the guarding agent."""

from __future__ import annotations

from swingdesk.strategy.agent import (
    NOT_FEASIBLE,
    STRATEGY_ERROR,
    RulesStrategy,
    StrategyAgent,
    canonical_json,
    sha256_hex,
)
from swingdesk.strategy.builtin_rules import RULES_MODEL
from swingdesk.strategy.feasible import explain_infeasible, feasible_actions
from swingdesk.strategy.rules import (
    DEFAULT_PARAMS,
    MISSING_DATA,
    RuleDecision,
    RuleParams,
    decide,
)

__all__ = [
    "DEFAULT_PARAMS",
    "MISSING_DATA",
    "NOT_FEASIBLE",
    "RULES_MODEL",
    "STRATEGY_ERROR",
    "RuleDecision",
    "RuleParams",
    "RulesStrategy",
    "StrategyAgent",
    "canonical_json",
    "decide",
    "explain_infeasible",
    "feasible_actions",
    "sha256_hex",
]
