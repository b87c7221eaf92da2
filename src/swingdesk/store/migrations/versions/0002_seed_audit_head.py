"""seed the audit chain head

The head row must exist before the first append: appenders lock it with SELECT ... FOR
UPDATE, and a lock on a missing row serialises nothing, so two first appends could race.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    """Insert the genesis head when the log is empty and has no head yet."""
    op.execute(
        sa.text(
            "INSERT INTO audit_head (id, seq, hash) "
            "SELECT 1, 0, :genesis WHERE NOT EXISTS (SELECT 1 FROM audit_head) "
            "AND NOT EXISTS (SELECT 1 FROM audit_log)"
        ).bindparams(genesis=GENESIS_HASH)
    )


def downgrade() -> None:
    """Remove the genesis head if nothing was ever appended."""
    op.execute(sa.text("DELETE FROM audit_head WHERE seq = 0"))
