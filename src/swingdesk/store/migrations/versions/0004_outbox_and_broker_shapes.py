"""outbox for the event stream; every order shape a broker can report

- ``outbox``: the bus's messages, written in the transaction that caused them, sequenced
  under the journal head's lock (``audit_head.outbox_seq``) so a relay never skips one;
  ``audit_head.epoch`` tells stream ids of this database from another's.
- orders placed elsewhere: client order ids up to 128 characters (Alpaca's limit), broker
  symbols up to 32, and ``notional`` orders without a qty (the qty check now applies to our
  own orders only).
- ``orders.parent_client_order_id``: a protective stop leg knows its entry.
- ``trading_state_changes.cause``: a stable code when the desk changed the state itself.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import swingdesk.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.String(length=128)
_SYMBOL = sa.String(length=32)
_MONEY = swingdesk.store.types.Money(precision=24, scale=8)


def upgrade() -> None:
    """Create the outbox, widen ids and symbols, relax the qty check for external orders."""
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("topic", sa.String(length=48), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("ts", swingdesk.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_ts"), ["ts"], unique=False)
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outbox_seq", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("epoch", sa.Integer(), server_default="0", nullable=False))
    # Positive and below 2**31 so that it fits an INTEGER everywhere.
    op.execute(
        sa.text("UPDATE audit_head SET epoch = :epoch").bindparams(
            epoch=secrets.randbelow(2**31 - 1) + 1
        )
    )
    with op.batch_alter_table("trading_state_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cause", sa.String(length=32), nullable=True))

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_client_order_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("notional", _MONEY, nullable=True))
        batch_op.drop_constraint(op.f("ck_orders_qty_positive"), type_="check")
        batch_op.create_check_constraint(op.f("ck_orders_qty_positive"), "qty > 0 OR external")
        batch_op.alter_column("client_order_id", type_=_ID, existing_nullable=False)
        batch_op.alter_column("ticker", type_=_SYMBOL, existing_nullable=False)
    for table in ("order_events", "fills", "sim_broker_orders"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("client_order_id", type_=_ID, existing_nullable=False)
    for table in ("fills", "positions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("ticker", type_=_SYMBOL, existing_nullable=False)


def downgrade() -> None:
    """Drop the outbox and the new columns (ids and symbols stay wide)."""
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_qty_positive"), type_="check")
        batch_op.create_check_constraint(op.f("ck_orders_qty_positive"), "qty > 0")
        batch_op.drop_column("notional")
        batch_op.drop_column("parent_client_order_id")
    with op.batch_alter_table("trading_state_changes", schema=None) as batch_op:
        batch_op.drop_column("cause")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("epoch")
        batch_op.drop_column("outbox_seq")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_ts"))
    op.drop_table("outbox")
