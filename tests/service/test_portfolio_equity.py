"""Equity has one definition: the water marks move with the very figure risk compares."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from tests.conftest import T0

from swingdesk.domain.portfolio import PortfolioState, PositionState, advance_water_marks, equity_of
from swingdesk.ports import BrokerAccount, BrokerPosition
from swingdesk.services.portfolio import PortfolioService
from swingdesk.store import migrate
from swingdesk.store.store import Store


class _SkewedBroker:
    """A broker whose account equity was read at another moment than its positions."""

    async def get_account(self) -> BrokerAccount:
        return BrokerAccount(cash=Decimal(1000), buying_power=Decimal(1000), equity=Decimal(9999))

    async def get_positions(self) -> list[BrokerPosition]:
        return [BrokerPosition("AAPL", Decimal(10), Decimal(90), Decimal(1000), Decimal(100))]

    def __getattr__(self, name: str) -> Any:  # the rest of the Broker port is not used here
        raise AttributeError(name)


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[Store]:
    migrate.upgrade(sqlite_url)
    s = Store.from_url(sqlite_url)
    yield s
    await s.close()


async def test_current_when_the_account_read_disagrees_then_marks_follow_the_compared_equity(
    store: Store,
) -> None:
    service = PortfolioService(_SkewedBroker(), store, lambda _: "Tech")  # type: ignore[arg-type]

    state = await service.current(T0)

    assert state.equity == Decimal(2000)  # cash 1000 + 10 x 100, not the account's 9999
    assert state.high_water_mark == state.equity
    assert state.start_of_day_equity == state.equity
    assert state.drawdown_pct == 0
    history = await store.equity_history(limit=5)
    assert [row.equity for row in history] == [Decimal(2000)]


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
