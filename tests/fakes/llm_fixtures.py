"""Test doubles for the LLM analyst: a scripted in-memory LLMClient, a snapshot, a book."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from swingdesk.domain.enums import DataSource, TradingState
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.ports import LLMReply, LLMRequest

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
GOOD_JSON = json.dumps({"action": "BUY", "confidence": 0.72, "rationale": "Pullback to SMA-20."})


def reply(text: str = GOOD_JSON, **overrides: Any) -> LLMReply:
    """Return an LLMReply with sensible usage."""
    fields: dict[str, Any] = {
        "text": text,
        "finish_reason": "stop",
        "refusal": None,
        "tokens_in": 1000,
        "tokens_out": 100,
        "model": "gpt-4o-mini",
    }
    fields.update(overrides)
    return LLMReply(**fields)


class ScriptedLLM:
    """An LLMClient answering from a queue (a reply or an exception to raise)."""

    provider = "fake"

    def __init__(self, *script: LLMReply | BaseException, model: str = "gpt-4o-mini") -> None:
        self.model = model
        self.script: deque[LLMReply | BaseException] = deque(script)
        self.requests: list[LLMRequest] = []
        self.delay_s = 0.0

    async def complete(self, request: LLMRequest) -> LLMReply:
        """Return the next scripted reply (GOOD when the script is empty)."""
        self.requests.append(request)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        item = self.script.popleft() if self.script else reply()
        if isinstance(item, BaseException):
            raise item
        return item

    async def close(self) -> None:
        """Nothing to release."""


def snapshot(ticker: str = "AAPL", **overrides: Any) -> MarketSnapshot:
    """Return a complete snapshot of a calm uptrend."""
    fields: dict[str, Any] = {
        "ticker": ticker,
        "name": "Apple Inc.",
        "sector": "Information Technology",
        "price": Decimal("190.12"),
        "prev_close": Decimal("189.00"),
        "day_change_pct": Decimal("0.0059"),
        "atr_14": Decimal("3.1"),
        "sma_20": Decimal("188.4"),
        "sma_50": Decimal("182.0"),
        "adv_20": Decimal(52_000_000),
        "volume": Decimal(21_000_000),
        "vix": Decimal("16.2"),
        "as_of": NOW,
        "source": DataSource.SIMULATED,
    }
    fields.update(overrides)
    return MarketSnapshot(**fields)


def book(
    state: TradingState = TradingState.ACTIVE, *, held: tuple[str, ...] = ()
) -> PortfolioState:
    """Return a 100k account in ``state`` holding 10 shares of each ticker in ``held``."""
    positions = tuple(
        PositionState(
            ticker=t,
            qty=Decimal(10),
            avg_price=Decimal(180),
            market_price=Decimal("190.12"),
            stop_price=Decimal(174),
        )
        for t in held
    )
    return PortfolioState(
        cash=Decimal(100_000),
        buying_power=Decimal(100_000),
        high_water_mark=Decimal(101_000),
        start_of_day_equity=Decimal(101_000),
        positions=positions,
        trading_state=state,
        as_of=NOW,
    )
