"""Equity has one definition: the water marks move with the very figure risk compares."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.conftest import T0
from tests.fakes.uow_backends import BACKENDS, Backend, open_backend

from swingdesk.domain.portfolio import PortfolioState, PositionState, advance_water_marks, equity_of
from swingdesk.ports import BrokerAccount, BrokerPosition
from swingdesk.services.portfolio import PortfolioService


class _SkewedBroker:
    """A broker whose account equity was read at another moment than its positions."""

    def __init__(self) -> None:
        self.price = Decimal(100)

    async def get_account(self) -> BrokerAccount:
        return BrokerAccount(cash=Decimal(1000), buying_power=Decimal(1000), equity=Decimal(9999))

    async def get_positions(self) -> list[BrokerPosition]:
        value = 10 * self.price
        return [BrokerPosition("AAPL", Decimal(10), Decimal(90), value, self.price)]

    def __getattr__(self, name: str) -> Any:  # the rest of the Broker port is not used here
        raise AttributeError(name)


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with open_backend(request.param, request) as opened:
        yield opened


async def test_current_when_the_account_read_disagrees_then_marks_follow_the_compared_equity(
    backend: Backend,
) -> None:
    broker: Any = _SkewedBroker()
    service = PortfolioService(broker, backend.store, lambda _: "Tech")

    state = await service.current(T0)

    assert state.equity == Decimal(2000)  # cash 1000 + 10 x 100, not the account's 9999
    assert state.high_water_mark == state.equity
    assert state.start_of_day_equity == state.equity
    assert state.drawdown_pct == 0
    assert await backend.equity_marks() == [Decimal(2000)]


async def test_current_when_equity_falls_then_the_water_marks_hold_until_a_new_day(
    backend: Backend,
) -> None:
    broker = _SkewedBroker()
    service = PortfolioService(broker, backend.store, lambda _: "Tech")  # type: ignore[arg-type]
    await service.current(T0)

    broker.price = Decimal(80)
    later = await service.current(T0 + timedelta(hours=1), mark=True)
    next_day = await service.current(T0 + timedelta(days=1), mark=True)

    assert (later.equity, later.high_water_mark, later.start_of_day_equity) == (
        Decimal(1800),
        Decimal(2000),
        Decimal(2000),
    )
    assert later.drawdown_pct == Decimal("0.1")
    assert (next_day.high_water_mark, next_day.start_of_day_equity) == (
        Decimal(2000),
        Decimal(1800),
    )
    assert await backend.equity_marks() == [Decimal(2000), Decimal(1800), Decimal(1800)]


def test_equity_of_when_given_a_portfolio_then_it_is_the_portfolios_equity() -> None:
    position = PositionState(
        ticker="AAPL", qty=Decimal(3), avg_price=Decimal(10), market_price=Decimal(12)
    )
    state = PortfolioState(
        cash=Decimal(5),
        buying_power=Decimal(5),
        high_water_mark=Decimal(41),
        start_of_day_equity=Decimal(41),
        positions=(position,),
        as_of=T0,
    )
    assert equity_of(state.cash, state.positions) == state.equity == Decimal(41)


@pytest.mark.parametrize(
    ("equity", "hwm", "sod", "expected"),
    [
        (Decimal(100), None, None, (Decimal(100), Decimal(100))),
        (Decimal(90), Decimal(100), Decimal(95), (Decimal(100), Decimal(95))),
        (Decimal(120), Decimal(100), None, (Decimal(120), Decimal(120))),
    ],
)
def test_advance_water_marks_when_equity_is_seen_then_marks_only_rise_and_sod_is_kept(
    equity: Decimal,
    hwm: Decimal | None,
    sod: Decimal | None,
    expected: tuple[Decimal, Decimal],
) -> None:
    assert advance_water_marks(equity, hwm, sod) == expected
