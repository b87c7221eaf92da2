"""Portfolio reads from the broker are retried like every other broker call: a broker that
fails for a moment costs no decision; one that stays down fails the decision closed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.service.harness import Harness, build_harness

from swingdesk.adapters.clock import ManualClock
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.backtest.replay import SessionPriceCsvMarket, desk_parts
from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.setup import settings_for
from swingdesk.bootstrap import build_desk
from swingdesk.bootstrap.replay import build_replay_desk
from swingdesk.config import Settings
from swingdesk.domain.enums import Action, DecisionStatus
from swingdesk.domain.errors import TemporaryError
from swingdesk.execution.retry import RetryPolicy, no_sleep
from swingdesk.services.portfolio import PortfolioService
from swingdesk.store import tables as t

ATTEMPTS = 4
RETRY = RetryPolicy(attempts=ATTEMPTS, base_s=0.0, max_s=0.0, sleep=no_sleep)


class Flaky:
    """Wraps a broker read: raises TemporaryError ``failures`` times in a row, then answers."""

    def __init__(self, read: Callable[[], Awaitable[Any]], failures: int) -> None:
        self.read, self.failures, self.calls = read, failures, 0

    async def __call__(self) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise TemporaryError("broker unreachable (injected)")
        return await self.read()


@pytest.fixture
async def desk(db_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    h = await build_harness(db_url, clock, portfolio_retry=RETRY)
    h.strategy.script.append((Action.BUY, 0.8))
    yield h
    await h.store.close()


def make_flaky(desk: Harness, monkeypatch: pytest.MonkeyPatch, failures: int) -> list[Flaky]:
    flaky = []
    for method in ("get_account", "get_positions"):
        wrapper = Flaky(getattr(desk.broker, method), failures)
        monkeypatch.setattr(desk.broker, method, wrapper)
        flaky.append(wrapper)
    return flaky


async def test_run_when_broker_reads_fail_twice_then_retried_and_the_order_is_placed(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, positions = make_flaky(desk, monkeypatch, failures=2)
    out = await desk.pipeline.run("AAPL")
    assert out.status is DecisionStatus.ORDERED, out.summary()
    assert out.error_code is None
    assert account.calls > 2
    assert positions.calls > 2


async def test_run_when_broker_reads_keep_failing_then_fails_closed_at_portfolio_after_attempts(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, _ = make_flaky(desk, monkeypatch, failures=10**6)
    out = await desk.pipeline.run("AAPL")
    assert out.status is DecisionStatus.FAILED
    assert out.failed_stage == "portfolio"
    assert out.error_code == TemporaryError.code
    assert account.calls == ATTEMPTS
    async with desk.store.read() as s:
        assert await s.scalar(select(func.count()).select_from(t.SignalRow)) == 0
        assert await s.scalar(select(func.count()).select_from(t.OrderRow)) == 0


async def test_build_desk_when_wired_then_portfolio_reads_use_the_broker_retry_policy(
    sqlite_url: str,
) -> None:
    settings = Settings(
        database_url=sqlite_url,
        broker_retry_attempts=7,
        broker_retry_base_s=Decimal("0.25"),
        broker_retry_max_s=3,
    )
    desk = await build_desk(settings, reconcile=False)
    try:
        assert desk.portfolio.retry is desk.execution.retry
        assert (desk.portfolio.retry.attempts, desk.portfolio.retry.base_s) == (7, 0.25)
        assert desk.portfolio.retry.max_s == 3
    finally:
        await desk.close()


async def test_current_when_the_one_book_read_fails_twice_then_it_is_retried(
    desk: Harness,
) -> None:
    read = Flaky(desk.broker.account_and_positions, failures=2)
    service = PortfolioService(desk.broker, desk.store, lambda _: None, retry=RETRY, read_book=read)

    state = await service.current(desk.clock.now())

    assert read.calls == 3
    assert state.cash == Decimal(100_000)


async def test_current_when_the_one_book_read_keeps_failing_then_raises_after_attempts(
    desk: Harness,
) -> None:
    read = Flaky(desk.broker.account_and_positions, failures=10**6)
    service = PortfolioService(desk.broker, desk.store, lambda _: None, retry=RETRY, read_book=read)

    with pytest.raises(TemporaryError):
        await service.current(desk.clock.now())
    assert read.calls == ATTEMPTS


async def test_build_desk_when_simulated_then_the_portfolio_reads_the_book_once(
    sqlite_url: str,
) -> None:
    desk = await build_desk(Settings(database_url=sqlite_url), reconcile=False)
    try:
        assert isinstance(desk.broker, SimulatedBroker)
        assert desk.portfolio.read_book == desk.broker.account_and_positions
    finally:
        await desk.close()


async def test_replay_desk_when_rebuilt_for_a_run_then_its_portfolio_reads_the_book_once(
    shared_market: Path, tmp_path: Path
) -> None:
    params = BacktestParams(shared_market, ("AAPL",), date(2016, 1, 4), date(2016, 1, 8))
    clock = ManualClock(datetime(2016, 1, 4, 13, tzinfo=UTC))
    provider = SessionPriceCsvMarket(shared_market)
    desk = await build_replay_desk(settings_for(params, tmp_path), clock=clock, provider=provider)
    try:
        portfolio = desk_parts(desk, params).pipeline.portfolio
        # The run's portfolio (which shows queued entries) keeps the desk's one read and retry.
        assert portfolio.read_book == desk.broker.account_and_positions
        assert portfolio.retry is desk.pipeline.portfolio.retry
    finally:
        await desk.close()
