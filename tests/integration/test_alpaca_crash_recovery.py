"""Crash recovery: a real desk process is SIGKILLed mid-execution; after a restart the
reconciliation brings our books back to the broker's and no order is ever duplicated."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.fakes.alpaca_desk import approve, build_alpaca_desk
from tests.fakes.fake_alpaca import FakeAlpaca

from swingdesk.adapters.clock import SystemClock
from swingdesk.config import async_url
from swingdesk.domain.enums import OrderStatus
from swingdesk.domain.events import RiskApproved
from swingdesk.store import migrate

ROOT = Path(__file__).resolve().parents[2]
CHILD = ROOT / "tests" / "fakes" / "crash_child.py"


@pytest.fixture
def fake() -> Iterator[FakeAlpaca]:
    with FakeAlpaca(cash=Decimal(1_000_000)) as server:
        yield server


def spawn(db_url: str, url: str, approvals: Path, point: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    return subprocess.Popen(
        [sys.executable, str(CHILD), db_url, url, str(approvals), point],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )


async def prepare(tmp_path: Path, n: int, url: str) -> tuple[str, list[RiskApproved], Path]:
    db_url = async_url(f"sqlite:///{tmp_path / 'desk.db'}")
    migrate.upgrade(db_url)
    desk = await build_alpaca_desk(db_url, url, SystemClock(), migrate_db=False)
    approvals = [await approve(desk.store, f"T{i % 5}", SystemClock().now()) for i in range(n)]
    await desk.close()
    path = tmp_path / "approvals.json"
    path.write_text(
        json.dumps([a.model_dump(mode="json", exclude={"violations"}) for a in approvals])
    )
    return db_url, approvals, path


async def recover_and_check(db_url: str, fake: FakeAlpaca, approvals: list[RiskApproved]) -> None:
    """Restart: reconcile, re-run every approval as upstream would, compare with the broker."""
    desk = await build_alpaca_desk(db_url, fake.url, SystemClock(), migrate_db=False)
    await desk.sync.startup()
    assert desk.agent.ready
    for a in approvals:
        await desk.agent.execute(a, sector=None)
    await desk.sync.run_once()
    assert [c for c, n in Counter(fake.created).items() if n > 1] == []
    coids = {f"sd-o-{a.decision_id.hex}" for a in approvals}
    assert {o.client_order_id for o in fake.parent_orders()} == coids
    for coid in coids:
        row = await desk.store.order(coid)
        assert row is not None
        assert row.status == OrderStatus.FILLED.value
    ours = {p.ticker: p.qty for p in await desk.store.positions()}
    assert ours == {s: q for s, (q, _) in fake.positions.items()}
    assert (await desk.store.verify_audit()).ok
    await desk.close()


@pytest.mark.parametrize("point", ["after_store", "after_accept", "before_fill"])
async def test_restart_when_killed_at_a_point_of_execution_then_books_match_and_no_duplicate(
    tmp_path: Path, fake: FakeAlpaca, point: str
) -> None:
    db_url, approvals, path = await prepare(tmp_path, 3, fake.url)
    child = spawn(db_url, fake.url, path, point)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == f"POINT {point}"
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL
    await recover_and_check(db_url, fake, approvals)


async def test_restart_when_killed_at_random_moments_then_books_match_and_no_duplicate(
    tmp_path: Path, fake: FakeAlpaca
) -> None:
    rng = random.Random(11)
    db_url, approvals, path = await prepare(tmp_path, 40, fake.url)
    for _ in range(3):
        child = spawn(db_url, fake.url, path, "none")
        assert child.stdout is not None
        child.stdout.readline()  # the process is up and has executed one approval
        await asyncio.sleep(rng.uniform(0.0, 0.3))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    await recover_and_check(db_url, fake, approvals)
