"""The LLM analyst: prompts a chat model for one structured decision, never raises.

Order of a decision: render prompts -> response cache (a hit is replayed, a miss in
replay-only mode is HOLD ``LLM_CACHE_MISS``) -> daily budget (HOLD ``LLM_BUDGET`` when
spent) -> one model call under the per-decision timeout and the concurrency limit -> the
reply is cached, costed, and interpreted by ``schema.interpret``. Vendor SDKs stay in the
adapters behind ``LLMClient``; this module only sees ``LLMReply`` and typed errors.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from swingdesk.domain.enums import Action
from swingdesk.domain.errors import LLMRateLimitError, LLMTimeoutError
from swingdesk.domain.events import SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.ports import (
    LLMClient,
    LLMReply,
    LLMRequest,
)
from swingdesk.strategy.budget import BudgetGuard, ModelPrice, estimate_tokens, price_for
from swingdesk.strategy.prompts import RenderedPrompt, render
from swingdesk.strategy.schema import (
    LLM_BUDGET,
    LLM_CACHE_MISS,
    LLM_ERROR,
    LLM_RATE_LIMIT,
    LLM_TIMEOUT,
    SCHEMA_NAME,
    Interpretation,
    hold,
    interpret,
    strict_json_schema,
)

_MAX_ERROR_CHARS = 2000


class CacheMode(StrEnum):
    """How the response cache is used."""

    OFF = "off"
    READ_THROUGH = "read_through"
    REPLAY_ONLY = "replay_only"


class ResponseCache(Protocol):
    """Stores model replies keyed by (provider, model, prompt hash)."""

    async def get(self, provider: str, model: str, prompt_hash: str) -> LLMReply | None:
        """Return the stored reply, None on a miss."""
        ...

    async def put(self, provider: str, model: str, prompt_hash: str, reply: LLMReply) -> None:
        """Store a reply (last write wins)."""
        ...


@dataclass(frozen=True, slots=True)
class Answer:
    """One model call's outcome: the reply and its cost, or why there was none."""

    reply: LLMReply | None
    cost: Decimal
    cache_hit: bool
    failure: tuple[str, str] | None  # (reason code, description) when there is no reply


