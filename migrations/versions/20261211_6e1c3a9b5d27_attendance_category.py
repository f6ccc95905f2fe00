"""attendances keep the member's category when the attendance was recorded

Revision ID: 6e1c3a9b5d27
Revises: 3c7a1e9d5b42
Create Date: 2026-12-06 15:35:00
"""

import sqlalchemy as sa
from alembic import op

revision = "6e1c3a9b5d27"
down_revision = "3c7a1e9d5b42"
branch_labels = None
depends_on = None


def _category() -> sa.Enum:
    return sa.Enum(
        "full",
        "probationary",
        "candidate",
        "activist",
        "masses",
        name="membercategory",
        native_enum=False,
        length=32,
    )


def upgrade() -> None:
    with op.batch_alter_table("orglife_attendances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", _category(), nullable=True))
    # Attendance already recorded takes the member's category now: the only one known.
    op.execute(
        "UPDATE orglife_attendances SET category = (SELECT users.category FROM users"
        " WHERE users.id = orglife_attendances.member_id)"
    )
    with op.batch_alter_table("orglife_attendances", schema=None) as batch_op:
        batch_op.alter_column("category", existing_type=_category(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("orglife_attendances", schema=None) as batch_op:
        batch_op.drop_column("category")
