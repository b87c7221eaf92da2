"""The FastAPI application factory: security check, services, autopilot, routes."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from pydantic import SecretStr

from swingdesk import __version__, log_context
from swingdesk.api.auth_gate import AuthGate, route_scopes
from swingdesk.api.cache import PortfolioCache
from swingdesk.api.dashboard import mount_dashboard
from swingdesk.api.deps import Services
from swingdesk.api.docs import install_docs
from swingdesk.api.errors import install_error_handlers
from swingdesk.api.metrics import Metrics
from swingdesk.api.middleware import EdgeMiddleware, JsonCORSMiddleware
from swingdesk.api.readiness import DatabaseProbe
from swingdesk.api.redaction import install_redaction
from swingdesk.api.replica import add_notification_jobs, start_replica
from swingdesk.api.routes import api, ops, stream
from swingdesk.api.routes_backtest import backtests
from swingdesk.api.routes_desk import desk_routes
from swingdesk.api.routes_optimize import optimizations
from swingdesk.api.routes_read import reads
from swingdesk.api.security import KeyRing, TriggerLimiter, check_startup_security
from swingdesk.api.stream import PortfolioPublisher, StreamHub
from swingdesk.api.stream_caps import StreamAdmission
from swingdesk.backtest.jobs import BacktestService
from swingdesk.bootstrap import Desk, build_desk, notify_urls
from swingdesk.config import MarketProvider, Settings
from swingdesk.marketdata.agent import CONTINUOUS_SOURCES
from swingdesk.marketdata.movers import MarketMovers
from swingdesk.optimize.jobs import OptimizationService
from swingdesk.ports import BusMessage
from swingdesk.services.autopilot import Autopilot
from swingdesk.services.scan import scan
from swingdesk.services.watchlist import Watchlist
from swingdesk.store.backtests import BacktestRuns, Retention
from swingdesk.store.job_state import JobState
from swingdesk.store.leadership import default_replica_id
from swingdesk.store.optimizations import OptimizationRuns

log = logging.getLogger(__name__)
#: Seconds a stop waits for cancelled jobs to end after their grace period.
CANCEL_WAIT_S = 2.0
#: Seconds a stop waits for the desk's connections (database, broker, model) to close.
CLOSE_TIMEOUT_S = 5.0
#: The built dashboard, when the package ships one.
DASHBOARD_DIR = Path(__file__).resolve().parents[1] / "web"
__all__ = ["check_startup_security", "create_app"]


def _secret_values(settings: Settings) -> list[str]:
    """Return every configured secret (SecretStr fields and a database password)."""
    values = [
        v.get_secret_value()
        for name in type(settings).model_fields
        if isinstance(v := getattr(settings, name), SecretStr)
    ]
    if settings.notify_urls is not None:
        # Each URL, and each part of it, carries a token of the service it posts to.
        for raw in notify_urls(settings):
            values.append(raw)
            values += [p for p in re.split(r"[/:@?&=]+", raw.split("://", 1)[-1]) if len(p) >= 12]
    for url in (settings.database_url or "", settings.redis_url or ""):
        if "@" in url and "://" in url:
            creds = url.split("://", 1)[1].rsplit("@", 1)[0]
            if ":" in creds:
                values.append(creds.split(":", 1)[1])
    return values


def shutdown_budget_s(settings: Settings) -> float:
    """Return the longest a stop can take: open requests, then jobs, then closing, seconds."""
    return (
        settings.shutdown_requests_grace_s
        + settings.shutdown_jobs_grace_s
        + CANCEL_WAIT_S
        + CLOSE_TIMEOUT_S
    )


async def _within(timeout_s: float, what: str, *steps: Awaitable[object]) -> None:
    """Run shutdown ``steps`` together for at most ``timeout_s``; abandon what is left."""
    task = asyncio.ensure_future(asyncio.gather(*steps, return_exceptions=True))
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        task.cancel()  # not awaited: a cancelled database wait may itself take long to end
        log.warning("shutdown: %s did not end within %.0f s; abandoned", what, timeout_s)
        return
    for result in task.result():
        if isinstance(result, Exception):
            log.warning("shutdown: %s failed: %s: %s", what, type(result).__name__, result)


def market_is_open(desk: Desk) -> bool:
    """Say whether scans may run now: always for a simulated market, else by the calendar."""
    if desk.provider.source in CONTINUOUS_SOURCES:
        return True
    return bool(desk.market.calendar.is_open(desk.clock.now()))


def build_services(desk: Desk, settings: Settings, metrics: Metrics, *, scan_job: bool) -> Services:
    """Build what the API needs around a desk (keys, limits, stream, scheduled jobs)."""
    store = desk.store

    shared = desk.shared_bus

    async def history(after_seq: int, limit: int) -> list[BusMessage]:
        # The Redis stream first (recent, no database read), then the outbox.
        if shared is not None and (kept := await shared.bus.history(after_seq, limit)):
            return kept
        rows = await store.outbox_after(after_seq, limit=limit)
        return [BusMessage(m.seq, m.topic, m.payload, m.epoch) for m in rows]

    hub = StreamHub(desk.bus, metrics, history=history, shared=shared is not None)
    # Several replicas may share PostgreSQL (never a SQLite file across machines).
    shared_db = store.engine.dialect.name == "postgresql"
    watchlist = Watchlist(
        settings.data_dir / "watchlist.json",
        desk.provider.universe,
        # Several replicas share PostgreSQL but not a data directory.
        shared=JobState(store, None) if shared_db else None,
    )
    leadership = desk.leadership
    autopilot = Autopilot(
        desk.clock,
        grace_s=settings.shutdown_jobs_grace_s,
        is_leader=(lambda: leadership.is_leader) if leadership is not None else None,
    )

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

    if scan_job:
        autopilot.add_job(
            "scan",
            settings.scan_interval_s,
            scan_watchlist,
            gate=lambda: market_is_open(desk),
            first_after_s=settings.scan_start_delay_s,
            leader_only=True,
        )
    held_stops = desk.held_stops
    if held_stops is not None:
        # The simulated broker has no exchange of its own: this tick is what makes its held
        # protective stops fire when the price crosses them (reconciliation books the fills).
        async def stops_tick() -> object:
            return await held_stops.process_stops(desk.clock.now())

        autopilot.add_job("broker_stops", settings.sim_stop_check_s, stops_tick, leader_only=True)

    relay = desk.relay
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
        "equity_mark",
        settings.equity_mark_interval_s,
        equity_mark,
        first_after_s=1.0,
        leader_only=True,
    )
    sync = desk.sync
    if sync is not None:

        async def reconcile() -> object:
            report = await sync.run_once()
            # A later success lifts a failed start-up reconciliation's block on readiness.
            desk.not_ready.pop("reconciliation", None)
            return report

        # Reconciliation is a safety job: it runs whether or not the autopilot scans.
        autopilot.add_job("reconcile", settings.sync_interval_s, reconcile, leader_only=True)
    if desk.notifier is not None:
        add_notification_jobs(autopilot, desk, settings)
    backtests = BacktestService(
        BacktestRuns(desk.store),
        desk.clock,
        # Backtests replay the service's CSV data; any other market, the simulated one.
        csv_dir=settings.csv_dir if settings.market_provider is MarketProvider.CSV else None,
        default_seed=settings.sim_seed,
        retention=Retention(settings.backtest_retention_runs, settings.backtest_retention_days),
        state=JobState(store, leadership) if shared_db else None,
        is_leader=(lambda: leadership.is_leader) if leadership is not None else None,
    )
    optimization_jobs = OptimizationService(
        OptimizationRuns(desk.store), desk.clock, backtests, retention=backtests.retention
    )
    if backtests.state is not None:
        # Runs are the leader's: it starts what any replica stored, one at a time.
        autopilot.add_job("backtests", 1.0, backtests.pick_up, first_after_s=1.0, leader_only=True)
        autopilot.add_job(
            "optimizations", 1.0, optimization_jobs.pick_up, first_after_s=1.0, leader_only=True
        )
    return Services(
        desk=desk,
        keys=KeyRing(settings, desk.clock),
        limiter=TriggerLimiter(
            desk.clock,
            cooldown_s=settings.trigger_cooldown_s,
            rate_per_min=settings.trigger_rate_per_min,
        ),
        hub=hub,
        metrics=metrics,
        watchlist=watchlist,
        autopilot=autopilot,
        movers=MarketMovers(desk.provider, desk.market.calendar),
        portfolio=PortfolioCache(desk),
        backtests=backtests,
        db_probe=DatabaseProbe(desk.store.ping, timeout_s=settings.ready_timeout_s),
        bus_probe=(
            DatabaseProbe(shared.bus.ping, timeout_s=settings.ready_timeout_s)
            if shared is not None
            else None
        ),
        streams=StreamAdmission(
            per_caller=settings.stream_max_clients_per_key,
            total=settings.stream_max_clients_total,
            metrics=metrics,
        ),
        optimizations=optimization_jobs,
    )


def create_app(
    settings: Settings,
    *,
    desk: Desk | None = None,
    autopilot: bool | None = None,
    dashboard_dir: Path | None = DASHBOARD_DIR,
) -> FastAPI:
    """Build the app; the desk is built at start-up unless one is given (tests).

    ``autopilot`` overrides the setting for watchlist scans (tests pass False; `serve` leaves
    it to settings). Reconciliation is scheduled whenever the desk has a SyncWorker. The
    dashboard is served from ``dashboard_dir`` when it holds a build.
    """
    check_startup_security(settings)
    install_redaction(_secret_values(settings))
    log_context.install(settings.replica_id or default_replica_id())
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.desk = desk or await build_desk(settings)
        run_autopilot = settings.autopilot_on if autopilot is None else autopilot
        services = build_services(app.state.desk, settings, metrics, scan_job=run_autopilot)
        app.state.services = services
        if services.backtests.state is None:
            await services.backtests.recover()  # shared: the leader's pick_up does it
            await services.optimizations.recover()
        # Stream ids continue from the outbox, so a client's Last-Event-ID from before a
        # restart resumes where it left off.
        services.hub.last_seq, services.hub.epoch = await app.state.desk.store.outbox_head()
        # Marks are computed by each replica from the fills it sees, for its own clients.
        publisher = PortfolioPublisher(services.hub, services.portfolio)
        services.hub.add_listener(services.portfolio.on_message)
        services.hub.add_listener(publisher.on_message)
        services.hub.add_listener(lambda m: services.metrics.observe_bus(m.topic, m.payload))
        services.hub.start()
        if desk is None:
            # Start-up objects (calendar, market history, SQLAlchemy metadata) live as long as
            # the process: out of the collector's reach, full collections stay short (the p99
            # of GET /api/portfolio fell from ~110 ms to ~30 ms under load).
            gc.collect()
            gc.freeze()
        replicas = start_replica(app.state.desk, services)
        services.autopilot.start()
        try:
            yield
        finally:
            # Every step is bounded: a stop must end within the orchestrator's grace period
            # even when a job or the database hangs (see shutdown_budget_s).
            await _within(
                settings.shutdown_jobs_grace_s + CANCEL_WAIT_S,
                "the autopilot's jobs and the backtest",
                services.autopilot.stop(),
                services.backtests.stop(),
                services.optimizations.stop(),
            )
            await replicas.stop()
            await publisher.stop()
            await services.hub.stop()
            await services.db_probe.stop()
            if desk is None:
                await _within(CLOSE_TIMEOUT_S, "closing the desk", app.state.desk.close())

    app = FastAPI(
        title="swingdesk",
        version=__version__,
        lifespan=lifespan,
        # Served by install_docs from local files: the CDN pages are blocked by our CSP.
        docs_url=None,
        redoc_url=None,
        description="An LLM-assisted swing-trading desk. Send `X-API-Key`: the read key "
        "(`APP_READ_API_KEY`) for reads, the trade key (`APP_API_KEY`) for everything.",
    )
    install_error_handlers(app)
    install_docs(app)
    app.include_router(ops)
    app.include_router(api)
    app.include_router(reads)
    app.include_router(desk_routes)
    app.include_router(backtests)
    app.include_router(optimizations)
    app.include_router(stream)
    # Innermost first: the key is checked before a route reads the body, inside CORS (so a
    # refusal carries the CORS headers a browser needs to read it) and the edge's headers.
    app.add_middleware(
        AuthGate, routes=route_scopes([api, reads, backtests, optimizations, stream])
    )
    origins = settings.cors_origins
    if origins:
        app.add_middleware(
            JsonCORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["X-API-Key", "Content-Type", "Last-Event-ID"],
            max_age=600,
        )
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes, metrics=metrics)
    if dashboard_dir is not None and dashboard_dir.is_dir():
        mount_dashboard(app, dashboard_dir)
    return app
