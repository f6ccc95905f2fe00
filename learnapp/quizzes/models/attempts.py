"""Attempts with their frozen questions, the append-only answer log, tab-switch signals, the
wrong-answer book (错题本) and members' reports of faulty questions (纠错).

An attempt is a state machine (security.md §3, E4/E5): in_progress → submitted → graded, or
awaiting_marking → graded when a 简答 needs a person. Every transition is a conditional UPDATE
in attempts.py and grading.py; nothing here commits.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base, enum_type
from learnapp.quizzes.models.definitions import Quiz


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"  # taken from the member; grading runs in the same transaction
    AWAITING_MARKING = "awaiting_marking"  # a 简答 waits for a marker
    GRADED = "graded"


class FinishedBy(enum.StrEnum):
    MEMBER = "member"  # the member submitted
    TIMER = "timer"  # time was up: sent by the page's countdown, or found overdue
    JOB = "job"  # finalised by the scheduled sweep


class ReportState(enum.StrEnum):
    OPEN = "open"  # waits for a bank editor or reviewer
    RESOLVED = "resolved"  # the question was corrected (or will be)
    DISMISSED = "dismissed"  # the question is right as it stands


class AnswerOutcome(enum.StrEnum):
    SAVED = "saved"
    REPLAY = "replay"  # the same save again (a retry): nothing changed
    STALE = "stale"  # based on an older answer than the stored one (a second tab)
    LATE = "late"  # after the deadline and its grace
    CLOSED = "closed"  # the attempt was already finished


class Attempt(Base):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        # Attempt numbering: racing "start" cannot exceed the limit (E9).
        sa.UniqueConstraint("quiz_id", "member_id", "number"),
        # 每日答题 scores once a day: one attempt per member and practice day.
        sa.UniqueConstraint("quiz_id", "member_id", "practice_day"),
        # One attempt in progress per member and quiz.
        sa.Index(
            "ix_quiz_attempts_one_in_progress",
            "quiz_id",
            "member_id",
            unique=True,
            sqlite_where=sa.text("state = 'in_progress'"),
            postgresql_where=sa.text("state = 'in_progress'"),
        ),
        sa.Index("ix_quiz_attempts_state_deadline", "state", "deadline_at"),
        sa.Index("ix_quiz_attempts_member_submitted", "member_id", "submitted_at"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    number: Mapped[int]
    state: Mapped[AttemptState] = mapped_column(enum_type(AttemptState))
    # The seed the random composition and the shuffles were drawn from (auditable).
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    practice_day: Mapped[date | None] = mapped_column(sa.Date)
    started_at: Mapped[datetime]
    # min(start + duration, close), computed by the server at start; None: no time limit.
    deadline_at: Mapped[datetime | None]
    grace_seconds: Mapped[int] = mapped_column(default=0)
    pass_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    submitted_at: Mapped[datetime | None]
    finished_by: Mapped[FinishedBy | None] = mapped_column(enum_type(FinishedBy))
    graded_at: Mapped[datetime | None]
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    max_score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2), default=Decimal("0"))
    percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    passed: Mapped[bool | None]

    quiz: Mapped[Quiz] = relationship(lazy="joined")
    member = relationship("User")
    slots: Mapped[list["AttemptQuestion"]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position"
    )

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS

    @property
    def is_finished(self) -> bool:
        return self.state in (AttemptState.AWAITING_MARKING, AttemptState.GRADED)


class AttemptQuestion(Base):
    """A slot of an attempt: the frozen question version, its points, its option order and the
    opaque option ids shown to this member, and the latest saved response."""

    __tablename__ = "quiz_attempt_questions"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position"),
        sa.CheckConstraint("seq >= 0", name="seq_non_negative"),
        sa.CheckConstraint(
            "awarded IS NULL OR (awarded >= 0 AND awarded <= points)", name="awarded_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id"), index=True)
    position: Mapped[int]
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"), index=True)
    question_type: Mapped[str] = mapped_column(sa.String(16))
    points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    # Displayed position → original option index, and the opaque id shown at that position.
    option_order: Mapped[list] = mapped_column(sa.JSON, default=list)
    option_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The response in the type's grading form (see question_bank.types); None: unanswered.
    response: Mapped[dict | None] = mapped_column(sa.JSON)
    seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime | None]
    awarded: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    is_correct: Mapped[bool | None]
    needs_marking: Mapped[bool] = mapped_column(default=False)
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    marked_at: Mapped[datetime | None]
    marker_comment: Mapped[str] = mapped_column(sa.Text, default="")
    # The approved version whose key a regrade scored the answer with, when it is not the
    # version asked (a corrected question); None: graded with the version asked.
    graded_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("question_versions.id"))

    attempt: Mapped[Attempt] = relationship(back_populates="slots")
    version = relationship("QuestionVersion", foreign_keys=[version_id], lazy="joined")
    graded_version = relationship("QuestionVersion", foreign_keys=[graded_version_id])

    @property
    def key_version(self):
        """The version whose key the answer's mark comes from: the one asked, unless a regrade
        scored it against a corrected one."""
        return self.version if self.graded_version_id is None else self.graded_version


class AnswerLog(Base):
    """Every save the server received, accepted or not, with its server time (append-only):
    late and stale answers are refused but never silently dropped."""

    __tablename__ = "quiz_answer_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id"), index=True)
    position: Mapped[int]
    base_seq: Mapped[int]
    response: Mapped[dict | None] = mapped_column(sa.JSON)
    outcome: Mapped[AnswerOutcome] = mapped_column(enum_type(AnswerOutcome))
    received_at: Mapped[datetime]


class AttemptSignal(Base):
    """The page was hidden (tab switch) during an attempt: information for a person, never a
    penalty."""

    __tablename__ = "quiz_attempt_signals"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    received_at: Mapped[datetime]


class WrongAnswer(Base):
    """An entry of a member's 错题本 with its spaced-repetition review date."""

    __tablename__ = "quiz_wrong_answers"
    __table_args__ = (sa.UniqueConstraint("member_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"))
    wrong_count: Mapped[int] = mapped_column(default=1)
    right_streak: Mapped[int] = mapped_column(default=0)
    due_on: Mapped[date] = mapped_column(sa.Date)
    is_mastered: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]

    version = relationship("QuestionVersion", lazy="joined")


class QuestionReport(Base):
    """纠错: a member says a question they were asked is faulty. The report names the version the
    member saw; it waits for a bank editor or reviewer of the question's bank, who corrects the
    question in the bank (then regrades) or dismisses the report. A report never changes the
    question's status by itself: a member could otherwise pull a question out of a live paper."""

    __tablename__ = "quiz_question_reports"
    __table_args__ = (sa.UniqueConstraint("member_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(sa.String(1000))
    state: Mapped[ReportState] = mapped_column(
        enum_type(ReportState), default=ReportState.OPEN, index=True
    )
    created_at: Mapped[datetime]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str] = mapped_column(sa.String(1000), default="")

    question = relationship("Question", lazy="joined")
    version = relationship("QuestionVersion", lazy="joined")


ATTEMPT_STATE_LABELS = {
    AttemptState.IN_PROGRESS: _l("Being answered"),
    AttemptState.SUBMITTED: _l("Submitted"),
    AttemptState.AWAITING_MARKING: _l("Awaiting marking"),
    AttemptState.GRADED: _l("Graded"),
}
REPORT_STATE_LABELS = {
    ReportState.OPEN: _l("Open"),
    ReportState.RESOLVED: _l("Corrected"),
    ReportState.DISMISSED: _l("Dismissed"),
}
