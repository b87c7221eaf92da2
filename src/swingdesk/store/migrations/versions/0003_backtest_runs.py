"""backtest runs started from the API

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import swingdesk.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the backtest_runs table."""
    op.create_table(
        "backtest_runs",
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
            name=op.f("ck_backtest_runs_status_known"),
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_backtest_runs")),
    )
    with op.batch_alter_table("backtest_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backtest_runs_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_backtest_runs_status"), ["status"], unique=False)


def downgrade() -> None:
    """Drop the backtest_runs table."""
    with op.batch_alter_table("backtest_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backtest_runs_status"))
        batch_op.drop_index(batch_op.f("ix_backtest_runs_created_at"))
    op.drop_table("backtest_runs")
