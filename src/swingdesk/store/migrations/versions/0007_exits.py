"""trailing protective stops in the simulated broker's books

- ``sim_broker_orders``: a trailing stop's trail (``trail_pct``, a fraction, or
  ``trail_price``, a price distance) and its high-water mark (``hwm``); NULL for every
  other order. Our own ``orders`` table needs nothing new: a trailing stop is type
  ``trailing_stop`` with the broker's current stop in ``stop_price``.

Revision ID: 0007_exits
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import swingdesk.store.types

revision = "0007_exits"
down_revision = "0005"
branch_labels = None
depends_on = None

_MONEY = swingdesk.store.types.Money(precision=24, scale=8)


def upgrade() -> None:
    """Add the trailing-stop columns to the simulated broker's orders."""
    with op.batch_alter_table("sim_broker_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trail_pct", _MONEY, nullable=True))
        batch_op.add_column(sa.Column("trail_price", _MONEY, nullable=True))
        batch_op.add_column(sa.Column("hwm", _MONEY, nullable=True))


def downgrade() -> None:
    """Drop the trailing-stop columns."""
    with op.batch_alter_table("sim_broker_orders", schema=None) as batch_op:
        batch_op.drop_column("hwm")
        batch_op.drop_column("trail_price")
        batch_op.drop_column("trail_pct")
