"""hours and study: the 学时 ledger, rule sets, study sessions, heartbeats and progress

Revision ID: 883cecb8f168
Revises: b943e3021a85
Create Date: 2026-11-25 09:33:09.943765
"""

import sqlalchemy as sa
from alembic import op

import learnapp.db

revision = "883cecb8f168"
down_revision = "b943e3021a85"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hours_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_hours_rule_sets_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hours_rule_sets")),
        sa.UniqueConstraint("effective_from", name=op.f("uq_hours_rule_sets_effective_from")),
        sa.UniqueConstraint("version", name=op.f("uq_hours_rule_sets_version")),
    )
    op.create_table(
        "study_clocks",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("credited_until", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_study_clocks_member_id_users")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_study_clocks")),
    )
    op.create_table(
        "hours_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "centralised",
                "collective",
                "online",
                "self_study",
                "external",
                name="hourscategory",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "source_type",
            sa.Enum(
                "lesson",
                "self_study",
                "reversal",
                "meeting",
                "claim",
                "course_test",
                name="sourcetype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("verified_seconds", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("nominal_hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("credited_on", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("credited", "reversal", name="entrystatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("created_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(status = 'reversal') = (reverses_id IS NOT NULL)",
            name=op.f("ck_hours_ledger_reversal_points_back"),
        ),
        sa.CheckConstraint(
            "hours > -1000 AND hours < 1000", name=op.f("ck_hours_ledger_hours_range")
        ),
        sa.CheckConstraint(
            "nominal_hours >= 0", name=op.f("ck_hours_ledger_nominal_hours_non_negative")
        ),
        sa.CheckConstraint(
            "verified_seconds >= 0", name=op.f("ck_hours_ledger_verified_seconds_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["users.id"], name=op.f("fk_hours_ledger_approver_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_hours_ledger_member_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["hours_ledger.id"],
            name=op.f("fk_hours_ledger_reverses_id_hours_ledger"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["hours_rule_sets.id"],
            name=op.f("fk_hours_ledger_rule_set_id_hours_rule_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hours_ledger")),
        sa.UniqueConstraint(
            "member_id",
            "source_type",
            "source_id",
            "category",
            name=op.f("uq_hours_ledger_member_id_source_type_source_id_category"),
        ),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_hours_ledger_reverses_id")),
    )
    with op.batch_alter_table("hours_ledger", schema=None) as batch_op:
        batch_op.create_index(
            "ix_hours_ledger_member_day", ["member_id", "credited_on"], unique=False
        )
        batch_op.create_index("ix_hours_ledger_member_year", ["member_id", "year"], unique=False)

    op.create_table(
        "lesson_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("verified_seconds", sa.Integer(), nullable=False),
        sa.Column("reached_end", sa.Boolean(), nullable=False),
        sa.Column("coverage", sa.JSON(), nullable=False),
        sa.Column("started_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_studied_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", learnapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "verified_seconds >= 0", name=op.f("ck_lesson_progress_verified_seconds_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_lesson_progress_lesson_id_lessons")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_lesson_progress_member_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_progress")),
        sa.UniqueConstraint(
            "member_id", "lesson_id", name=op.f("uq_lesson_progress_member_id_lesson_id")
        ),
    )
    with op.batch_alter_table("lesson_progress", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lesson_progress_lesson_id"), ["lesson_id"], unique=False
        )
        batch_op.create_index(
            "ix_lesson_progress_member_recent", ["member_id", "last_studied_at"], unique=False
        )

    op.create_table(
        "study_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("started_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_beat_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("verified_seconds", sa.Integer(), nullable=False),
        sa.Column("closed_at", learnapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "verified_seconds >= 0", name=op.f("ck_study_sessions_verified_seconds_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_study_sessions_lesson_id_lessons")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_study_sessions_member_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_sessions")),
    )
    with op.batch_alter_table("study_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_study_sessions_lesson_id"), ["lesson_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_study_sessions_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index("ix_study_sessions_open", ["closed_at", "last_beat_at"], unique=False)

    op.create_table(
        "study_heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("received_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("elapsed_seconds", sa.Integer(), nullable=False),
        sa.Column("credited_seconds", sa.Integer(), nullable=False),
        sa.Column("reached_end", sa.Boolean(), nullable=False),
        sa.Column("segment_start", sa.Integer(), nullable=True),
        sa.Column("segment_end", sa.Integer(), nullable=True),
        sa.Column("segment_accepted", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "credited_seconds >= 0", name=op.f("ck_study_heartbeats_credited_seconds_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["study_sessions.id"],
            name=op.f("fk_study_heartbeats_session_id_study_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_heartbeats")),
        sa.UniqueConstraint("session_id", "seq", name=op.f("uq_study_heartbeats_session_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("study_heartbeats")
    with op.batch_alter_table("study_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_study_sessions_open")
        batch_op.drop_index(batch_op.f("ix_study_sessions_member_id"))
        batch_op.drop_index(batch_op.f("ix_study_sessions_lesson_id"))

    op.drop_table("study_sessions")
    with op.batch_alter_table("lesson_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_lesson_progress_member_recent")
        batch_op.drop_index(batch_op.f("ix_lesson_progress_lesson_id"))

    op.drop_table("lesson_progress")
    with op.batch_alter_table("hours_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_hours_ledger_member_year")
        batch_op.drop_index("ix_hours_ledger_member_day")

    op.drop_table("hours_ledger")
    op.drop_table("study_clocks")
    op.drop_table("hours_rule_sets")
