"""leader lease and leader-run jobs' state (several replicas on one database)

- ``leases``: the leader's lease row (holder, fencing token, expiry by the database clock);
- ``job_state``: what a leader-run job has done (the notifier's outbox cursor, the last
  daily summary), written with the fencing token of the holder that did it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import swingdesk.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the lease and job-state tables."""
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("expires_at", swingdesk.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", swingdesk.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "job_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("updated_at", swingdesk.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_state")),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("job_state")
    op.drop_table("leases")
