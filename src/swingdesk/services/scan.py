"""One scan: a decision for every ticker of a list, a bounded number at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from swingdesk.domain.errors import DatabaseUnavailableError, InputError, SwingdeskError
from swingdesk.ports import Clock
from swingdesk.services.pipeline import DecisionPipeline

log = logging.getLogger(__name__)


@dataclass
class ScanReport:
    """What one scan decided, ticker by ticker, in the order the tickers were given."""

    trigger: str
    started_at: datetime
    finished_at: datetime
    duration_ms: float
    concurrency: int
    results: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the report as the JSON object the API and `swingdesk scan --json` print."""
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        return {
            "trigger": self.trigger,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "duration_ms": round(self.duration_ms, 3),
            "concurrency": self.concurrency,
            "tickers": [r["ticker"] for r in self.results],
            "counts": counts,
            "results": self.results,
        }


async def scan(
    pipeline: DecisionPipeline,
    tickers: list[str],
    *,
    clock: Clock,
    concurrency: int,
    trigger: str,
) -> ScanReport:
    """Decide every ticker (validated first, all or nothing) with at most ``concurrency`` open."""
    if concurrency < 1:
        raise InputError(f"concurrency must be at least 1, got {concurrency}")
    clean: list[str] = []
    for raw in tickers:
        ticker = pipeline.validate_ticker(raw)
        if ticker not in clean:
            clean.append(ticker)
    gate = asyncio.Semaphore(concurrency)

    async def one(ticker: str) -> dict[str, Any]:
        async with gate:
            try:
                return (await pipeline.run(ticker, trigger=trigger)).summary()
            except Exception as exc:
                # The pipeline records its own failures; this is the store itself failing.
                code = exc.code if isinstance(exc, SwingdeskError) else "INTERNAL"
                if not isinstance(exc, DatabaseUnavailableError):  # that is logged once
                    log.warning("scan of %s failed: %s: %s", ticker, code, exc)
                return {"ticker": ticker, "status": "failed", "error": {"code": code}}

    started, t0 = clock.now(), time.perf_counter()
    results = list(await asyncio.gather(*(one(t) for t in clean)))
    return ScanReport(
        trigger=trigger,
        started_at=started,
        finished_at=clock.now(),
        duration_ms=(time.perf_counter() - t0) * 1000,
        concurrency=concurrency,
        results=results,
    )
