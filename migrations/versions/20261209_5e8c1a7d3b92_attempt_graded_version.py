"""a regraded answer names the approved version whose key scored it

Revision ID: 5e8c1a7d3b92
Revises: c5e1a7d93b42
Create Date: 2026-12-06 15:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5e8c1a7d3b92"
down_revision = "c5e1a7d93b42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quiz_attempt_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("graded_version_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_quiz_attempt_questions_graded_version_id_question_versions"),
            "question_versions",
            ["graded_version_id"],
            ["id"],
        )
    # Answers regraded before: the audit entry of each regrade names the version it scored with.
    audit = sa.table(
        "audit_entries",
        sa.column("id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("target_id", sa.String),
        sa.column("after", sa.JSON),
    )
    slots = sa.table(
        "quiz_attempt_questions",
        sa.column("attempt_id", sa.Integer),
        sa.column("question_id", sa.Integer),
        sa.column("version_id", sa.Integer),
        sa.column("graded_version_id", sa.Integer),
    )
    bind = op.get_bind()
    regrades = bind.execute(
        sa.select(audit.c.target_id, audit.c.after)
        .where(audit.c.action == "quiz.regraded")
        .order_by(audit.c.id)
    ).all()
    for target_id, after in regrades:
        if not (after or {}).get("question") or not after.get("version"):
            continue
        bind.execute(
            sa.update(slots)
            .where(
                slots.c.attempt_id == int(target_id),
                slots.c.question_id == after["question"],
                slots.c.version_id != after["version"],
            )
            .values(graded_version_id=after["version"])
        )


def downgrade() -> None:
    with op.batch_alter_table("quiz_attempt_questions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_quiz_attempt_questions_graded_version_id_question_versions"),
            type_="foreignkey",
        )
        batch_op.drop_column("graded_version_id")
