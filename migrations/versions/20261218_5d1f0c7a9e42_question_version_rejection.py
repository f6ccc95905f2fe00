"""a sent-back edit of an approved question is a rejected version, not a draft

Revision ID: 5d1f0c7a9e42
Revises: 95435498039d
Create Date: 2026-12-17 09:00:00

Sending back an edit of an approved question made the whole question a draft, taking it out of
every exam pool and random rule. The question now stays active with its approved version, and
the proposal is marked rejected on the version itself, with who sent it back, when and why.
Questions already sent back stay drafts: what their editor reworks is the text they hold.
"""

import sqlalchemy as sa
from alembic import op

import learnapp.db

revision = "5d1f0c7a9e42"
down_revision = "95435498039d"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_question_versions_rejected_by_id_users"


def upgrade() -> None:
    with op.batch_alter_table("question_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rejected_at", learnapp.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("rejected_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("rejection_reason", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(batch_op.f(FOREIGN_KEY), "users", ["rejected_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("question_versions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(FOREIGN_KEY), type_="foreignkey")
        batch_op.drop_column("rejection_reason")
        batch_op.drop_column("rejected_by_id")
        batch_op.drop_column("rejected_at")
