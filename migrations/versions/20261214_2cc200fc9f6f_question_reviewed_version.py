"""a question's reviewer is named for the version they reviewed

Revision ID: 2cc200fc9f6f
Revises: 881e347125a6
Create Date: 2026-12-14 09:00:00

An edit after approval made a new version that showed the earlier version's reviewer, as if
reviewed already. `reviewed_version_id` names the version a review was of. Reviews already
stored were of the version current at the time: the last one created by then.
"""

import sqlalchemy as sa
from alembic import op

revision = "2cc200fc9f6f"
down_revision = "881e347125a6"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_questions_reviewed_version_id_question_versions"


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_version_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f(FOREIGN_KEY), "question_versions", ["reviewed_version_id"], ["id"]
        )
    questions = sa.table(
        "questions",
        sa.column("id", sa.Integer),
        sa.column("reviewed_at", sa.DateTime),
        sa.column("reviewed_version_id", sa.Integer),
    )
    versions = sa.table(
        "question_versions",
        sa.column("id", sa.Integer),
        sa.column("question_id", sa.Integer),
        sa.column("number", sa.Integer),
        sa.column("created_at", sa.DateTime),
    )
    reviewed = (
        sa.select(versions.c.id)
        .where(
            versions.c.question_id == questions.c.id,
            versions.c.created_at <= questions.c.reviewed_at,
        )
        .order_by(versions.c.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(
        sa.update(questions)
        .where(questions.c.reviewed_at.is_not(None))
        .values(reviewed_version_id=reviewed)
    )


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(FOREIGN_KEY), type_="foreignkey")
        batch_op.drop_column("reviewed_version_id")
