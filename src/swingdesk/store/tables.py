"""The database schema. Every change goes through an Alembic migration."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

# Re-exported: the schema is imported from this module, whole.
from swingdesk.store.sim_tables import SimAccountRow as SimAccountRow
from swingdesk.store.sim_tables import SimOrderRow as SimOrderRow
from swingdesk.store.sim_tables import SimPositionRow as SimPositionRow
from swingdesk.store.tables_base import CLIENT_ORDER_ID_LEN as CLIENT_ORDER_ID_LEN
from swingdesk.store.tables_base import NAMING as NAMING
from swingdesk.store.tables_base import SYMBOL_LEN as SYMBOL_LEN
from swingdesk.store.tables_base import UUID_LEN as UUID_LEN
from swingdesk.store.tables_base import Base as Base
from swingdesk.store.types import Money, UtcDateTime


class DecisionRow(Base):
    """One run of the pipeline for one ticker."""

    __tablename__ = "decisions"

    decision_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    ticker: Mapped[str] = mapped_column(String(12), index=True)
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    failed_stage: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SnapshotRow(Base):
    """The market snapshot a decision saw."""

    __tablename__ = "market_snapshots"

    snapshot_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[str | None] = mapped_column(
        ForeignKey("decisions.decision_id", ondelete="SET NULL"), index=True
    )
    ticker: Mapped[str] = mapped_column(String(12), index=True)
    price: Mapped[Decimal | None] = mapped_column(Money)
    source: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class SignalRow(Base):
    """The analyst's signal (the seed's "insight")."""

    __tablename__ = "signals"

    event_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    decision_id: Mapped[str] = mapped_column(
        ForeignKey("decisions.decision_id"), unique=True, index=True
    )
    ticker: Mapped[str] = mapped_column(String(12), index=True)
    action: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float)
    rationale: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(128))
    prompt_hash: Mapped[str] = mapped_column(String(64))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    latency_ms: Mapped[float] = mapped_column(Float)
    tokens_in: Mapped[int] = mapped_column(Integer)
    tokens_out: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[Decimal] = mapped_column(Money)
    cache_hit: Mapped[bool] = mapped_column(Boolean)
    prompt: Mapped[str] = mapped_column(Text)
    raw_output: Mapped[str] = mapped_column(Text)
    ts_event: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class RiskVerdictRow(Base):
    """Risk's approval or denial of a signal."""

    __tablename__ = "risk_verdicts"

    event_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    decision_id: Mapped[str] = mapped_column(
        ForeignKey("decisions.decision_id"), unique=True, index=True
    )
    ticker: Mapped[str] = mapped_column(String(12), index=True)
    approved: Mapped[bool] = mapped_column(Boolean)
    intent: Mapped[str | None] = mapped_column(String(16))
    qty: Mapped[Decimal | None] = mapped_column(Money)
    stop_price: Mapped[Decimal | None] = mapped_column(Money)
    ts_event: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    checks: Mapped[list[RiskCheckRow]] = relationship(
        cascade="all, delete-orphan", order_by="RiskCheckRow.position", lazy="raise"
    )


