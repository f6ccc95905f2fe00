"""the study clock keeps the recently credited seconds, not only the latest one

Revision ID: 95435498039d
Revises: e3daa5fd03e5
Create Date: 2026-12-17 10:00:00

With only the latest credited second, a page whose heartbeat reached the server after another
page's lost the part of its interval before the other page took over. `recent_spans` holds the
credited seconds of the last 40 s; clocks kept before it stay NULL, which counts all time up to
`credited_until` as credited, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "95435498039d"
down_revision = "e3daa5fd03e5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("study_clocks") as batch:
        batch.add_column(sa.Column("recent_spans", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("study_clocks") as batch:
        batch.drop_column("recent_spans")
