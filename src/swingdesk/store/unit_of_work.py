"""The unit of work: one transaction in which a stage's rows and audit entries commit together."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from swingdesk.domain.enums import TradingState
from swingdesk.domain.events import TradingStateChanged
from swingdesk.store import tables
from swingdesk.store.queries import current_state
from swingdesk.store.tx_decisions import DecisionWrites
from swingdesk.store.tx_orders import OrderWrites


class Tx(DecisionWrites, OrderWrites):
    """One unit of work: everything added commits together or not at all.

    Events recorded here (``record``) and every audit entry become outbox messages in the
    same transaction; the Store hands them to its publisher after the commit, so nothing is
    published that did not commit, and nothing committed is lost to the stream.
    """

    async def trading_state(self) -> TradingState:
        """Return the trading state as this transaction sees it."""
        return await current_state(self.session)

    async def record_state_change(self, ev: TradingStateChanged) -> None:
        """Store a trading-state change."""
        seq = (await self.session.scalar(select(func.max(tables.TradingStateRow.seq)))) or 0
        self.session.add(
            tables.TradingStateRow(
                event_id=str(ev.event_id),
                seq=seq + 1,
                decision_id=str(ev.decision_id) if ev.decision_id else None,
                previous=ev.previous.value,
                current=ev.current.value,
                reason=ev.reason,
                actor=ev.actor,
                cause=ev.cause,
                ts_event=ev.ts_event,
            )
        )

    async def add_account_snapshot(
        self,
        *,
        now: datetime,
        session_date: str,
        cash: Decimal,
        equity: Decimal,
        buying_power: Decimal,
        high_water_mark: Decimal,
        start_of_day_equity: Decimal,
    ) -> None:
        """Store the account's equity, water mark and start-of-day equity."""
        self.session.add(
            tables.AccountSnapshotRow(
                ts=now,
                session_date=session_date,
                cash=cash,
                equity=equity,
                buying_power=buying_power,
                high_water_mark=high_water_mark,
                start_of_day_equity=start_of_day_equity,
            )
        )
