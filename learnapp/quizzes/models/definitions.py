"""Quiz definitions: settings, the fixed paper (items) or random rules, the audience, and
members' own terms (overrides)."""

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base, enum_type, tree_order
from learnapp.orgs.models import Unit


class QuizKind(enum.StrEnum):
    PRACTICE = "practice"  # 练习
    DAILY = "daily"  # 每日答题
    TOPIC = "topic"  # 专项答题
    EXAM = "exam"  # 考试

    @property
    def is_practice(self) -> bool:
        return self != QuizKind.EXAM


class QuizState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Composition(enum.StrEnum):
    FIXED = "fixed"  # one paper for everyone
    RANDOM = "random"  # rules draw a paper per examinee from a stored seed


class GradingMethod(enum.StrEnum):
    HIGHEST = "highest"
    LAST = "last"
    FIRST = "first"
    AVERAGE = "average"


class ReleasePolicy(enum.StrEnum):
    IMMEDIATELY = "immediately"
    AFTER_CLOSE = "after_close"
    NEVER = "never"


quiz_audience_units = sa.Table(
    "quiz_audience_units",
    Base.metadata,
    sa.Column("quiz_id", sa.ForeignKey("quizzes.id"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id"), primary_key=True, index=True),
)


class Quiz(Base):
    __tablename__ = "quizzes"
    __table_args__ = (
        sa.CheckConstraint("pass_percent >= 0 AND pass_percent <= 100", name="pass_percent_range"),
        sa.CheckConstraint("attempts_allowed >= 0", name="attempts_non_negative"),
        sa.CheckConstraint("grace_seconds >= 0", name="grace_non_negative"),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds > 0", name="duration_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[QuizKind] = mapped_column(enum_type(QuizKind))
    state: Mapped[QuizState] = mapped_column(
        enum_type(QuizState), default=QuizState.DRAFT, index=True
    )
    owner_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    composition: Mapped[Composition] = mapped_column(enum_type(Composition))
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]
    grace_seconds: Mapped[int] = mapped_column(default=60)
    attempts_allowed: Mapped[int] = mapped_column(default=1)  # 0: unlimited
    grading_method: Mapped[GradingMethod] = mapped_column(
        enum_type(GradingMethod), default=GradingMethod.HIGHEST
    )
    pass_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("60"))
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=False)
    release: Mapped[ReleasePolicy] = mapped_column(
        enum_type(ReleasePolicy), default=ReleasePolicy.IMMEDIATELY
    )
    # Member categories the quiz is for; empty: every category.
    audience_categories: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The course whose final test this is: passing credits hours (DOMAIN.md).
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    owner_unit = relationship("Unit", lazy="joined")
    course = relationship("Course")
    audience_units = relationship(
        "Unit", secondary=quiz_audience_units, order_by=lambda: tree_order(Unit.path)
    )
    items: Mapped[list["QuizItem"]] = relationship(
        back_populates="quiz", order_by="QuizItem.position", cascade="all, delete-orphan"
    )
    rules: Mapped[list["QuizRule"]] = relationship(
        back_populates="quiz", order_by="QuizRule.position", cascade="all, delete-orphan"
    )
    overrides: Mapped[list["QuizOverride"]] = relationship(
        back_populates="quiz", order_by="QuizOverride.id", cascade="all, delete-orphan"
    )

    @property
    def grading(self) -> GradingMethod:
        """How a member's attempts combine into their grade: a topic set scores once, with its
        first finished attempt (DOMAIN.md), whatever method it was saved with."""
        return GradingMethod.FIRST if self.kind == QuizKind.TOPIC else self.grading_method

    @property
    def has_pass_mark(self) -> bool:
        """Whether passing means something: an exam, or a course's final test (passing it adds
        学时). Other practice is for learning; its pass mark is never shown nor counted."""
        return self.kind == QuizKind.EXAM or self.course_id is not None

    @property
    def last_close(self) -> datetime | None:
        """When the quiz has closed for everyone, members' later closing times included; None
        if it never closes."""
        if self.closes_at is None:
            return None
        return max([self.closes_at, *(o.closes_at for o in self.overrides if o.closes_at)])


