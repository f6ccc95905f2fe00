"""indexes for the platform's first year: accounts by creation, the rollup by year

Revision ID: 5e8c1a7d3b26
Revises: 6e1c3a9b5d27
Create Date: 2026-12-06 15:40:00
"""

from alembic import op

revision = "5e8c1a7d3b26"
down_revision = "6e1c3a9b5d27"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("completion_member_hours", schema=None) as batch_op:
        batch_op.create_index("ix_completion_member_hours_year", ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("completion_member_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_completion_member_hours_year")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_created_at")