class RiskCheckRow(Base):
    """One rule's result inside a verdict, passed ones included."""

    __tablename__ = "risk_checks"

    check_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    verdict_id: Mapped[str] = mapped_column(
        ForeignKey("risk_verdicts.event_id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[str | None] = mapped_column(String(256))
    limit: Mapped[str | None] = mapped_column(String(256))
    message: Mapped[str] = mapped_column(Text)


class OrderRow(Base):
    """An order as our books know it, keyed by its client order id."""

    __tablename__ = "orders"
    __table_args__ = (
        # An order placed elsewhere may have no qty (Alpaca's ``notional`` orders).
        CheckConstraint("qty > 0 OR external", name="qty_positive"),
        CheckConstraint("filled_qty >= 0", name="filled_qty_non_negative"),
    )

    client_order_id: Mapped[str] = mapped_column(String(CLIENT_ORDER_ID_LEN), primary_key=True)
    decision_id: Mapped[str | None] = mapped_column(ForeignKey("decisions.decision_id"), index=True)
    #: The entry a protective stop leg belongs to (None for entries, closes, replacements).
    parent_client_order_id: Mapped[str | None] = mapped_column(String(CLIENT_ORDER_ID_LEN))
    ticker: Mapped[str] = mapped_column(String(SYMBOL_LEN), index=True)
    side: Mapped[str] = mapped_column(String(8))
    intent: Mapped[str] = mapped_column(String(16))
    qty: Mapped[Decimal] = mapped_column(Money)
    type: Mapped[str] = mapped_column(String(16))
    time_in_force: Mapped[str] = mapped_column(String(8))
    stop_price: Mapped[Decimal | None] = mapped_column(Money)
    reference_price: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20), index=True)
    filled_qty: Mapped[Decimal] = mapped_column(Money)
    filled_avg_price: Mapped[Decimal | None] = mapped_column(Money)
    broker_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    error_code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    #: Set on an order placed elsewhere by amount rather than quantity (qty is then 0).
    notional: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrderEventRow(Base):
    """Every status the broker reported for an order, in order."""

    __tablename__ = "order_events"

    event_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    client_order_id: Mapped[str] = mapped_column(
        String(CLIENT_ORDER_ID_LEN), ForeignKey("orders.client_order_id"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    ts_event: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class FillRow(Base):
    """Shares that changed hands; the only source of position changes."""

    __tablename__ = "fills"

    fill_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(UUID_LEN), unique=True)
    client_order_id: Mapped[str] = mapped_column(
        String(CLIENT_ORDER_ID_LEN), ForeignKey("orders.client_order_id"), index=True
    )
    decision_id: Mapped[str | None] = mapped_column(String(UUID_LEN), index=True)
    ticker: Mapped[str] = mapped_column(String(SYMBOL_LEN), index=True)
    side: Mapped[str] = mapped_column(String(8))
    qty: Mapped[Decimal] = mapped_column(Money)
    price: Mapped[Decimal] = mapped_column(Money)
    commission: Mapped[Decimal] = mapped_column(Money)
    ts_event: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class PositionRow(Base):
    """Our book's open long positions."""

    __tablename__ = "positions"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    ticker: Mapped[str] = mapped_column(String(SYMBOL_LEN), primary_key=True)
    qty: Mapped[Decimal] = mapped_column(Money)
    avg_price: Mapped[Decimal] = mapped_column(Money)
    sector: Mapped[str | None] = mapped_column(String(64))
    stop_price: Mapped[Decimal | None] = mapped_column(Money)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccountSnapshotRow(Base):
    """Equity over time: the high-water mark and start-of-day equity come from here."""

    __tablename__ = "account_snapshots"

    snapshot_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    session_date: Mapped[str] = mapped_column(String(10), index=True)
    cash: Mapped[Decimal] = mapped_column(Money)
    equity: Mapped[Decimal] = mapped_column(Money)
    buying_power: Mapped[Decimal] = mapped_column(Money)
    high_water_mark: Mapped[Decimal] = mapped_column(Money)
    start_of_day_equity: Mapped[Decimal] = mapped_column(Money)


class TradingStateRow(Base):
    """Every change of trading state, with its reason and actor."""

    __tablename__ = "trading_state_changes"

    event_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    decision_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    previous: Mapped[str] = mapped_column(String(16))
    current: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    #: A stable code for why, when the desk changed the state itself (e.g. RECONCILE_UNSETTLED).
    cause: Mapped[str | None] = mapped_column(String(32))
    ts_event: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditRow(Base):
    """The append-only journal; each row carries the hash of the one before."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_decision_seq", "decision_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry_id: Mapped[str] = mapped_column(String(UUID_LEN), unique=True)
    ts: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    decision_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    actor: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The journal's head: one row, locked by every writing transaction that journals
    anything, so the audit chain stays linear and the outbox sequence follows commit order."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    #: The newest outbox sequence number (0 before the first message).
    outbox_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: A random number fixed when the database was created: stream ids carry it, so an id
    #: from another database (a restore, a reset) is recognised instead of misread.
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OutboxRow(Base):
    """Every message for the event bus, written in the transaction that caused it.

    The sequence is allocated under the journal head's lock, so it is gap-free and in
    commit order: a relay reading ``seq > last`` never skips a committed message, and a
    message whose commit acknowledgement was lost is still delivered.
    """

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    topic: Mapped[str] = mapped_column(String(48))
    payload: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RunColumns:
    """The columns of a run started from the API (a backtest's or an optimisation's): its
    parameters, state and, once done, its result.

    The result document and the HTML report are deferred: lists read only the summary.
    """

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805 - SQLAlchemy calls it on the class
        return (CheckConstraint("status IN ('running', 'done', 'failed')", name="status_known"),)

    run_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The request's parameters (JSON).
    params: Mapped[str] = mapped_column(Text)
    #: The headline figures (JSON), once done.
    summary: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(Text, deferred=True)
    report_html: Mapped[str | None] = mapped_column(Text, deferred=True)


class BacktestRunRow(RunColumns, Base):
    """A backtest started from the API."""

    __tablename__ = "backtest_runs"


class OptimizationRunRow(RunColumns, Base):
    """One optimisation started from the API (a walk-forward study run in a child process)."""

    __tablename__ = "optimization_runs"


class LeaseRow(Base):
    """A named lease (the leader's): who holds it, its fencing token and its expiry.

    The expiry is computed by the database's clock, so replicas whose clocks disagree still
    agree on who leads; the token grows with every change of holder.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    token: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)


class JobStateRow(Base):
    """Where a leader-run job has got to (the notifier's outbox cursor, the last daily
    summary), written with the holder's fencing token."""

    __tablename__ = "job_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    token: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
