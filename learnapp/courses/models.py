"""Courses (课程) → modules (章) → lessons (节), lesson content versions and uploaded media.

Study records of other packages hang on the lesson, never on a version: a revised lesson keeps
everybody's progress, while each version stays stored so the text a member read can be shown.
"""

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base, enum_type, tree_order
from learnapp.errors import DomainError
from learnapp.orgs.models import MemberCategory, Unit

DEFAULT_REQUIRED_SHARE = Decimal("0.80")


class CourseState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


# Archived courses go back through draft before they are shown again, so an author looks at
# them once more before members do.
COURSE_TRANSITIONS = {
    CourseState.DRAFT: frozenset({CourseState.PUBLISHED, CourseState.ARCHIVED}),
    CourseState.PUBLISHED: frozenset({CourseState.DRAFT, CourseState.ARCHIVED}),
    CourseState.ARCHIVED: frozenset({CourseState.DRAFT}),
}


class LessonKind(enum.StrEnum):
    TEXT = "text"
    VIDEO = "video"
    DOCUMENT = "document"

    @property
    def needs_media(self) -> bool:
        return self is not LessonKind.TEXT


course_audience_units = sa.Table(
    "course_audience_units",
    Base.metadata,
    sa.Column("course_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id"), primary_key=True, index=True),
)


class CourseCategory(Base):
    """One member category in a course's audience; no rows means every category."""

    __tablename__ = "course_categories"

    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[MemberCategory] = mapped_column(enum_type(MemberCategory), primary_key=True)


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    is_required: Mapped[bool] = mapped_column(default=False)  # 必修 (else 选修)
    state: Mapped[CourseState] = mapped_column(
        enum_type(CourseState), default=CourseState.DRAFT, index=True
    )
    owner_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    # The folder under courses/ the course was synced from; None when authored on screen.
    content_folder: Mapped[str | None] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    owner_unit: Mapped[Unit] = relationship(lazy="joined")
    audience_units: Mapped[list[Unit]] = relationship(
        secondary=course_audience_units, order_by=lambda: tree_order(Unit.path)
    )
    category_rows: Mapped[list[CourseCategory]] = relationship(
        cascade="all, delete-orphan", order_by=CourseCategory.category
    )
    modules: Mapped[list["Module"]] = relationship(
        back_populates="course", order_by="(Module.position, Module.id)"
    )

    @property
    def audience_categories(self) -> set[MemberCategory]:
        return {row.category for row in self.category_rows}

    def set_audience_categories(self, categories) -> None:
        wanted = set(categories)
        self.category_rows = [row for row in self.category_rows if row.category in wanted]
        present = self.audience_categories
        self.category_rows.extend(
            CourseCategory(category=c) for c in sorted(wanted - present) if c is not None
        )

    def can_move_to(self, target: CourseState) -> bool:
        return target in COURSE_TRANSITIONS[self.state]

    def _move(self, target: CourseState, now: datetime) -> None:
        if not self.can_move_to(target):
            raise DomainError(
                None,
                _l(
                    "A course cannot go from %(old)s to %(new)s.",
                    old=STATE_LABELS[self.state],
                    new=STATE_LABELS[target],
                ),
            )
        self.state = target
        self.updated_at = now

    def publish(self, now: datetime) -> None:
        self._move(CourseState.PUBLISHED, now)

    def archive(self, now: datetime) -> None:
        self._move(CourseState.ARCHIVED, now)

    def back_to_draft(self, now: datetime) -> None:
        self._move(CourseState.DRAFT, now)


STATE_LABELS = {
    CourseState.DRAFT: _l("Draft"),
    CourseState.PUBLISHED: _l("Published"),
    CourseState.ARCHIVED: _l("Archived"),
}
KIND_LABELS = {
    LessonKind.TEXT: _l("Text"),
    LessonKind.VIDEO: _l("Video"),
    LessonKind.DOCUMENT: _l("Document (PDF)"),
}


class Module(Base):
    """A chapter (章) of a course."""

    __tablename__ = "course_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))

    course: Mapped[Course] = relationship(back_populates="modules", lazy="joined")
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="module", order_by="(Lesson.position, Lesson.id)"
    )


class Lesson(Base):
    """A lesson (节). Kind, length and value are here; the content lives in its versions."""

    __tablename__ = "lessons"
    __table_args__ = (
        sa.CheckConstraint("length_seconds >= 0", name="length_non_negative"),
        sa.CheckConstraint(
            "required_share > 0 AND required_share <= 1", name="required_share_range"
        ),
        sa.CheckConstraint("nominal_hours > 0", name="nominal_hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("course_modules.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[LessonKind] = mapped_column(enum_type(LessonKind), default=LessonKind.TEXT)
    # Reading time for text, duration for video, reading estimate for documents.
    length_seconds: Mapped[int] = mapped_column(default=0)
    required_share: Mapped[Decimal] = mapped_column(
        sa.Numeric(3, 2), default=DEFAULT_REQUIRED_SHARE
    )
    nominal_hours: Mapped[Decimal] = mapped_column(sa.Numeric(4, 2))  # 学时
    # The two tables point at each other; the constraint is added after both exist.
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("lesson_versions.id", use_alter=True)
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    module: Mapped[Module] = relationship(back_populates="lessons", lazy="joined")
    current_version: Mapped["LessonVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )

    @property
    def course(self) -> Course:
        return self.module.course

    @property
    def media(self) -> "LessonMedia | None":
        return self.current_version.media if self.current_version else None


class LessonMedia(Base):
    """An uploaded video or PDF, stored under DATA_DIR/media by a random key, never by name."""

    __tablename__ = "lesson_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id"), index=True)
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))  # what the author called it
    content_type: Mapped[str] = mapped_column(sa.String(64))  # from magic bytes, not the client
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]


class LessonVersion(Base):
    """One content version of a lesson; never edited once written."""

    __tablename__ = "lesson_versions"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id"), index=True)
    number: Mapped[int]
    body_source: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    body_html: Mapped[str] = mapped_column(sa.Text, default="")  # sanitised on write
    sources: Mapped[list] = mapped_column(sa.JSON, default=list)  # citations, one string each
    media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lesson_media.id"))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]

    media: Mapped[LessonMedia | None] = relationship(lazy="joined")
