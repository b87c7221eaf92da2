"""The strategy stage: the rules analyst as a ``Strategy``, and the agent that guards any strategy.

``StrategyAgent`` is what the pipeline calls. Whatever strategy it wraps (rules, an LLM, a
test script), it returns a valid ``SignalCreated`` whose action is feasible, and turns a
strategy failure into a HOLD with the reason kept, so the pipeline never sees an exception
from this stage.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from swingdesk.domain.enums import Action, TradingState
from swingdesk.domain.events import SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.ports import Strategy
from swingdesk.strategy.api import StrategyParams, SwingStrategy, resolve_params
from swingdesk.strategy.builtin_rules import RULES_MODEL, RulesSwing
from swingdesk.strategy.feasible import explain_infeasible, feasible_actions
from swingdesk.strategy.rules import DEFAULT_PARAMS, RuleDecision, RuleParams, decide

#: Reason code of a HOLD that replaced an action the desk could not act on.
NOT_FEASIBLE = "NOT_FEASIBLE"
#: Reason code of a HOLD that replaced a strategy failure or a malformed signal.
STRATEGY_ERROR = "STRATEGY_ERROR"
#: Reason code of the HOLD every decision gets while the desk is HALTED.
DESK_HALTED = "HALTED"


# Error text is stored and shown on the dashboard; a runaway message must not bloat either.
_MAX_ERROR_CHARS = 2000


# One encoder for every call: ``json.dumps`` with options builds a new one each time.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """Serialise ``value`` to compact JSON with sorted keys, so equal inputs hash equally."""
    return _CANONICAL.encode(value)


def sha256_hex(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ApiStrategy:
    """A strategy written with the strategy API (``api.SwingStrategy``) behind the
    ``Strategy`` port: its proposals become signals; the risk desk still has the last word."""

    def __init__(self, spec: SwingStrategy, values: StrategyParams | None = None) -> None:
        """Run ``spec`` with ``values`` (its declared defaults when None)."""
        self.spec = spec
        self.values = values if values is not None else resolve_params(spec)
        self.name = spec.name
        self._params_json = spec.record(self.values)
        # The last decision and what it was made from (kept alive, so ``is`` is sound).
        self._last: tuple[MarketSnapshot, PositionState | None, RuleDecision] | None = None
        self._params_text: tuple[dict[str, Any], str] | None = None

    @property
    def uses_context(self) -> bool:
        """Say whether decisions read news or fundamentals (the fast engine cannot run it)."""
        return self.spec.uses_context(self.values)

    def decide(self, snapshot: MarketSnapshot, position: PositionState | None) -> RuleDecision:
        """Return the strategy's proposal for one snapshot and the position held in it."""
        return self.spec.decide(snapshot, position, self.values)

    def decision(self, snapshot: MarketSnapshot, position: PositionState | None) -> RuleDecision:
        """Return ``decide``'s answer, reusing the last one for the very same (immutable) inputs.

        A caller that screens out HOLDs before asking for the signal (the backtest engine)
        thus decides each snapshot once; the decision is a pure function of its inputs.
        """
        last = self._last
        if last is not None and last[0] is snapshot and last[1] is position:
            return last[2]
        result = self.decide(snapshot, position)
        self._last = (snapshot, position, result)
        return result

    def params_json(self) -> dict[str, Any]:
        """Return the thresholds as recorded in the prompt (and its hash)."""
        return self._params_json

    def prompt_json(self, inputs: dict[str, str]) -> str:
        """Return the prompt, ``canonical_json({"rule", "inputs", "params"})``, character for
        character; the params are part of it, so a changed threshold changes the hash.

        The params' JSON is encoded once per ``params_json()`` object (strategies keep theirs,
        built from frozen thresholds) and spliced between the sorted keys.
        """
        params = self.params_json()
        cached = self._params_text
        if cached is None or cached[0] is not params:
            cached = self._params_text = (params, canonical_json(params))
        return (
            f'{{"inputs":{canonical_json(inputs)},"params":{cached[1]},'
            f'"rule":{canonical_json(self.name)}}}'
        )

    async def evaluate(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        feasible: Sequence[Action],
        now: datetime,
    ) -> SignalCreated:
        """Return the proposal's signal, or a NOT_FEASIBLE HOLD when the desk cannot act on it."""
        start = time.perf_counter()
        decision = self.decision(snapshot, portfolio.position(snapshot.ticker))
        prompt = self.prompt_json(decision.inputs)
        raw_output = canonical_json(_decision_json(decision))
        action, confidence = decision.action, decision.confidence
        rationale, reason_code = decision.rationale, decision.reason_code
        if action not in feasible:
            why = explain_infeasible(portfolio, snapshot.ticker, action) or (
                f"{action.value} is not among the feasible actions"
            )
            rationale = (
                f"Holding: the rule proposed {action.value} at {confidence:.2f} but {why}. "
                f"Rule said: {decision.rationale}"
            )
            action, confidence, reason_code = Action.HOLD, 0.0, NOT_FEASIBLE
        # Only a SELL closes part of a position; risk sizes the shares from the fraction.
        close_fraction = (
            Decimal(repr(decision.close_fraction))
            if decision.close_fraction is not None and action is Action.SELL
            else None
        )
        feasible = tuple(feasible)
        # Every value is already what validation would make of it, unless a caller or a
        # subclass hands in something to coerce or refuse: then the model validates.
        build = (
            SignalCreated.trusted
            if _plain(now, decision_id, self.name, action, confidence, feasible)
            else SignalCreated
        )
        return build(
            ts_event=now,
            decision_id=decision_id,
            ticker=snapshot.ticker,
            action=action,
            confidence=confidence,
            rationale=rationale,
            model=self.name,
            prompt_hash=sha256_hex(prompt),
            latency_ms=(time.perf_counter() - start) * 1000.0,
            tokens_in=0,
            tokens_out=0,
            cost_usd=Decimal(0),
            reason_code=reason_code,
            feasible_actions=feasible,
            prompt=prompt,
            raw_output=raw_output,
            close_fraction=close_fraction,
        )


