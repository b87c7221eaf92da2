"""Scans (bounded concurrency), the watchlist file, the autopilot's jobs and `swingdesk scan`."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from tests.fakes.api import fresh_database
from typer.testing import CliRunner

from swingdesk.adapters.clock import ManualClock
from swingdesk.bootstrap import Desk, build_desk
from swingdesk.cli import app as cli
from swingdesk.config import load_settings
from swingdesk.domain.errors import InvalidTickerError, UnknownTickerError
from swingdesk.services.autopilot import Autopilot
from swingdesk.services.pipeline import DecisionOutcome
from swingdesk.services.scan import scan
from swingdesk.services.watchlist import Watchlist, default_watchlist

UNIVERSE = ("AAPL", "JPM", "MSFT", "NVDA", "XOM", "ZTS")


async def _desk(tmp_path: Path, clock: ManualClock) -> Desk:
    fresh_database(tmp_path)
    return await build_desk(load_settings(data_dir=tmp_path), clock=clock, migrate_db=False)


async def test_scan_when_many_tickers_then_never_more_than_concurrency_at_once(
    tmp_path: Path, clock: ManualClock
) -> None:
    desk = await _desk(tmp_path, clock)
    real_run = desk.pipeline.run
    running, peak = 0, 0

    async def counting_run(raw: str, *, trigger: str = "cli") -> DecisionOutcome:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        try:
            return await real_run(raw, trigger=trigger)
        finally:
            running -= 1

    desk.pipeline.run = counting_run  # type: ignore[method-assign]
    try:
        tickers = ["AAPL", "MSFT", "NVDA", "XOM", "JPM", "aapl", "KO", "PEP"]
        report = await scan(desk.pipeline, tickers, clock=clock, concurrency=3, trigger="t")
    finally:
        await desk.close()
    assert peak == 3
    assert [r["ticker"] for r in report.results] == [
        "AAPL", "MSFT", "NVDA", "XOM", "JPM", "KO", "PEP",
    ]  # fmt: skip
    assert all(r["decision_id"] for r in report.results)
    assert sum(report.summary()["counts"].values()) == 7


async def test_scan_when_one_ticker_is_invalid_then_nothing_is_decided(
    tmp_path: Path, clock: ManualClock
) -> None:
    desk = await _desk(tmp_path, clock)
    try:
        with pytest.raises(InvalidTickerError):
            await scan(desk.pipeline, ["AAPL", "BAD!"], clock=clock, concurrency=2, trigger="t")
        assert await desk.store.audit_entries() == []
    finally:
        await desk.close()


def test_watchlist_when_nothing_saved_or_file_corrupt_then_default(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.json"
    wl = Watchlist(path, lambda: UNIVERSE)
    assert wl.get() == default_watchlist(UNIVERSE) == ["AAPL", "MSFT", "NVDA", "JPM", "XOM", "ZTS"]
    path.write_text("{not json")
    assert wl.get()[0] == "AAPL"
    assert wl.set(["xom", " JPM"]) == ["XOM", "JPM"]
    assert json.loads(path.read_text()) == {"tickers": ["XOM", "JPM"]}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    with pytest.raises(UnknownTickerError):
        wl.set(["TSLA"])
    assert wl.get() == ["XOM", "JPM"]


async def test_autopilot_when_running_then_jobs_repeat_and_gate_skips(clock: ManualClock) -> None:
    pilot = Autopilot(clock)
    ran: list[str] = []
    open_market = [False]

    async def job() -> None:
        ran.append("scan")

    pilot.add_job("scan", 0.01, job, gate=lambda: open_market[0])
    pilot.start()
    await asyncio.sleep(0.05)
    skipped = pilot.jobs["scan"].skipped
    open_market[0] = True
    await asyncio.sleep(0.05)
    await pilot.stop()
    assert skipped >= 2
    assert ran
    assert not pilot.running
    assert pilot.status()["jobs"][0]["runs"] == len(ran)


async def test_next_run_when_started_and_after_a_run_then_one_interval_on(
    clock: ManualClock,
) -> None:
    pilot = Autopilot(clock)
    ran = asyncio.Event()

    async def scan() -> None:
        ran.set()

    job = pilot.add_job("scan", 3600, scan, first_after_s=0.05)
    assert pilot.next_run(job) is None  # not started
    pilot.start()
    start = clock.now()
    assert pilot.next_run(job) == start + timedelta(seconds=0.05)
    await asyncio.wait_for(ran.wait(), timeout=2)
    await asyncio.sleep(0.01)
    assert pilot.next_run(job) == start + timedelta(seconds=3600)  # the manual clock stood still
    await pilot.stop()
    assert pilot.next_run(job) is None


async def test_autopilot_when_stopping_mid_job_then_the_job_finishes(clock: ManualClock) -> None:
    pilot = Autopilot(clock, grace_s=5)
    finished: list[bool] = []
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(0.1)
        finished.append(True)

    pilot.add_job("scan", 0.01, slow)
    pilot.start()
    await started.wait()
    await pilot.stop()
    assert finished == [True]


async def test_autopilot_when_first_delay_is_short_then_first_run_comes_before_interval(
    clock: ManualClock,
) -> None:
    pilot = Autopilot(clock)
    ran = asyncio.Event()

    async def scan() -> None:
        ran.set()

    pilot.add_job("scan", 3600, scan, first_after_s=0)
    pilot.start()
    await asyncio.wait_for(ran.wait(), timeout=2)
    await pilot.stop()
    assert pilot.status()["jobs"][0]["runs"] == 1


async def test_autopilot_when_a_job_fails_then_it_is_counted_and_keeps_running(
    clock: ManualClock,
) -> None:
    pilot = Autopilot(clock)
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("broker down")

    pilot.add_job("reconcile", 0.01, flaky)
    pilot.start()
    await asyncio.sleep(0.06)
    await pilot.stop()
    job = pilot.jobs["reconcile"]
    assert job.failures == calls >= 2
    assert job.last_error == "RuntimeError: broker down"


def test_cli_scan_when_tickers_given_then_prints_one_result_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWINGDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["scan", "aapl", "MSFT", "--json"])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["tickers"] == ["AAPL", "MSFT"]
    assert body["trigger"] == "cli-scan"
    bad = CliRunner().invoke(cli, ["scan", "NOPE!"])
    assert bad.exit_code == 2
    assert "INVALID_TICKER" in bad.stderr


async def test_app_when_autopilot_enabled_then_scan_job_runs_with_the_app_and_stops_with_it(
    tmp_path: Path, clock: ManualClock
) -> None:
    from swingdesk.api.app import create_app
    from swingdesk.api.scheduled import market_is_open

    fresh_database(tmp_path)
    settings = load_settings(data_dir=tmp_path, autopilot_enabled=True, scan_interval_s=60)
    desk = await build_desk(settings, clock=clock, migrate_db=False)
    app = create_app(settings, desk=desk)
    try:
        async with app.router.lifespan_context(app):
            pilot = app.state.services.autopilot
            assert pilot.running
            assert market_is_open(desk)  # the simulated market is always tradable
            await pilot.run_now("scan")
            assert pilot.jobs["scan"].runs == 1
            audits = await desk.store.audit_entries(limit=100)
            assert {a.actor for a in audits} >= {"autopilot"}
        assert not pilot.running
    finally:
        await desk.close()


async def test_app_when_desk_has_a_sync_worker_then_reconciliation_is_scheduled_even_without_scans(
    tmp_path: Path, clock: ManualClock
) -> None:
    from swingdesk.api.app import create_app

    fresh_database(tmp_path)
    settings = load_settings(data_dir=tmp_path)
    desk = await build_desk(settings, clock=clock, migrate_db=False)
    app = create_app(settings, desk=desk, autopilot=False)
    try:
        async with app.router.lifespan_context(app):
            pilot = app.state.services.autopilot
            assert set(pilot.jobs) == {
                "reconcile",
                "broker_stops",
                "equity_mark",
                "stream_relay",
                "outbox_prune",
            }
            desk.not_ready["reconciliation"] = "start-up reconciliation with the broker failed"
            await pilot.run_now("reconcile")
            assert pilot.jobs["reconcile"].runs == 1
            assert "reconciliation" not in desk.not_ready
    finally:
        await desk.close()


async def test_app_when_simulated_stop_is_crossed_then_the_stops_job_fills_it(
    tmp_path: Path, clock: ManualClock
) -> None:
    from decimal import Decimal
    from uuid import uuid4

    from swingdesk.api.app import create_app
    from swingdesk.domain.enums import Intent, OrderSide, OrderStatus
    from swingdesk.domain.events import OrderRequest

    fresh_database(tmp_path)
    settings = load_settings(data_dir=tmp_path)
    desk = await build_desk(settings, clock=clock, migrate_db=False)
    app = create_app(settings, desk=desk, autopilot=False)
    try:
        async with app.router.lifespan_context(app):
            price = await desk.provider.last_price("AAPL", clock.now())
            # A stop above the market is crossed at once: the next tick must fill it.
            entry = OrderRequest(
                decision_id=uuid4(),
                ts_event=clock.now(),
                client_order_id="sd-o-test-stop",
                ticker="AAPL",
                side=OrderSide.BUY,
                intent=Intent.BUY_TO_OPEN,
                qty=Decimal(3),
                stop_price=(price + 10).quantize(Decimal("0.01")),
                reference_price=price,
                risk_event_id=uuid4(),
            )
            await desk.broker.submit_order(entry)
            assert [p.qty for p in await desk.broker.get_positions()] == [Decimal(3)]
            await app.state.services.autopilot.run_now("broker_stops")
            assert await desk.broker.get_positions() == []
            orders = await desk.broker.list_orders(open_only=False)
            legs = [leg for o in orders for leg in o.legs] + [o for o in orders if o.stop_price]
            assert any(o.status is OrderStatus.FILLED and o.side is OrderSide.SELL for o in legs)
    finally:
        await desk.close()
