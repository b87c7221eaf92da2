"""Leader-only autopilot jobs: skipped off the lease, cancelled at once when it is lost."""

from __future__ import annotations

import asyncio

from swingdesk.adapters.clock import ManualClock
from swingdesk.services.autopilot import Autopilot


async def test_autopilot_when_not_leader_then_leader_jobs_skip_and_others_run(
    clock: ManualClock,
) -> None:
    leading = False
    ran: list[str] = []

    async def job(name: str) -> None:
        ran.append(name)

    pilot = Autopilot(clock, is_leader=lambda: leading)
    pilot.add_job("scan", 60, lambda: job("scan"), leader_only=True)
    pilot.add_job("relay", 60, lambda: job("relay"))
    await pilot.run_now("scan")
    await pilot.run_now("relay")
    assert ran == ["relay"]
    assert pilot.jobs["scan"].skipped == 1
    leading = True
    await pilot.run_now("scan")
    assert ran == ["relay", "scan"]


async def test_autopilot_when_demoted_then_a_running_leader_job_is_cancelled_and_the_loop_lives(
    clock: ManualClock,
) -> None:
    started = asyncio.Event()
    calls = 0

    async def scan() -> None:
        nonlocal calls
        calls += 1
        started.set()
        await asyncio.sleep(3600)

    pilot = Autopilot(clock, is_leader=lambda: True, grace_s=0.1)
    pilot.add_job("scan", 0.05, scan, first_after_s=0, leader_only=True)
    pilot.start()
    try:
        await asyncio.wait_for(started.wait(), 2)
        pilot.demoted()
        await asyncio.sleep(0.2)
        job = pilot.jobs["scan"]
        assert job.cancelled == 1
        assert job.last_error == "cancelled" or calls > 1
        assert pilot.running  # the job's loop goes on (it runs again once leading)
        assert calls >= 2
    finally:
        await pilot.stop()
    assert not pilot.running
