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
from swingdesk.api.replica import Replica, start_replica
from swingdesk.api.routes import api, ops, stream
from swingdesk.api.routes_backtest import backtests
from swingdesk.api.routes_desk import desk_routes
from swingdesk.api.routes_optimize import optimizations
from swingdesk.api.routes_read import reads
from swingdesk.api.scheduled import schedule_jobs
from swingdesk.api.security import KeyRing, TriggerLimiter, check_startup_security
from swingdesk.api.stream import PortfolioPublisher, StreamHub
from swingdesk.api.stream_caps import StreamAdmission
from swingdesk.backtest.jobs import BacktestService
from swingdesk.bootstrap import Desk, build_desk, notify_urls
from swingdesk.config import MarketProvider, Settings
from swingdesk.marketdata.movers import MarketMovers
from swingdesk.optimize.jobs import OptimizationService
from swingdesk.ports import BusMessage
from swingdesk.services.autopilot import Autopilot
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


def build_services(desk: Desk, settings: Settings, metrics: Metrics, *, scan_job: bool) -> Services:
    """Build what the API needs around a desk (keys, limits, stream, scheduled jobs)."""
    shared = desk.shared_bus
    # Several replicas may share PostgreSQL (never a SQLite file across machines).
    shared_db = desk.store.engine.dialect.name == "postgresql"
    watchlist = Watchlist(
        settings.data_dir / "watchlist.json",
        desk.provider.universe,
        # Several replicas share PostgreSQL but not a data directory.
        shared=JobState(desk.store, None) if shared_db else None,
    )
    autopilot = schedule_jobs(desk, settings, watchlist, scan_job=scan_job)
    backtests, optimizations = run_services(desk, settings, autopilot, shared_db=shared_db)
    return Services(
        desk=desk,
        keys=KeyRing(settings, desk.clock),
        limiter=TriggerLimiter(
            desk.clock,
            cooldown_s=settings.trigger_cooldown_s,
            rate_per_min=settings.trigger_rate_per_min,
        ),
        hub=stream_hub(desk, metrics),
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
        optimizations=optimizations,
    )


def stream_hub(desk: Desk, metrics: Metrics) -> StreamHub:
    """Return the hub every live stream reads, resuming from Redis or else the outbox."""
    shared, store = desk.shared_bus, desk.store

    async def history(after_seq: int, limit: int) -> list[BusMessage]:
        # The Redis stream first (recent, no database read), then the outbox.
        if shared is not None and (kept := await shared.bus.history(after_seq, limit)):
            return kept
        rows = await store.outbox_after(after_seq, limit=limit)
        return [BusMessage(m.seq, m.topic, m.payload, m.epoch) for m in rows]

    return StreamHub(desk.bus, metrics, history=history, shared=shared is not None)


def run_services(
    desk: Desk, settings: Settings, autopilot: Autopilot, *, shared_db: bool
) -> tuple[BacktestService, OptimizationService]:
    """Return the backtest and optimisation runners; with a shared database the leader's
    jobs pick up what any replica stored."""
    leadership = desk.leadership
    backtests = BacktestService(
        BacktestRuns(desk.store),
        desk.clock,
        # Backtests replay the service's CSV data; any other market, the simulated one.
        csv_dir=settings.csv_dir if settings.market_provider is MarketProvider.CSV else None,
        default_seed=settings.sim_seed,
        retention=Retention(settings.backtest_retention_runs, settings.backtest_retention_days),
        state=JobState(desk.store, leadership) if shared_db else None,
        is_leader=(lambda: leadership.is_leader) if leadership is not None else None,
    )
    optimizations = OptimizationService(
        OptimizationRuns(desk.store), desk.clock, backtests, retention=backtests.retention
    )
    if backtests.state is not None:
        # Runs are the leader's: it starts what any replica stored, one at a time.
        for name, runner in (("backtests", backtests), ("optimizations", optimizations)):
            autopilot.add_job(name, 1.0, runner.pick_up, first_after_s=1.0, leader_only=True)
    return backtests, optimizations


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
        running = await _start(services, own_desk=desk is None)
        try:
            yield
        finally:
            await _stop(settings, services, running, own_desk=desk is None)

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
    _install_routes(app, settings, metrics)
    if dashboard_dir is not None and dashboard_dir.is_dir():
        mount_dashboard(app, dashboard_dir)
    return app


async def _start(services: Services, *, own_desk: bool) -> tuple[PortfolioPublisher, Replica]:
    """Recover interrupted runs, start the stream, the replica's lease and the jobs."""
    desk = services.desk
    if services.backtests.state is None:
        await services.backtests.recover()  # shared: the leader's pick_up does it
        await services.optimizations.recover()
    # Stream ids continue from the outbox, so a client's Last-Event-ID from before a
    # restart resumes where it left off.
    services.hub.last_seq, services.hub.epoch = await desk.store.outbox_head()
    # Marks are computed by each replica from the fills it sees, for its own clients.
    publisher = PortfolioPublisher(services.hub, services.portfolio)
    services.hub.add_listener(services.portfolio.on_message)
    services.hub.add_listener(publisher.on_message)
    services.hub.add_listener(lambda m: services.metrics.observe_bus(m.topic, m.payload))
    services.hub.start()
    if own_desk:
        # Start-up objects (calendar, market history, SQLAlchemy metadata) live as long as
        # the process: out of the collector's reach, full collections stay short (the p99
        # of GET /api/portfolio fell from ~110 ms to ~30 ms under load).
        gc.collect()
        gc.freeze()
    replicas = start_replica(desk, services)
    services.autopilot.start()
    return publisher, replicas


async def _stop(
    settings: Settings,
    services: Services,
    running: tuple[PortfolioPublisher, Replica],
    *,
    own_desk: bool,
) -> None:
    """Stop in order, every step bounded: a stop must end within the orchestrator's grace
    period even when a job or the database hangs (see shutdown_budget_s)."""
    publisher, replicas = running
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
    if own_desk:
        await _within(CLOSE_TIMEOUT_S, "closing the desk", services.desk.close())


def _install_routes(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
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
