"""The store on SQLite and PostgreSQL: schema, exact money, atomic units of work, audit chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, delete, select, update
from tests.conftest import T0

from swingdesk.config import sync_url
from swingdesk.domain.enums import DecisionStatus
from swingdesk.store import migrate
from swingdesk.store import tables as t
from swingdesk.store.store import Store


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    migrate.upgrade(db_url)
    s = Store.from_url(db_url)
    yield s
    await s.close()


def test_upgrade_when_database_is_empty_then_schema_matches_the_models(db_url: str) -> None:
    migrate.upgrade(db_url)
    engine = create_engine(sync_url(db_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.Base.metadata)
    engine.dispose()
    assert diff == []
    assert migrate.current_revision(db_url) == migrate.head_revision()


async def test_store_money_when_round_tripped_then_exact(store: Store) -> None:
    values = [Decimal("0.00000001"), Decimal("123456789.12345678"), Decimal("187.4200")]
    async with store.tx() as tx:
        for i, v in enumerate(values):
            tx.session.add(t.SimPositionRow(ticker=f"T{i}", qty=v, avg_entry_price=v))
    async with store.read() as s:
        rows = (await s.scalars(select(t.SimPositionRow).order_by(t.SimPositionRow.ticker))).all()
    assert [r.qty for r in rows] == values
    assert all(isinstance(r.qty, Decimal) for r in rows)


async def test_store_money_when_not_finite_then_refused_and_nothing_written(store: Store) -> None:
    with pytest.raises(Exception, match="non-finite"):
        async with store.tx() as tx:
            tx.session.add(
                t.SimPositionRow(ticker="OK", qty=Decimal(1), avg_entry_price=Decimal(1))
            )
            tx.session.add(
                t.SimPositionRow(ticker="NAN", qty=Decimal("NaN"), avg_entry_price=Decimal(1))
            )
    async with store.read() as s:
        assert (await s.scalars(select(t.SimPositionRow))).all() == []


async def test_tx_when_an_error_is_raised_midway_then_nothing_is_kept(store: Store) -> None:
    did = uuid4()
    with pytest.raises(RuntimeError):
        async with store.tx() as tx:
            await tx.add_decision(did, "AAPL", "test", T0)
            await tx.audit("decision.started", "x", now=T0, decision_id=did)
            await tx.session.flush()
            raise RuntimeError("crash after the first writes")
    assert await store.decision(str(did)) is None
    assert await store.audit_entries() == []
    assert (await store.verify_audit()).ok


async def _write_chain(store: Store, n: int) -> None:
    for i in range(n):
        async with store.tx() as tx:
            await tx.audit(
                "test.entry", f"entry {i}", now=T0, payload={"i": i, "px": Decimal("1.5")}
            )


async def test_verify_audit_when_untouched_then_intact(store: Store) -> None:
    await _write_chain(store, 5)
    report = await store.verify_audit()
    assert report.ok, report.problems
    assert report.entries == 5


async def test_verify_audit_when_a_message_is_edited_then_tampering_is_reported(
    store: Store,
) -> None:
    await _write_chain(store, 5)
    async with store.tx() as tx:
        await tx.session.execute(
            update(t.AuditRow).where(t.AuditRow.seq == 3).values(message="nothing happened")
        )
    report = await store.verify_audit()
    assert not report.ok
    assert any("entry 3" in p and "edited" in p for p in report.problems)


async def test_verify_audit_when_a_middle_row_is_deleted_then_gap_is_reported(store: Store) -> None:
    await _write_chain(store, 5)
    async with store.tx() as tx:
        await tx.session.execute(delete(t.AuditRow).where(t.AuditRow.seq == 2))
    report = await store.verify_audit()
    assert any("missing" in p for p in report.problems)


async def test_verify_audit_when_the_last_row_is_deleted_then_truncation_is_reported(
    store: Store,
) -> None:
    await _write_chain(store, 4)
    async with store.tx() as tx:
        await tx.session.execute(delete(t.AuditRow).where(t.AuditRow.seq == 4))
    report = await store.verify_audit()
    assert any("deleted from the end" in p for p in report.problems)


async def test_verify_audit_when_rehashed_after_edit_then_link_break_is_reported(
    store: Store,
) -> None:
    await _write_chain(store, 4)
    # A forger who edits entry 2 and recomputes its hash still breaks entry 3's link.
    from swingdesk.store.audit import entry_hash

    async with store.tx() as tx:
        row = await tx.session.get(t.AuditRow, 2)
        assert row is not None
        row.message = "forged"
        row.hash = entry_hash(
            prev_hash=row.prev_hash,
            seq=row.seq,
            entry_id=row.entry_id,
            ts=row.ts,
            kind=row.kind,
            decision_id=row.decision_id,
            actor=row.actor,
            message=row.message,
            payload=row.payload,
        )
    report = await store.verify_audit()
    assert any("entry 3" in p and "link" in p for p in report.problems)


async def test_conclude_decision_when_pending_then_status_is_stored(store: Store) -> None:
    did = uuid4()
    async with store.tx() as tx:
        await tx.add_decision(did, "MSFT", "test", T0)
    async with store.tx() as tx:
        assert await tx.conclude_decision(did, DecisionStatus.HOLD, T0)
    row = await store.decision(str(did))
    assert row is not None
    assert row.status == "hold"
    assert row.created_at == T0


async def test_conclude_decision_when_already_ordered_then_never_overwritten(
    store: Store,
) -> None:
    did = uuid4()
    async with store.tx() as tx:
        await tx.add_decision(did, "MSFT", "test", T0)
        assert await tx.conclude_decision(did, DecisionStatus.ORDERED, T0)
    async with store.tx() as tx:
        concluded = await tx.conclude_decision(
            did, DecisionStatus.FAILED, T0, failed_stage="unknown", error_code="INTERNAL"
        )
    assert concluded is False
    row = await store.decision(str(did))
    assert row is not None
    assert (row.status, row.failed_stage, row.error_code) == ("ordered", None, None)
