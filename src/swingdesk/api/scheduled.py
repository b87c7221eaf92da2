"""The service's scheduled jobs: the autopilot's scan, and what keeps the books and the
stream true (simulated stop ticks, the outbox relay and its pruning, equity marks,
reconciliation, notifications). Each job that must run once is the leader's."""

from __future__ import annotations

import logging

from swingdesk.api.replica import add_notification_jobs
from swingdesk.bootstrap import Desk
from swingdesk.config import Settings
from swingdesk.marketdata.agent import CONTINUOUS_SOURCES
from swingdesk.services.autopilot import Autopilot
from swingdesk.services.scan import scan
from swingdesk.services.watchlist import Watchlist

log = logging.getLogger(__name__)


def market_is_open(desk: Desk) -> bool:
    """Say whether scans may run now: always for a simulated market, else by the calendar."""
    if desk.provider.source in CONTINUOUS_SOURCES:
        return True
    return bool(desk.market.calendar.is_open(desk.clock.now()))


def schedule_jobs(
    desk: Desk, settings: Settings, watchlist: Watchlist, *, scan_job: bool
) -> Autopilot:
    """Return the autopilot with every job this desk needs scheduled (not started)."""
    leadership = desk.leadership
    autopilot = Autopilot(
        desk.clock,
        grace_s=settings.shutdown_jobs_grace_s,
        is_leader=(lambda: leadership.is_leader) if leadership is not None else None,
    )
    if scan_job:
        _schedule_scan(autopilot, desk, settings, watchlist)
    _schedule_book_keeping(autopilot, desk, settings)
    if desk.notifier is not None:
        add_notification_jobs(autopilot, desk, settings)
    return autopilot


def _schedule_scan(
    autopilot: Autopilot, desk: Desk, settings: Settings, watchlist: Watchlist
) -> None:
    async def scan_watchlist() -> object:
        report = await scan(
            desk.pipeline,
            await watchlist.current(),
            clock=desk.clock,
            concurrency=settings.scan_concurrency,
            trigger="autopilot",
        )
        log.info("autopilot scan: %s", report.summary()["counts"])
        return report

    autopilot.add_job(
        "scan",
        settings.scan_interval_s,
        scan_watchlist,
        gate=lambda: market_is_open(desk),
        first_after_s=settings.scan_start_delay_s,
        leader_only=True,
    )


def _schedule_book_keeping(autopilot: Autopilot, desk: Desk, settings: Settings) -> None:
    held_stops, relay, sync, store = desk.held_stops, desk.relay, desk.sync, desk.store
    if held_stops is not None:
        # The simulated broker has no exchange of its own: this tick is what makes its held
        # protective stops fire when the price crosses them (reconciliation books the fills).
        async def stops_tick() -> object:
            return await held_stops.process_stops(desk.clock.now())

        autopilot.add_job("broker_stops", settings.sim_stop_check_s, stops_tick, leader_only=True)
    if relay is not None:
        # Commits no one handed to the relay: another process's, or a lost acknowledgement.
        # Every replica relays to its own in-process bus (with Redis, the leader's
        # LeaderRelay does this for all of them).
        autopilot.add_job("stream_relay", settings.stream_poll_s, relay.catch_up)

    async def prune_outbox() -> object:
        return {"pruned": await store.prune_outbox(keep=settings.stream_outbox_keep)}

    autopilot.add_job("outbox_prune", 600.0, prune_outbox, first_after_s=60.0, leader_only=True)

    async def equity_mark() -> object:
        # A stored mark per interval draws the equity curve; it also moves the water mark.
        state = await desk.portfolio.current(desk.clock.now(), mark=True)
        return {"equity": str(state.equity)}

    autopilot.add_job(
        "equity_mark", settings.equity_mark_interval_s, equity_mark, first_after_s=1.0,
        leader_only=True,
    )  # fmt: skip
    if sync is not None:

        async def reconcile() -> object:
            report = await sync.run_once()
            # A later success lifts a failed start-up reconciliation's block on readiness.
            desk.not_ready.pop("reconciliation", None)
            return report

        # Reconciliation is a safety job: it runs whether or not the autopilot scans.
        autopilot.add_job("reconcile", settings.sync_interval_s, reconcile, leader_only=True)