class RulesStrategy(ApiStrategy):
    """The deterministic analyst: the built-in ``RulesSwing`` with its ``RuleParams``."""

    name: str = RULES_MODEL

    def __init__(self, params: RuleParams = DEFAULT_PARAMS) -> None:
        """Keep the rule thresholds; the defaults are documented on ``RuleParams``."""
        super().__init__(RulesSwing(), StrategyParams(asdict(params)))
        self.params = params
        self.name = type(self).name

    @property
    def uses_context(self) -> bool:
        """Say whether a sentiment or market-cap filter is set."""
        return self.params.uses_context

    def decide(self, snapshot: MarketSnapshot, position: PositionState | None) -> RuleDecision:
        """Return the rule's decision for one snapshot and the position held in it."""
        return decide(snapshot, position, self.params)


class StrategyAgent:
    """Runs one strategy per decision and guarantees a valid, feasible signal back."""

    def __init__(self, strategy: Strategy) -> None:
        """Wrap ``strategy``; its name labels signals even when it fails."""
        self.strategy = strategy
        # Read once, defensively: a broken strategy must still yield a labelled HOLD.
        self.name = str(getattr(strategy, "name", type(strategy).__name__))

    async def evaluate_context(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        now: datetime,
    ) -> SignalCreated:
        """Return the strategy's signal for one decision, as a feasible HOLD when it misbehaves.

        While the desk is HALTED nothing can be acted on, so the strategy is not consulted
        (no model spend) and the decision holds with reason ``HALTED``.
        """
        feasible = feasible_actions(portfolio, snapshot.ticker)
        if portfolio.trading_state is TradingState.HALTED:
            return self._halted_hold(decision_id, snapshot.ticker, feasible, now)
        start = time.perf_counter()
        try:
            signal: object = await self.strategy.evaluate(
                decision_id, snapshot, portfolio, feasible, now
            )
        # A strategy is untrusted code (an LLM client, a plug-in): any failure is its output
        # being unusable, which the design says becomes HOLD with the reason kept.
        except Exception as exc:
            return self._error_hold(
                decision_id, snapshot.ticker, feasible, now, start, _describe(exc)
            )
        problem = _contract_problem(signal, decision_id, snapshot.ticker)
        if problem is not None or not isinstance(signal, SignalCreated):
            text = problem or "the strategy returned an invalid signal"
            return self._error_hold(decision_id, snapshot.ticker, feasible, now, start, text)
        if signal.action not in feasible:
            why = explain_infeasible(portfolio, snapshot.ticker, signal.action)
            return _infeasible_hold(signal, why, feasible)
        if signal.feasible_actions != feasible:
            # The stored signal must record what was actually feasible, not what it claims.
            return signal.model_copy(update={"feasible_actions": feasible})
        return signal

    def _halted_hold(
        self, decision_id: UUID, ticker: str, feasible: tuple[Action, ...], now: datetime
    ) -> SignalCreated:
        """Return the HOLD of a decision taken while the desk is HALTED (analyst not asked)."""
        return SignalCreated(
            ts_event=now,
            decision_id=decision_id,
            ticker=ticker,
            action=Action.HOLD,
            confidence=0.0,
            rationale=(
                "Holding: the desk is HALTED; the analyst was not consulted and no order "
                "can be placed until trading resumes."
            ),
            model=self.name,
            latency_ms=0.0,
            reason_code=DESK_HALTED,
            feasible_actions=feasible,
        )

    def _error_hold(
        self,
        decision_id: UUID,
        ticker: str,
        feasible: tuple[Action, ...],
        now: datetime,
        start: float,
        error: str,
    ) -> SignalCreated:
        return SignalCreated(
            ts_event=now,
            decision_id=decision_id,
            ticker=ticker,
            action=Action.HOLD,
            confidence=0.0,
            rationale=f"Holding: strategy {self.name} failed ({error}).",
            model=self.name,
            latency_ms=(time.perf_counter() - start) * 1000.0,
            reason_code=STRATEGY_ERROR,
            feasible_actions=feasible,
            raw_output=error,
        )


