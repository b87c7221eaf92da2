"""The retry policy for broker calls: exponential backoff with jitter, on temporary errors only.

Only ``TemporaryError`` is retried (rate limits, 5xx, network). Rejections, configuration
errors and anything else stop at once. A rate limit's own reset time (``retry_after_s``,
from Retry-After / X-Ratelimit-Reset) wins over the computed backoff. The adapters never
retry themselves, so retries are never stacked.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from swingdesk.domain.errors import TemporaryError

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a temporary broker failure."""

    attempts: int = 5
    base_s: float = 0.5
    max_s: float = 30.0
    jitter: float = 0.5
    sleep: Sleep = asyncio.sleep

    def wait_s(self, attempt: int, error: BaseException | None) -> float:
        """Return how long to wait before retry number ``attempt`` (1-based)."""
        hinted = error.retry_after_s if isinstance(error, TemporaryError) else None
        if hinted is not None and hinted > 0:
            return min(hinted, self.max_s)
        backoff = min(self.base_s * 2.0 ** (attempt - 1), self.max_s)
        # Jitter spreads retries of many callers so they do not hit the broker in step.
        return backoff * (1 + self.jitter * random.random())  # noqa: S311

    def _wait_after_first(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return self.wait_s(state.attempt_number + 1, error)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Call ``fn``, retrying temporary errors; the last error is re-raised unchanged."""
        try:
            # The first attempt needs no retry machinery: most calls end here.
            return await fn()
        except TemporaryError as error:
            if self.attempts <= 1:
                raise
            await self.sleep(self.wait_s(1, error))
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TemporaryError),
            stop=stop_after_attempt(self.attempts - 1),
            wait=self._wait_after_first,
            sleep=self.sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await fn()
        raise AssertionError("unreachable: tenacity re-raises the last error")


async def no_sleep(_: float) -> None:
    """Skip waiting (tests and benchmarks); still yields to the event loop."""
    await asyncio.sleep(0)


#: For tests: retries without waiting.
FAST_RETRY = RetryPolicy(attempts=8, base_s=0.0, max_s=0.0, sleep=no_sleep)
