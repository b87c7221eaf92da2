"""What `serve` runs to be one replica of several: the leader lease and the shared bus.

Every replica serves triggers, reads and live streams. The lease decides which one runs the
jobs that must run once (the autopilot's ``leader_only`` jobs, the relay to Redis); losing
it cancels those jobs at once (``Autopilot.demoted``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from swingdesk.api.deps import Services
from swingdesk.bootstrap import Desk
from swingdesk.config import Settings
from swingdesk.services.autopilot import Autopilot
from swingdesk.services.notifications import Notifications
from swingdesk.store.job_state import JobState

log = logging.getLogger(__name__)
#: Tasks started from synchronous callbacks, kept referenced until they end.
_pending: set[asyncio.Future[None]] = set()


@dataclass
class Replica:
    """The running parts; ``stop`` gives the lease back so a successor need not wait."""

    desk: Desk

    async def stop(self) -> None:
        """Stop relaying and leading (idempotent)."""
        shared = self.desk.shared_bus
        if shared is not None:
            await shared.relay.stop()
        if self.desk.leadership is not None:
            with contextlib.suppress(Exception):
                await self.desk.leadership.stop()


def start_replica(desk: Desk, services: Services) -> Replica:
    """Start the lease, and with Redis the leader's relay and the commit listener."""
    leadership = desk.leadership
    if leadership is not None:

        def changed(leading: bool) -> None:
            if not leading:
                services.autopilot.demoted()
                for runner in (services.backtests, services.optimizations):
                    task = asyncio.ensure_future(runner.abandon())
                    _pending.add(task)
                    task.add_done_callback(_pending.discard)
            elif desk.shared_bus is not None:
                desk.shared_bus.relay.wake()

        leadership.add_listener(changed)
        leadership.start()
    shared = desk.shared_bus
    if shared is not None:
        shared.relay.start()
        if shared.signal is not None:
            shared.signal.listen(shared.relay.wake)
    return Replica(desk)


def add_notification_jobs(autopilot: Autopilot, desk: Desk, settings: Settings) -> Notifications:
    """Schedule the leader's notification jobs: events as committed, the daily summary."""
    assert desk.notifier is not None
    notes = Notifications(
        desk.store,
        desk.notifier,
        JobState(desk.store, desk.leadership),
        desk.clock,
        events=settings.notify_event_set,
        portfolio=desk.portfolio,
        calendar=desk.market.calendar,
    )
    autopilot.add_job(
        "notify", settings.stream_poll_s, notes.run_once, first_after_s=1.0, leader_only=True
    )
    autopilot.add_job("daily_summary", 60.0, notes.daily_summary, leader_only=True)
    return notes