def _infeasible_hold(
    signal: SignalCreated, why: str, feasible: tuple[Action, ...]
) -> SignalCreated:
    """Return ``signal`` turned into a HOLD: its action cannot be acted on, for ``why``."""
    return signal.model_copy(
        update={
            "action": Action.HOLD,
            "confidence": 0.0,
            "reason_code": NOT_FEASIBLE,
            "rationale": (
                f"Holding: {signal.model} proposed {signal.action.value} but {why}. "
                f"Strategy said: {signal.rationale}"
            ),
            "feasible_actions": feasible,
        }
    )


def _plain(
    now: object,
    decision_id: object,
    model: object,
    action: object,
    confidence: object,
    feasible: tuple[object, ...],
) -> bool:
    """Say whether a signal's fields need no validation: a UTC datetime, a UUID, a str, an
    Action, a float confidence in [0, 1] and Actions only (strings would be coerced)."""
    return (
        type(now) is datetime
        and now.tzinfo is UTC
        and type(decision_id) is UUID
        and type(model) is str
        and type(action) is Action
        and type(confidence) is float
        and 0.0 <= confidence <= 1.0
        and all(type(a) is Action for a in feasible)
    )


def _decision_json(decision: RuleDecision) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "action": decision.action.value,
        "confidence": decision.confidence,
        "rationale": decision.rationale,
        "reason_code": decision.reason_code,
    }
    if decision.close_fraction is not None:  # recorded only when asked, so old hashes hold
        doc["close_fraction"] = decision.close_fraction
    return doc


def _contract_problem(signal: object, decision_id: UUID, ticker: str) -> str | None:
    if not isinstance(signal, SignalCreated):
        return f"the strategy returned {type(signal).__name__}, not SignalCreated"
    if signal.decision_id != decision_id:
        return f"the signal belongs to decision {signal.decision_id}, not {decision_id}"
    if signal.ticker != ticker:
        return f"the signal is for {signal.ticker!r}, not {ticker!r}"
    return None


def _describe(exc: BaseException) -> str:
    try:
        text = f"{type(exc).__name__}: {exc}"
    # An exception whose __str__ itself fails must not escape the guard meant to contain it.
    except Exception:
        text = type(exc).__name__
    return text[:_MAX_ERROR_CHARS]
