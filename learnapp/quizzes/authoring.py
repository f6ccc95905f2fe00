"""Quiz definitions: their settings and their lifecycle (create, update, publish, archive). What
a quiz is made of, its paper or rules, is composition.py's. Services flush, never commit, and
raise DomainError."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.orgs.models import MemberCategory, Unit
from learnapp.question_bank.models import QuestionBank
from learnapp.quizzes.composition import has_attempts, paper_problems, pin_versions
from learnapp.quizzes.marking_queue import answerable_by
from learnapp.quizzes.models import (
    Composition,
    GradingMethod,
    Quiz,
    QuizKind,
    QuizRule,
    QuizState,
    ReleasePolicy,
)

MAX_DURATION_SECONDS = 24 * 3600
MAX_GRACE_SECONDS = 24 * 3600
MAX_ATTEMPTS = 100
CENT = Decimal("0.01")  # the pass mark is kept in hundredths
# An exam's attempts are limited (README): unlimited attempts would let a member retake it until
# the questions are known.
EXAM_ATTEMPTS_LIMITED = _l("An exam allows a limited number of attempts: 1 to 100.")
DAILY_MIX = (("single", 2), ("multiple", 2), ("judge", 1))  # DOMAIN.md: 2 + 2 + 1
# Without a close, "after the exam closes" would never come: the results would wait for good.
NO_CLOSE_TO_RELEASE_AFTER = _l(
    "Results shown after the exam closes need a closing time: set one, or show the results "
    "at once or never."
)

# An examinee who organises the exam would change its terms for everyone, their own included.
EXAMINEE_EDITING = _l(
    "You may still answer this exam yourself (an attempt in progress, or one you may still "
    "start), so you cannot change its settings. Another organiser of the exam or an "
    "administrator can."
)


@dataclass
class QuizSettings:
    title: str
    kind: QuizKind
    owner_unit: Unit
    composition: Composition = Composition.FIXED
    description: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    duration_seconds: int | None = None
    grace_seconds: int = 60
    attempts_allowed: int = 1
    grading_method: GradingMethod = GradingMethod.HIGHEST
    pass_percent: Decimal = Decimal("60")
    shuffle_questions: bool = False
    shuffle_options: bool = False
    release: ReleasePolicy = ReleasePolicy.IMMEDIATELY
    audience_units: list[Unit] = field(default_factory=list)
    audience_categories: list[MemberCategory] = field(default_factory=list)
    course_id: int | None = None


def _check(actor, settings: QuizSettings) -> None:
    """Cross-field rules (security.md §6.6 #73)."""
    if not settings.title.strip() or len(settings.title) > 200:
        raise DomainError("title", _l("A title of up to 200 characters is required."))
    if actor is not None and not can_manage_unit(actor, settings.owner_unit):
        raise DomainError("owner_unit_id", _l("You can only author quizzes for your own units."))
    if settings.opens_at and settings.closes_at and settings.closes_at <= settings.opens_at:
        raise DomainError("closes_at", _l("The quiz must close after it opens."))
    if settings.release == ReleasePolicy.AFTER_CLOSE and settings.closes_at is None:
        raise DomainError("closes_at", NO_CLOSE_TO_RELEASE_AFTER)
    duration = settings.duration_seconds
    if duration is not None and not 60 <= duration <= MAX_DURATION_SECONDS:
        raise DomainError("duration_minutes", _l("The time limit is 1 minute to 24 hours."))
    if (
        duration is not None
        and settings.opens_at
        and settings.closes_at
        and duration > (settings.closes_at - settings.opens_at).total_seconds()
    ):
        raise DomainError("duration_minutes", _l("The time limit is longer than the window."))
    if not 0 <= settings.grace_seconds <= MAX_GRACE_SECONDS:
        raise DomainError("grace_seconds", _l("The grace period is 0 seconds to 24 hours."))
    if not 0 <= settings.attempts_allowed <= MAX_ATTEMPTS:
        raise DomainError("attempts_allowed", _l("Attempts allowed: 0 (unlimited) to 100."))
    if settings.kind == QuizKind.EXAM and settings.attempts_allowed == 0:
        raise DomainError("attempts_allowed", EXAM_ATTEMPTS_LIMITED)
    percent = settings.pass_percent
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise DomainError("pass_percent", _l("The pass mark is a percentage from 0 to 100."))
    if percent != percent.quantize(CENT):
        raise DomainError("pass_percent", _l("The pass mark has at most two decimal places."))
    if settings.kind == QuizKind.DAILY and settings.composition != Composition.RANDOM:
        raise DomainError("composition", _l("Daily questions are drawn by rules."))
    if actor is not None:
        for unit in settings.audience_units:
            if not can_manage_unit(actor, unit):
                raise DomainError("audience_units", _l("An audience unit is outside your units."))


def _apply(quiz: Quiz, settings: QuizSettings) -> None:
    quiz.title = settings.title.strip()
    quiz.description = settings.description.strip()
    quiz.kind = settings.kind
    quiz.owner_unit_id = settings.owner_unit.id
    quiz.composition = settings.composition
    quiz.opens_at, quiz.closes_at = settings.opens_at, settings.closes_at
    quiz.duration_seconds = settings.duration_seconds
    quiz.grace_seconds = settings.grace_seconds
    quiz.attempts_allowed = settings.attempts_allowed
    # A topic set scores once: its first finished attempt (DOMAIN.md).
    quiz.grading_method = (
        GradingMethod.FIRST if settings.kind == QuizKind.TOPIC else settings.grading_method
    )
    quiz.pass_percent = settings.pass_percent.quantize(CENT)
    quiz.shuffle_questions = settings.shuffle_questions
    quiz.shuffle_options = settings.shuffle_options
    quiz.release = settings.release
    quiz.audience_units = list(settings.audience_units)
    quiz.audience_categories = sorted(str(c) for c in settings.audience_categories)
    quiz.course_id = settings.course_id


def create_quiz(session: Session, actor, settings: QuizSettings, now: datetime) -> Quiz:
    """A new draft quiz. A daily quiz starts with the DOMAIN.md mix (2 single, 2 multiple,
    1 true/false) drawn from the default bank when one exists."""
    _check(actor, settings)
    quiz = Quiz(created_by_id=getattr(actor, "id", None), created_at=now, updated_at=now)
    _apply(quiz, settings)
    session.add(quiz)
    session.flush()
    if settings.kind == QuizKind.DAILY:
        bank = session.scalar(sa.select(QuestionBank).where(QuestionBank.is_default.is_(True)))
        if bank is not None:
            for position, (code, count) in enumerate(DAILY_MIX, start=1):
                quiz.rules.append(
                    QuizRule(
                        position=position,
                        bank_id=bank.id,
                        question_type=code,
                        count=count,
                        points=Decimal("1"),
                    )
                )
    record(session, actor, "quiz.created", "quiz", quiz.id, now=now, after={"title": quiz.title})
    session.flush()
    return quiz


def settings_locked(session: Session, user, quiz: Quiz, now: datetime) -> bool:
    """Whether `user` may not change the settings of `quiz`: an exam they may still answer
    themselves (`marking_queue.answerable_by`: an attempt in progress, or one they may still
    start). Nobody sets the terms of an exam they sit, as nobody sets their own terms
    (overrides.save_override) or marks their own answer."""
    return quiz.kind == QuizKind.EXAM and bool(answerable_by(session, user, [quiz], now))


def update_quiz(session: Session, actor, quiz: Quiz, settings: QuizSettings, now: datetime):
    """Change a quiz's settings. Refused to an examinee of the exam (`settings_locked`). The
    composition of a quiz that has attempts stays: attempts already froze their papers, and
    switching would leave its rules or paper inconsistent. A changed close or time limit moves
    the deadlines of attempts in progress at once (E3)."""
    if actor is not None and settings_locked(session, actor, quiz, now):
        raise DomainError(None, EXAMINEE_EDITING)
    _check(actor, settings)
    if settings.composition != quiz.composition and has_attempts(session, quiz):
        raise DomainError("composition", _l("Members have taken this quiz; keep its composition."))
    timing = (quiz.closes_at, quiz.duration_seconds)
    _apply(quiz, settings)
    quiz.updated_at = now
    if (quiz.closes_at, quiz.duration_seconds) != timing:
        # A later close (an outage, say) or another time limit applies to attempts in progress.
        from learnapp.quizzes.attempts import refresh_deadlines

        refresh_deadlines(session, quiz)
    record(session, actor, "quiz.updated", "quiz", quiz.id, now=now, after={"title": quiz.title})
    session.flush()


def publish_quiz(session: Session, actor, quiz: Quiz, now: datetime) -> None:
    """A draft with a usable paper becomes visible to its audience. A paper that is not usable
    yet is refused with its first problem, on the field "paper" (the authoring page lists every
    problem of the paper); so is a draft whose results wait for a close it does not have."""
    if quiz.state != QuizState.DRAFT:
        raise DomainError(None, _l("Only a draft can be published."))
    if quiz.release == ReleasePolicy.AFTER_CLOSE and quiz.closes_at is None:
        raise DomainError("closes_at", NO_CLOSE_TO_RELEASE_AFTER)
    problems = paper_problems(session, quiz)
    if problems:
        raise DomainError("paper", problems[0])
    if quiz.composition == Composition.FIXED:
        pin_versions(session, quiz, now)
    quiz.state, quiz.updated_at = QuizState.PUBLISHED, now
    record(session, actor, "quiz.published", "quiz", quiz.id, now=now)
    session.flush()


def archive_quiz(session: Session, actor, quiz: Quiz, now: datetime) -> None:
    """An archived quiz can no longer be started; its attempts and results stay (never deleted:
    security.md §4.1)."""
    if quiz.state == QuizState.ARCHIVED:
        raise DomainError(None, _l("The quiz is already archived."))
    quiz.state, quiz.updated_at = QuizState.ARCHIVED, now
    record(session, actor, "quiz.archived", "quiz", quiz.id, now=now)
    session.flush()
