"""questions count their revisions (edit forms refuse stale saves) and keep platform flags as
codes, worded in the reader's language

Revision ID: c5e1a7d93b42
Revises: 9f3b6d2a7c58
Create Date: 2026-12-06 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c5e1a7d93b42"
down_revision = "9f3b6d2a7c58"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing questions start at revision 1. Flags already stored keep no code: they go on
    # showing the text stored with them.
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(
            sa.Column(
                "status_reason_code",
                sa.Enum(
                    "edited_after_approval",
                    "source_superseded",
                    name="reviewflag",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("status_reason_code")
        batch_op.drop_column("revision")
