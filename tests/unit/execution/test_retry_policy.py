"""The retry policy: temporary errors retried with growing waits, the rest never."""

from __future__ import annotations

import pytest

from swingdesk.domain.errors import (
    ConfigurationError,
    InsufficientFundsError,
    RejectedError,
    TemporaryError,
)
from swingdesk.execution.retry import RetryPolicy


class Recorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_call_when_temporary_errors_then_retried_with_exponential_jittered_waits() -> None:
    sleep, calls = Recorder(), []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise TemporaryError("503")
        return "ok"

    policy = RetryPolicy(attempts=5, base_s=1.0, max_s=30.0, jitter=0.5, sleep=sleep)
    assert await policy.call(flaky) == "ok"
    assert len(calls) == 4
    for wait, base in zip(sleep.waits, (1.0, 2.0, 4.0), strict=True):
        assert base <= wait <= base * 1.5


async def test_call_when_rate_limited_with_reset_then_waits_the_hint_capped() -> None:
    sleep, calls = Recorder(), []

    async def limited() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise TemporaryError("429", retry_after_s=12.0)
        if len(calls) == 2:
            raise TemporaryError("429", retry_after_s=500.0)
        return "ok"

    await RetryPolicy(attempts=5, base_s=1.0, max_s=60.0, sleep=sleep).call(limited)
    assert sleep.waits == [12.0, 60.0]


@pytest.mark.parametrize(
    "error",
    [RejectedError("422"), InsufficientFundsError("403"), ConfigurationError("keys"), ValueError()],
)
async def test_call_when_error_is_not_temporary_then_no_retry(error: Exception) -> None:
    sleep, calls = Recorder(), []

    async def refused() -> None:
        calls.append(1)
        raise error

    with pytest.raises(type(error)):
        await RetryPolicy(attempts=5, sleep=sleep).call(refused)
    assert len(calls) == 1
    assert sleep.waits == []


async def test_call_when_attempts_exhausted_then_last_temporary_error_raised() -> None:
    sleep = Recorder()

    async def down() -> None:
        raise TemporaryError("down", outcome_unknown=True)

    with pytest.raises(TemporaryError) as caught:
        await RetryPolicy(attempts=3, base_s=0.1, sleep=sleep).call(down)
    assert caught.value.outcome_unknown
    assert len(sleep.waits) == 2