class QuizOverride(Base):
    """One member's own terms for a quiz (security.md E3): a later close, a different time
    limit, or a different number of attempts, each replacing the quiz's when set. Recorded with
    the reason and who granted it."""

    __tablename__ = "quiz_overrides"
    __table_args__ = (
        sa.UniqueConstraint("quiz_id", "member_id"),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds > 0", name="duration_positive"
        ),
        sa.CheckConstraint(
            "attempts_allowed IS NULL OR attempts_allowed >= 0", name="attempts_non_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    closes_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]
    attempts_allowed: Mapped[int | None]  # 0: unlimited
    reason: Mapped[str] = mapped_column(sa.Text)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    granted_at: Mapped[datetime]

    quiz: Mapped[Quiz] = relationship(back_populates="overrides")
    member = relationship("User", foreign_keys=[member_id])
    granted_by = relationship("User", foreign_keys=[granted_by_id])


class QuizItem(Base):
    """A question of a fixed paper. While the quiz is a draft the paper follows the question's
    current version; publishing pins that version, so every examinee of a published paper gets
    the same question whatever later happens to it in the bank (a new version in review, a
    retirement)."""

    __tablename__ = "quiz_items"
    __table_args__ = (
        sa.UniqueConstraint("quiz_id", "question_id"),
        sa.CheckConstraint("points IS NULL OR points > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    # Set when the quiz is published (or the question added to a published paper).
    version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("question_versions.id"))
    position: Mapped[int]
    # None: the question version's own points.
    points: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))

    quiz: Mapped[Quiz] = relationship(back_populates="items")
    question = relationship("Question", lazy="joined")


class QuizRule(Base):
    """One line of a random composition: `count` questions matching the filters, each worth
    `points`. Empty filters match anything active."""

    __tablename__ = "quiz_rules"
    __table_args__ = (
        sa.CheckConstraint("count > 0", name="count_positive"),
        sa.CheckConstraint("points > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id"), index=True)
    position: Mapped[int]
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id"))
    knowledge_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("knowledge_points.id"))
    question_type: Mapped[str | None] = mapped_column(sa.String(16))
    difficulty: Mapped[int | None]
    count: Mapped[int]
    points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))

    quiz: Mapped[Quiz] = relationship(back_populates="rules")
    bank = relationship("QuestionBank", lazy="joined")
    knowledge_point = relationship("KnowledgePoint", lazy="joined")


KIND_LABELS = {
    QuizKind.PRACTICE: _l("Practice"),
    QuizKind.DAILY: _l("Daily questions (每日答题)"),
    QuizKind.TOPIC: _l("Topic set (专项答题)"),
    QuizKind.EXAM: _l("Exam"),
}
STATE_LABELS = {
    QuizState.DRAFT: _l("Draft"),
    QuizState.PUBLISHED: _l("Published"),
    QuizState.ARCHIVED: _l("Archived"),
}
COMPOSITION_LABELS = {
    Composition.FIXED: _l("Fixed paper"),
    Composition.RANDOM: _l("Random by rules"),
}
GRADING_LABELS = {
    GradingMethod.HIGHEST: _l("Highest attempt"),
    GradingMethod.LAST: _l("Last attempt"),
    GradingMethod.FIRST: _l("First attempt"),
    GradingMethod.AVERAGE: _l("Average of attempts"),
}
RELEASE_LABELS = {
    ReleasePolicy.IMMEDIATELY: _l("Immediately after submitting"),
    ReleasePolicy.AFTER_CLOSE: _l("After the exam closes"),
    ReleasePolicy.NEVER: _l("Never"),
}
