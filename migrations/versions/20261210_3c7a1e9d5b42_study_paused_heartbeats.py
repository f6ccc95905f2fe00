"""a heartbeat says whether the page stopped counting; the interval after it earns nothing

Revision ID: 3c7a1e9d5b42
Revises: 5e8c1a7d3b92
Create Date: 2026-12-06 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3c7a1e9d5b42"
down_revision = "5e8c1a7d3b92"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sessions and heartbeats already recorded were all counting ones.
    with op.batch_alter_table("study_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("study_heartbeats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("study_heartbeats", schema=None) as batch_op:
        batch_op.drop_column("is_paused")
    with op.batch_alter_table("study_sessions", schema=None) as batch_op:
        batch_op.drop_column("is_paused")
