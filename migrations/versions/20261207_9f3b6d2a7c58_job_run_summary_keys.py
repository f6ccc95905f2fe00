"""job runs keep a summary key and its values, rendered in the reader's language

Revision ID: 9f3b6d2a7c58
Revises: 4d2a9c7e1b35
Create Date: 2026-12-07 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "9f3b6d2a7c58"
down_revision = "4d2a9c7e1b35"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Runs already recorded keep no key: they go on showing the English text stored with them.
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary_key", sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column("summary_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("summary_params")
        batch_op.drop_column("summary_key")
