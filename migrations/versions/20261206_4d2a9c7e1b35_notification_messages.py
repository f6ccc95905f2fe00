"""notifications keep a message key and its parameters, rendered when read

Revision ID: 4d2a9c7e1b35
Revises: 4b8e2d6c9a17
Create Date: 2026-12-06 09:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "4d2a9c7e1b35"
down_revision = "4b8e2d6c9a17"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Notifications already sent keep no key: they go on showing the title and body stored
    # with them.
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message", sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("params")
        batch_op.drop_column("message")
