"""Builds the PortfolioState risk sees, from the broker's account and our database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from swingdesk.domain.exchange_time import ny_date_iso
from swingdesk.domain.portfolio import (
    PortfolioState,
    PositionState,
    advance_water_marks,
    equity_of,
)
from swingdesk.execution.retry import RetryPolicy
from swingdesk.ports import AccountAndPositions, Broker, BrokerAccount, BrokerPosition
from swingdesk.unit_of_work import AccountStore

#: The trading day ``now`` belongs to, as stored with account snapshots.
session_date = ny_date_iso


class PortfolioService:
    """The account as the broker reports it, plus what only we know (state, marks, stops)."""

    def __init__(
        self,
        broker: Broker,
        store: AccountStore,
        sector_of: Callable[[str], str | None],
        *,
        reuse_s: float = 0.0,
        retry: RetryPolicy | None = None,
        read_book: AccountAndPositions | None = None,
    ) -> None:
        self.broker = broker
        # The broker's account and positions in one read, when it offers that (bootstrap
        # passes the simulated broker's); otherwise its two port calls.
        self.read_book = read_book
        # No retry unless one is given: bootstrap passes the broker policy the execution uses.
        self.retry = retry or RetryPolicy(attempts=1)
        self.store = store
        self.sector_of = sector_of
        self.reuse_s = reuse_s
        self._last: PortfolioState | None = None

    async def recent(self, now: datetime) -> PortfolioState:
        """Return a portfolio at most ``reuse_s`` old, for choosing the analyst's options.

        Risk never uses this: it always calls ``current`` under the pipeline's book lock.
        """
        last = self._last
        if last is not None and 0 <= (now - last.as_of).total_seconds() < self.reuse_s:
            return last
        return await self.current(now)

    def invalidate(self) -> None:
        """Forget the reusable portfolio (after our own orders, fills or state changes)."""
        self._last = None

    async def current(
        self, now: datetime, *, record: bool = True, mark: bool = False
    ) -> PortfolioState:
        """Return the portfolio now; tracks the high-water mark and start-of-day equity.

        A snapshot of the account is stored when the water mark or the day changes, and
        always with ``mark`` (the periodic equity mark that draws the equity curve).

        Broker reads are retried on temporary errors (``retry``, the policy of every broker
        call); after that it raises whatever the broker raised: callers fail closed when the
        account is unknown.
        """
        account, broker_positions = await self._broker_book()
        day = session_date(now)
        facts = await self.store.book_facts(day)
        ours, hwm, sod = facts.positions, facts.high_water_mark, facts.start_of_day_equity
        positions = []
        for bp in broker_positions:
            if bp.qty <= 0:
                continue
            mine = ours.get(bp.ticker)
            positions.append(
                PositionState(
                    ticker=bp.ticker,
                    qty=bp.qty,
                    avg_price=bp.avg_entry_price,
                    market_price=bp.current_price,
                    sector=(mine.sector if mine and mine.sector else self.sector_of(bp.ticker)),
                    stop_price=mine.stop_price if mine else None,
                )
            )
        # The water marks move with the very equity risk compares against them: one
        # definition (equity_of), from this one read of the account and its positions.
        equity = equity_of(account.cash, positions)
        new_hwm, new_sod = advance_water_marks(equity, hwm, sod)
        if record and (mark or hwm is None or sod is None or new_hwm != hwm):
            async with self.store.tx() as tx:
                await tx.add_account_snapshot(
                    now=now,
                    session_date=day,
                    cash=account.cash,
                    equity=equity,
                    buying_power=account.buying_power,
                    high_water_mark=new_hwm,
                    start_of_day_equity=new_sod,
                )
        self._last = PortfolioState(
            cash=account.cash,
            buying_power=max(account.buying_power, Decimal(0)),
            high_water_mark=new_hwm,
            start_of_day_equity=new_sod,
            positions=tuple(positions),
            trading_state=facts.trading_state,
            last_order_at=facts.last_order_at,
            as_of=now,
        )
        return self._last

    async def _broker_book(self) -> tuple[BrokerAccount, list[BrokerPosition]]:
        """Return the broker's account and positions, each read retried (``retry``)."""
        if self.read_book is not None:
            return await self.retry.call(self.read_book)
        account = await self.retry.call(self.broker.get_account)
        return account, await self.retry.call(self.broker.get_positions)
