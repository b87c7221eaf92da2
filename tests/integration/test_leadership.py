"""The leader lease on the real PostgreSQL: one leader, prompt takeover, never two at once."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from tests.fakes.db_proxy import FaultyProxy

from swingdesk.store import migrate
from swingdesk.store.leadership import Leadership

pytestmark = pytest.mark.postgres


async def _until(predicate: object, timeout_s: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - start
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {timeout_s} s")


async def test_lease_when_two_replicas_start_then_one_leads_and_a_stop_hands_over_at_once(
    pg_url: str,
) -> None:
    await asyncio.to_thread(migrate.upgrade, pg_url)
    engine = create_async_engine(pg_url)
    a = Leadership(engine, replica_id="a", ttl_s=4.0, renew_s=0.5, margin_s=1.0)
    b = Leadership(engine, replica_id="b", ttl_s=4.0, renew_s=0.5, margin_s=1.0)
    try:
        a.start()
        b.start()
        await _until(lambda: a.is_leader or b.is_leader, 5)
        await asyncio.sleep(1.0)
        assert [a.is_leader, b.is_leader].count(True) == 1
        leader, follower = (a, b) if a.is_leader else (b, a)
        first_token = leader.token
        assert (await follower.holder())["holder"] == leader.replica_id
        await leader.stop()  # gives the lease back: no waiting for its expiry
        took = await _until(lambda: follower.is_leader, 3)
        assert took < 1.5
        assert follower.token is not None
        assert first_token is not None
        assert follower.token > first_token  # the fencing token grows with each holder
    finally:
        await a.stop()
        await b.stop()
        await engine.dispose()


async def test_lease_when_the_leader_loses_the_database_then_it_stops_before_another_starts(
    pg_url: str,
) -> None:
    await asyncio.to_thread(migrate.upgrade, pg_url)
    proxy = await FaultyProxy("127.0.0.1", 5432).start()
    cut_engine = create_async_engine(proxy.url_for(pg_url))
    engine = create_async_engine(pg_url)
    a = Leadership(cut_engine, replica_id="a", ttl_s=3.0, renew_s=0.5, margin_s=1.0)
    b = Leadership(engine, replica_id="b", ttl_s=3.0, renew_s=0.5, margin_s=1.0)
    overlap: list[float] = []
    demoted_at: list[float] = []
    a.add_listener(lambda leading: None if leading else demoted_at.append(time.monotonic()))
    try:
        a.start()
        await _until(lambda: a.is_leader, 5)
        b.start()
        await asyncio.sleep(1.0)
        assert a.is_leader
        assert not b.is_leader
        proxy.stall()  # a silent partition: the leader's renewals go unanswered
        cut = time.monotonic()
        while time.monotonic() - cut < 8 and not b.is_leader:
            if a.is_leader and b.is_leader:
                overlap.append(time.monotonic() - cut)
            await asyncio.sleep(0.01)
        took_over = time.monotonic() - cut
        assert b.is_leader, "the follower never took over"
        assert not a.is_leader
        assert overlap == []
        assert demoted_at
        assert demoted_at[0] < cut + took_over
        # The old leader stopped at least margin_s before the follower could start.
        assert (cut + took_over) - demoted_at[0] > 0.5
        assert took_over < 3.0 + 2 * 0.5 + 1.0
    finally:
        await proxy.heal()
        await a.stop()
        await b.stop()
        await proxy.close()
        await cut_engine.dispose()
        await engine.dispose()


async def test_lease_when_sqlite_file_then_one_process_leads_by_flock(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
    a = Leadership(engine, replica_id="a", renew_s=0.2)
    b = Leadership(engine, replica_id="b", renew_s=0.2)
    try:
        a.start()
        await _until(lambda: a.is_leader, 2)
        b.start()
        await asyncio.sleep(0.5)
        assert not b.is_leader
        await a.stop()
        await _until(lambda: b.is_leader, 2)
        assert a.scope == "sqlite-file"
    finally:
        await a.stop()
        await b.stop()
        await engine.dispose()