class LLMStrategy:
    """A ``Strategy`` that asks a chat model through an ``LLMClient``."""

    def __init__(
        self,
        client: LLMClient,
        *,
        prices: Mapping[str, ModelPrice] | None = None,
        cache: ResponseCache | None = None,
        cache_mode: CacheMode = CacheMode.READ_THROUGH,
        budget: BudgetGuard | None = None,
        timeout_s: float | None = None,
        max_concurrency: int = 4,
        max_output_tokens: int = 400,
    ) -> None:
        """Wire the client with its prices, cache, budget, timeout and concurrency limit."""
        self.client = client
        self.provider = client.provider
        self.model = client.model
        self.name = f"{client.provider}:{client.model}"
        self.price = price_for(prices or {}, client.model)
        self.cache = cache if cache_mode is not CacheMode.OFF else None
        self.cache_mode = cache_mode
        self.budget = budget
        self.timeout_s = timeout_s
        self.max_output_tokens = max_output_tokens
        self.schema = strict_json_schema()
        self._slots = asyncio.Semaphore(max_concurrency)

    async def evaluate(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        feasible: Sequence[Action],
        now: datetime,
    ) -> SignalCreated:
        """Return the model's signal, or HOLD with a reason code; never raises on bad output."""
        start = time.perf_counter()
        allowed = tuple(feasible)
        prompt = render(snapshot, portfolio, allowed, self.schema)

        def signal(
            meaning: Interpretation,
            raw: str,
            *,
            reply: LLMReply | None = None,
            cost: Decimal = Decimal(0),
            cache_hit: bool = False,
        ) -> SignalCreated:
            return SignalCreated(
                ts_event=now,
                decision_id=decision_id,
                ticker=snapshot.ticker,
                action=meaning.action,
                confidence=meaning.confidence,
                rationale=meaning.rationale,
                model=self.model,
                prompt_hash=prompt.prompt_hash,
                latency_ms=(time.perf_counter() - start) * 1000.0,
                tokens_in=reply.tokens_in if reply else 0,
                tokens_out=reply.tokens_out if reply else 0,
                cost_usd=cost,
                reason_code=meaning.reason_code,
                feasible_actions=allowed,
                prompt=prompt.verbatim(),
                raw_output=raw,
                cache_hit=cache_hit,
                close_fraction=meaning.fraction(),
            )

        answer = await self.ask(prompt, now, SCHEMA_NAME, self.schema)
        if answer.reply is None:
            code, why = answer.failure or (LLM_ERROR, "no reply")
            # A replay miss or a budget refusal never reached the model: nothing to keep.
            raw = "" if code in (LLM_CACHE_MISS, LLM_BUDGET) else why
            return signal(hold(code, why), raw)
        reply = answer.reply
        return signal(
            interpret(reply, allowed),
            reply_text(reply),
            reply=reply,
            cost=answer.cost,
            cache_hit=answer.cache_hit,
        )

    async def ask(
        self,
        prompt: RenderedPrompt,
        now: datetime,
        schema_name: str,
        json_schema: dict[str, Any],
        *,
        unstored_usd: Decimal = Decimal(0),
    ) -> Answer:
        """Ask the model once through the cache, the budget, the concurrency limit and the
        timeout; never raises for the model's or the vendor's fault.

        ``unstored_usd`` is spend of this decision not stored yet (the analyst team's views):
        the budget counts it beside this call's worst case.
        """
        if self.cache is not None:
            cached = await self.cache.get(self.provider, self.model, prompt.prompt_hash)
            if cached is not None:
                # Replayed, not bought: the spend was counted when the reply was first paid.
                return Answer(cached, Decimal(0), True, None)
            if self.cache_mode is CacheMode.REPLAY_ONLY:
                why = f"replay-only mode and no cached reply for prompt {prompt.prompt_hash[:12]}"
                return Answer(None, Decimal(0), False, (LLM_CACHE_MISS, why))

        worst = self._worst_case_usd(prompt) + unstored_usd
        # Budget is reserved only once a slot is free, so a long queue of waiting decisions
        # does not hold reservations for calls that have not started.
        async with self._slots:
            if self.budget is not None:
                refusal = await self.budget.reserve(now, worst)
                if refusal is not None:
                    return Answer(None, Decimal(0), False, (LLM_BUDGET, refusal))
            try:
                reply = await self._call(prompt, schema_name, json_schema)
            except Exception as exc:
                return Answer(None, Decimal(0), False, _classify(exc))
            finally:
                if self.budget is not None:
                    self.budget.release(worst)
        cost = self.price.cost(reply.tokens_in, reply.tokens_out) if self.price else Decimal(0)
        if self.cache is not None:
            await self.cache.put(self.provider, self.model, prompt.prompt_hash, reply)
        return Answer(reply, cost, False, None)

    async def _call(
        self, prompt: RenderedPrompt, schema_name: str, json_schema: dict[str, Any]
    ) -> LLMReply:
        request = LLMRequest(
            system=prompt.system,
            user=prompt.user,
            schema_name=schema_name,
            json_schema=json_schema,
            max_output_tokens=self.max_output_tokens,
        )
        if self.timeout_s is None:
            return await self.client.complete(request)
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self.client.complete(request)
        except TimeoutError as exc:
            raise LLMTimeoutError(
                f"no reply within the per-decision timeout of {self.timeout_s} s"
            ) from exc

    def _worst_case_usd(self, prompt: RenderedPrompt) -> Decimal:
        if self.price is None:
            return Decimal(0)
        tokens_in = estimate_tokens(prompt.system) + estimate_tokens(prompt.user)
        return self.price.cost(tokens_in, self.max_output_tokens)


def reply_text(reply: LLMReply) -> str:
    """Return what to keep for ``explain``: the reply verbatim, or why there was none."""
    if reply.text:
        return reply.text
    return f"(no content; finish_reason={reply.finish_reason}; refusal={reply.refusal!r})"


def _classify(exc: BaseException) -> tuple[str, str]:
    """Map a failed call to a reason code and a short description (kept for ``explain``)."""
    if isinstance(exc, LLMTimeoutError | TimeoutError):
        code = LLM_TIMEOUT
    elif isinstance(exc, LLMRateLimitError):
        code = LLM_RATE_LIMIT
    else:
        # LLMUnavailableError, RejectedError, and anything unforeseen from an SDK.
        code = LLM_ERROR
    try:
        text = f"{type(exc).__name__}: {exc}"
    # An exception whose __str__ fails must not escape the analyst.
    except Exception:
        text = type(exc).__name__
    return code, text[:_MAX_ERROR_CHARS]
