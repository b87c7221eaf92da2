"""prometheus-client's multiprocess mode: what a child process records reaches /metrics."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from swingdesk.api.metrics import Metrics

CHILD = """
from swingdesk.backtest.worker import Outcome, count_run
count_run(Outcome(summary={}), 2.5)
count_run(Outcome(error_code="INVALID_INPUT"), 0.1)
"""


async def test_metrics_when_a_child_process_counts_in_multiprocess_mode_then_the_scrape_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    from swingdesk.store import migrate
    from swingdesk.store.store import Store

    mp = tmp_path / "prom"
    mp.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(mp), "PATH": ""}
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", CHILD], env=env, check=True, timeout=60
    )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(mp))
    migrate.upgrade(sqlite_url)
    store = Store.from_url(sqlite_url)
    try:
        text = await Metrics().render(store, bus_seq=0, trading_state="ACTIVE")
    finally:
        await store.close()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("swingdesk_backtest_runs_total", (("outcome", "ok"),))] == 1
    assert samples[("swingdesk_backtest_runs_total", (("outcome", "INVALID_INPUT"),))] == 1
    assert samples[("swingdesk_backtest_seconds_count", ())] == 2
    assert ("swingdesk_decisions_total", ()) not in samples  # no decisions yet, no series
