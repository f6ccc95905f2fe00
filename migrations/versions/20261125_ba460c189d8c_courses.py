"""courses: courses, modules, lessons, lesson versions and media

Revision ID: ba460c189d8c
Revises: 5a662db225f5
Create Date: 2026-11-25 09:30:49.787608
"""

import sqlalchemy as sa
from alembic import op

import learnapp.db

revision = "ba460c189d8c"
down_revision = "5a662db225f5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft", "published", "archived", name="coursestate", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("content_folder", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_courses_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["units.id"], name=op.f("fk_courses_owner_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("slug", name=op.f("uq_courses_slug")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_courses_owner_unit_id"), ["owner_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_courses_state"), ["state"], unique=False)

    op.create_table(
        "course_audience_units",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_audience_units_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_course_audience_units_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("course_id", "unit_id", name=op.f("pk_course_audience_units")),
    )
    with op.batch_alter_table("course_audience_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_audience_units_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "course_categories",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "full",
                "probationary",
                "candidate",
                "activist",
                "masses",
                name="membercategory",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_categories_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", "category", name=op.f("pk_course_categories")),
    )
    op.create_table(
        "course_modules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_modules_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_modules")),
    )
    with op.batch_alter_table("course_modules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_modules_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("text", "video", "document", name="lessonkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("length_seconds", sa.Integer(), nullable=False),
        sa.Column("required_share", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column("nominal_hours", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length_seconds >= 0", name=op.f("ck_lessons_length_non_negative")),
        sa.CheckConstraint("nominal_hours > 0", name=op.f("ck_lessons_nominal_hours_positive")),
        sa.CheckConstraint(
            "required_share > 0 AND required_share <= 1",
            name=op.f("ck_lessons_required_share_range"),
        ),
        sa.ForeignKeyConstraint(
            ["module_id"], ["course_modules.id"], name=op.f("fk_lessons_module_id_course_modules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
        sa.UniqueConstraint("slug", name=op.f("uq_lessons_slug")),
    )
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lessons_module_id"), ["module_id"], unique=False)

    op.create_table(
        "lesson_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_lesson_media_lesson_id_lessons")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_lesson_media_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_media")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_lesson_media_storage_key")),
    )
    with op.batch_alter_table("lesson_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lesson_media_lesson_id"), ["lesson_id"], unique=False)

    op.create_table(
        "lesson_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", learnapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_lesson_versions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_lesson_versions_lesson_id_lessons")
        ),
        sa.ForeignKeyConstraint(
            ["media_id"], ["lesson_media.id"], name=op.f("fk_lesson_versions_media_id_lesson_media")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_versions")),
        sa.UniqueConstraint(
            "lesson_id", "number", name=op.f("uq_lesson_versions_lesson_id_number")
        ),
    )
    with op.batch_alter_table("lesson_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lesson_versions_lesson_id"), ["lesson_id"], unique=False
        )

    # lessons and lesson_versions point at each other: this key is added once both exist.
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_lessons_current_version_id_lesson_versions"),
            "lesson_versions",
            ["current_version_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_lessons_current_version_id_lesson_versions"), type_="foreignkey"
        )
    with op.batch_alter_table("lesson_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_versions_lesson_id"))

    op.drop_table("lesson_versions")
    with op.batch_alter_table("lesson_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_media_lesson_id"))

    op.drop_table("lesson_media")
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lessons_module_id"))

    op.drop_table("lessons")
    with op.batch_alter_table("course_modules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_modules_course_id"))

    op.drop_table("course_modules")
    op.drop_table("course_categories")
    with op.batch_alter_table("course_audience_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_audience_units_unit_id"))

    op.drop_table("course_audience_units")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_state"))
        batch_op.drop_index(batch_op.f("ix_courses_owner_unit_id"))

    op.drop_table("courses")
