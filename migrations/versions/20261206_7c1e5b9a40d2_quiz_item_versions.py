"""quiz items pin their question version when published

Revision ID: 7c1e5b9a40d2
Revises: 2318f370dda9
Create Date: 2026-12-06 06:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7c1e5b9a40d2"
down_revision = "2318f370dda9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quiz_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_quiz_items_version_id_question_versions"),
            "question_versions",
            ["version_id"],
            ["id"],
        )
    # Papers already published keep the version their questions have now.
    op.execute(
        "UPDATE quiz_items SET version_id = (SELECT questions.current_version_id FROM questions"
        " WHERE questions.id = quiz_items.question_id)"
        " WHERE quiz_id IN (SELECT id FROM quizzes WHERE state <> 'draft')"
    )


def downgrade() -> None:
    with op.batch_alter_table("quiz_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_quiz_items_version_id_question_versions"), type_="foreignkey"
        )
        batch_op.drop_column("version_id")
