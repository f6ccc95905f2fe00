"""accounts with an initial password must change it at their next login

Revision ID: 4b8e2d6c9a17
Revises: 7c1e5b9a40d2
Create Date: 2026-12-06 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "4b8e2d6c9a17"
down_revision = "7c1e5b9a40d2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts keep logging in as before: none is flagged.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
