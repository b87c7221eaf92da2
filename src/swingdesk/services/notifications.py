"""Operator notifications: fills, stops, trading-state changes, drift, budget, daily summary.

A leader-only job reads the outbox after its cursor (``job_state``), turns the messages an
operator cares about into a subject and a body, sends them through the ``Notifier`` port
(Apprise) and moves the cursor past each one it sent, with the leader's fencing token. So
each event is sent once, by one replica, after it committed; a leader that dies between a
send and its cursor write makes its successor send that one message again (at least once,
never lost). Sending never blocks or fails the pipeline: it runs beside it, bounded by the
notifier's timeout, and a failure is logged and skipped.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any

from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.exchange_time import ny_date_iso
from swingdesk.ports import Clock, Notifier
from swingdesk.services.portfolio import PortfolioService
from swingdesk.services.views import portfolio_view
from swingdesk.unit_of_work import JobCursor, NotificationBooks, OutboxMessage

log = logging.getLogger(__name__)
CURSOR = "notify.cursor"
BUDGET_DAY = "notify.budget_day"
SUMMARY_DAY = "notify.daily_summary"
STOP_TYPES = frozenset({"stop", "trailing_stop"})
Note = tuple[str, str]


class Notifications:
    """Turns committed events into notifications, each sent once (see the module)."""

    def __init__(
        self,
        store: NotificationBooks,
        notifier: Notifier,
        state: JobCursor,
        clock: Clock,
        *,
        events: frozenset[str],
        portfolio: PortfolioService | None = None,
        calendar: TradingCalendar | None = None,
        batch: int = 200,
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.state = state
        self.clock = clock
        self.events = events
        self.portfolio = portfolio
        self.calendar = calendar or TradingCalendar()
        self.batch = batch
        self.sent: Counter[str] = Counter()

    async def run_once(self) -> int:
        """Send what was committed since the cursor; return how many notifications."""
        raw = await self.state.get(CURSOR)
        if raw is None:
            # First run: start from now, not from the whole history.
            head, _ = await self.store.outbox_head()
            await self.state.put(CURSOR, str(head), self.clock.now())
            return 0
        cursor, sent = int(raw), 0
        while True:
            messages = await self.store.outbox_after(cursor, limit=self.batch)
            if not messages:
                return sent
            for message in messages:
                note = await self.describe(message)
                if note is not None:
                    await self.notifier.notify(*note)
                    await self.state.put(CURSOR, str(message.seq), self.clock.now())
                    sent += 1
                cursor = message.seq
            await self.state.put(CURSOR, str(cursor), self.clock.now())

    async def describe(self, m: OutboxMessage) -> Note | None:
        """Return the notification a committed message calls for (None: not notified)."""
        p = m.payload
        if m.topic == "fill":
            order = await self.store.order(str(p.get("client_order_id")))
            stop = order is not None and order.type in STOP_TYPES
            kind = "stop" if stop else "fill"
            if kind not in self.events:
                return None
            what = "Protective stop filled" if stop else "Fill"
            text = (
                f"{p.get('side', '').upper()} {p.get('qty')} {p.get('ticker')} @ {p.get('price')}"
            )
            return self._note(kind, f"{what}: {p.get('ticker')}", text, p.get("decision_id"))
        if m.topic == "trading_state_changed" and "trading_state" in self.events:
            body = (
                f"{p.get('previous')} -> {p.get('current')} by {p.get('actor')}: {p.get('reason')}"
            )
            if p.get("cause"):
                body += f" (cause {p['cause']})"
            return self._note("trading_state", f"Trading state {p.get('current')}", body, None)
        if m.topic == "audit" and p.get("kind") == "reconcile.drift" and "drift" in self.events:
            detail = p.get("payload") or {}
            return self._note(
                "drift", "Reconciliation drift: trading HALTED", f"{p.get('message')}\n{detail}"
            )
        if (
            m.topic == "signal_created"
            and p.get("reason_code") == "LLM_BUDGET"
            and "budget" in self.events
        ):
            day = ny_date_iso(self.clock.now())
            if await self.state.get(BUDGET_DAY) == day:
                return None
            await self.state.put(BUDGET_DAY, day, self.clock.now())
            body = f"the analyst's daily budget is spent ({day}); decisions HOLD until tomorrow"
            return self._note("budget", "Analyst budget exhausted", body)
        return None

    def _note(self, kind: str, subject: str, body: str, decision_id: Any = None) -> Note:
        self.sent[kind] += 1
        if decision_id:
            body += f"\ndecision {decision_id}"
        return f"[swingdesk] {subject}", body

    async def daily_summary(self) -> bool:
        """Send the summary of the last closed session once, after its close."""
        if "daily_summary" not in self.events:
            return False
        now = self.clock.now()
        session = self.calendar.last_closed_session(now)
        day = session.isoformat()
        done = await self.state.get(SUMMARY_DAY)
        if done is None:
            await self.state.put(SUMMARY_DAY, day, now)  # first run: from the next close on
            return False
        if done >= day:
            return False
        body = await self._summary(self.calendar.session_open(session), now)
        await self.notifier.notify(f"[swingdesk] Daily summary {day}", body)
        await self.state.put(SUMMARY_DAY, day, now)
        self.sent["daily_summary"] += 1
        return True

    async def _summary(self, since: datetime, now: datetime) -> str:
        decisions, fills = await self.store.activity_since(since)
        lines = [
            "decisions: " + (", ".join(f"{k} {v}" for k, v in sorted(decisions.items())) or "none"),
            f"fills: {fills or 0}",
        ]
        if self.portfolio is not None:
            try:
                view = portfolio_view(await self.portfolio.current(now))
                lines.append(
                    f"equity {view.get('equity')}, day P&L {view.get('day_pnl')}, "
                    f"positions {len(view.get('positions', []))}, state {view['trading_state']}"
                )
            except Exception as exc:  # the summary still goes out without the account
                lines.append(f"portfolio unavailable: {type(exc).__name__}")
        return "\n".join(lines)
