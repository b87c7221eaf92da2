"""optimisation runs started from the API

Revision ID: 0006_opt
Revises: 0007_exits
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import swingdesk.store.types

revision = "0006_opt"
down_revision = "0007_exits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the optimization_runs table."""
    op.create_table(
        "optimization_runs",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", swingdesk.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", swingdesk.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.Column("report_html", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'done', 'failed')",
            name=op.f("ck_optimization_runs_status_known"),
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_optimization_runs")),
    )
    with op.batch_alter_table("optimization_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_optimization_runs_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_optimization_runs_status"), ["status"], unique=False)


def downgrade() -> None:
    """Drop the optimization_runs table."""
    with op.batch_alter_table("optimization_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_optimization_runs_status"))
        batch_op.drop_index(batch_op.f("ix_optimization_runs_created_at"))
    op.drop_table("optimization_runs")
