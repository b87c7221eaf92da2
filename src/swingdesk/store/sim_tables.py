"""The simulated broker's own books (cash, positions, orders), apart from ours."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from swingdesk.store.tables_base import CLIENT_ORDER_ID_LEN, Base
from swingdesk.store.types import Money, UtcDateTime


class SimAccountRow(Base):
    """The simulated broker's cash (the broker's books, not ours)."""

    __tablename__ = "sim_broker_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cash: Mapped[Decimal] = mapped_column(Money)
    seq: Mapped[int] = mapped_column(Integer)


class SimPositionRow(Base):
    """The simulated broker's positions."""

    __tablename__ = "sim_broker_positions"

    ticker: Mapped[str] = mapped_column(String(12), primary_key=True)
    qty: Mapped[Decimal] = mapped_column(Money)
    avg_entry_price: Mapped[Decimal] = mapped_column(Money)


class SimOrderRow(Base):
    """The simulated broker's orders; the client order id is unique, as at Alpaca."""

    __tablename__ = "sim_broker_orders"
    __table_args__ = (UniqueConstraint("client_order_id"),)

    broker_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(CLIENT_ORDER_ID_LEN))
    parent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    ticker: Mapped[str] = mapped_column(String(12), index=True)
    side: Mapped[str] = mapped_column(String(8))
    qty: Mapped[Decimal] = mapped_column(Money)
    type: Mapped[str] = mapped_column(String(16))
    time_in_force: Mapped[str] = mapped_column(String(8))
    stop_price: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20), index=True)
    filled_qty: Mapped[Decimal] = mapped_column(Money)
    filled_avg_price: Mapped[Decimal | None] = mapped_column(Money)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: A trailing stop's trail (a fraction, or a price distance) and high-water mark.
    trail_pct: Mapped[Decimal | None] = mapped_column(Money)
    trail_price: Mapped[Decimal | None] = mapped_column(Money)
    hwm: Mapped[Decimal | None] = mapped_column(Money)
