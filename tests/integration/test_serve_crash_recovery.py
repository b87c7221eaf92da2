"""Issue 17, crash recovery: a real `swingdesk serve` is SIGKILLed while it scans, at random
moments, again and again; after a restart no decision is left pending (each interrupted one
is settled from what it stored, audited) and the audit chain verifies."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from tests.fakes.desk_server import SWINGDESK, TRADE_KEY, DeskServer

from swingdesk.adapters.simulated_universe import UNIVERSE

ROUNDS_MAX = 12
KILLS_WITH_PENDING_WANTED = 2


def pending(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute("SELECT count(*) FROM decisions WHERE status = 'pending'").fetchone()
    return int(n)


def scan_everything(url: str) -> None:
    """Ask for a scan of every ticker, without waiting for it to finish."""
    tickers = [t.ticker for t in UNIVERSE][:100]
    with contextlib.suppress(httpx.TimeoutException):
        httpx.post(
            f"{url}/api/scan",
            json={"tickers": tickers},
            headers={"X-API-Key": TRADE_KEY},
            timeout=0.05,
        )


def test_serve_when_killed_mid_scan_at_random_then_restart_leaves_no_decision_pending(
    tmp_path: Path,
) -> None:
    rng = random.Random(17)
    data = tmp_path / "desk"
    db = data / "swingdesk.db"
    env = {
        "SWINGDESK_SCAN_START_DELAY_S": "0",
        "SWINGDESK_SCAN_INTERVAL_S": "5",
        "SWINGDESK_SCAN_CONCURRENCY": "8",
        "SWINGDESK_TRIGGER_RATE_PER_MIN": "600",
    }
    kills_with_pending = 0
    for round_no in range(ROUNDS_MAX):
        server = DeskServer(data, tmp_path / f"serve-{round_no}.log", extra_env=env)
        server.start()
        scan_everything(server.url)
        time.sleep(rng.uniform(0.0, 0.4))
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        kills_with_pending += pending(db) > 0
        if kills_with_pending >= KILLS_WITH_PENDING_WANTED:
            break
    assert kills_with_pending >= KILLS_WITH_PENDING_WANTED, "no kill landed mid-decision"
    left = pending(db)

    # The restart reconciles before it is ready; every interrupted decision is settled.
    final = DeskServer(
        data,
        tmp_path / "serve-final.log",
        extra_env={
            **env,
            "SWINGDESK_AUTOPILOT_ENABLED": "false",
            "SWINGDESK_DECISION_INTERRUPT_AFTER_S": "0.001",
        },
    )
    with final:
        pass
    assert pending(db) == 0
    with sqlite3.connect(db) as conn:
        (recovered,) = conn.execute(
            "SELECT count(*) FROM audit_log WHERE kind = 'decision.recovered'"
        ).fetchone()
    assert recovered >= left > 0
    verify = subprocess.run(
        [str(SWINGDESK), "audit", "verify"],
        env={**final.env(), "SWINGDESK_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


pytestmark = pytest.mark.timeout(600)
