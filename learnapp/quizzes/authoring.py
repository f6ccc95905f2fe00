"""Quiz definitions: settings, the fixed paper or random rules, publishing. Services flush,
never commit, and raise DomainError."""

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
from learnapp.question_bank.models import (
    KnowledgePoint,
    Question,
    QuestionBank,
    QuestionStatus,
)
from learnapp.question_bank.types import TYPES
from learnapp.quizzes.models import (
    Composition,
    GradingMethod,
    Quiz,
    QuizItem,
    QuizKind,
    QuizRule,
    QuizState,
    ReleasePolicy,
)

MAX_DURATION_SECONDS = 24 * 3600
MAX_GRACE_SECONDS = 24 * 3600
MAX_ATTEMPTS = 100
MAX_QUESTIONS = 200
MAX_RULE_COUNT = 100
MAX_POINTS = Decimal("100")
DAILY_MIX = (("single", 2), ("multiple", 2), ("judge", 1))  # DOMAIN.md: 2 + 2 + 1
TOPIC_SIZES = (5, 10)  # DOMAIN.md: 专项答题 sets of 5 or 10


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


def can_author(user, quiz: Quiz) -> bool:
    return can_manage_unit(user, quiz.owner_unit)


def _check(actor, settings: QuizSettings) -> None:
    """Cross-field rules (security.md §6.6 #73)."""
    if not settings.title.strip() or len(settings.title) > 200:
        raise DomainError("title", _l("A title of up to 200 characters is required."))
    if actor is not None and not can_manage_unit(actor, settings.owner_unit):
        raise DomainError("owner_unit_id", _l("You can only author quizzes for your own units."))
    if settings.opens_at and settings.closes_at and settings.closes_at <= settings.opens_at:
        raise DomainError("closes_at", _l("The quiz must close after it opens."))
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
    percent = settings.pass_percent
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise DomainError("pass_percent", _l("The pass mark is a percentage from 0 to 100."))
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
    quiz.grading_method = settings.grading_method
    quiz.pass_percent = settings.pass_percent.quantize(Decimal("0.01"))
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


def update_quiz(session: Session, actor, quiz: Quiz, settings: QuizSettings, now: datetime):
    """Change a quiz's settings. The composition of a quiz that has attempts stays: attempts
    already froze their papers, and switching would leave its rules or paper inconsistent. A
    changed close or time limit moves the deadlines of attempts in progress at once (E3)."""
    _check(actor, settings)
    if settings.composition != quiz.composition and _has_attempts(session, quiz):
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


def _has_attempts(session: Session, quiz: Quiz) -> bool:
    from learnapp.quizzes.models import Attempt

    return bool(session.scalar(sa.select(sa.exists().where(Attempt.quiz_id == quiz.id))))


def paper_locked_reason(session: Session, quiz: Quiz):
    """Why the quiz's paper or rules can no longer change (archived, or published and taken),
    or None while they can. The authoring page hides its editing controls by the same rule."""
    if quiz.state == QuizState.ARCHIVED:
        return _l("An archived quiz cannot be changed.")
    if quiz.state == QuizState.PUBLISHED and _has_attempts(session, quiz):
        return _l("Members have taken this quiz; its paper is fixed now.")
    return None


def _editable_paper(session: Session, quiz: Quiz) -> None:
    reason = paper_locked_reason(session, quiz)
    if reason is not None:
        raise DomainError(None, reason)


def add_questions(session: Session, actor, quiz: Quiz, question_ids: list[int], now) -> int:
    """Append active questions to a fixed paper; ones already on it are skipped. Returns how
    many were added."""
    _editable_paper(session, quiz)
    if quiz.composition != Composition.FIXED:
        raise DomainError(None, _l("This quiz draws its questions by rules."))
    present = {item.question_id for item in quiz.items}
    wanted = [qid for qid in dict.fromkeys(question_ids) if qid not in present]
    if len(present) + len(wanted) > MAX_QUESTIONS:
        raise DomainError("question_ids", _l("A paper holds at most 200 questions."))
    query = sa.select(Question).where(
        Question.id.in_(wanted), Question.status == QuestionStatus.ACTIVE
    )
    if actor is not None:
        query = query.where(Question.bank_id.in_([b.id for b in banks_for(session, actor)]))
    questions = session.scalars(query).all()
    found = {q.id for q in questions}
    if set(wanted) - found:
        raise DomainError("question_ids", _l("Only active questions of your banks can be added."))
    position = max((item.position for item in quiz.items), default=0)
    for qid in wanted:
        position += 1
        quiz.items.append(QuizItem(question_id=qid, position=position))
    if quiz.state != QuizState.DRAFT:
        _pin_versions(quiz, now)
    quiz.updated_at = now
    session.flush()
    return len(wanted)


def _pin_versions(quiz: Quiz, now: datetime) -> None:
    """Each item of a published fixed paper keeps the question version it was published with.
    The version counts as used from then on, so an edit in the bank makes a new version instead
    of changing the published one."""
    for item in quiz.items:
        if item.version_id is None:
            version = item.question.current_version
            item.version_id = version.id
            if version.used_at is None:
                version.used_at = now


def remove_item(session: Session, actor, quiz: Quiz, item_id: int, now: datetime) -> None:
    _editable_paper(session, quiz)
    item = next((i for i in quiz.items if i.id == item_id), None)
    if item is None:
        raise DomainError(None, _l("That question is not on this paper."))
    quiz.items.remove(item)
    quiz.updated_at = now
    session.flush()


@dataclass
class RuleInput:
    bank: QuestionBank
    knowledge_point: KnowledgePoint | None
    question_type: str | None
    difficulty: int | None
    count: int
    points: Decimal


def add_rule(session: Session, actor, quiz: Quiz, rule: RuleInput, now: datetime) -> QuizRule:
    """Add a random-composition rule; it must be satisfiable from the bank right now."""
    _editable_paper(session, quiz)
    if quiz.composition != Composition.RANDOM:
        raise DomainError(None, _l("This quiz has a fixed paper."))
    if actor is not None and rule.bank.id not in {b.id for b in banks_for(session, actor)}:
        raise DomainError("bank_id", _l("Choose one of your question banks."))
    if rule.knowledge_point is not None and rule.knowledge_point.bank_id != rule.bank.id:
        raise DomainError("knowledge_point_id", _l("That knowledge point is in another bank."))
    if rule.question_type is not None and rule.question_type not in TYPES:
        raise DomainError("question_type", _l("Unknown question type."))
    if rule.difficulty is not None and not 1 <= rule.difficulty <= 5:
        raise DomainError("difficulty", _l("Difficulty is 1 to 5."))
    if not 1 <= rule.count <= MAX_RULE_COUNT:
        raise DomainError("count", _l("A rule draws 1 to 100 questions."))
    if not rule.points.is_finite() or not 0 < rule.points <= MAX_POINTS:
        raise DomainError("points", _l("Points are more than 0 and at most 100."))
    row = QuizRule(
        position=max((r.position for r in quiz.rules), default=0) + 1,
        bank_id=rule.bank.id,
        knowledge_point_id=rule.knowledge_point.id if rule.knowledge_point else None,
        question_type=rule.question_type,
        difficulty=rule.difficulty,
        count=rule.count,
        points=rule.points.quantize(Decimal("0.01")),
    )
    available = len(candidate_ids(session, row))
    if available < rule.count:
        raise DomainError(
            "count",
            _l("Only %(n)d active questions match this rule.") % {"n": available},
        )
    quiz.rules.append(row)
    quiz.updated_at = now
    session.flush()
    return row


def remove_rule(session: Session, actor, quiz: Quiz, rule_id: int, now: datetime) -> None:
    _editable_paper(session, quiz)
    rule = next((r for r in quiz.rules if r.id == rule_id), None)
    if rule is None:
        raise DomainError(None, _l("That rule is not part of this quiz."))
    quiz.rules.remove(rule)
    quiz.updated_at = now
    session.flush()


def candidate_ids(session: Session, rule: QuizRule) -> list[tuple[int, int]]:
    """(question id, current version id) of the active questions a rule may draw, by id."""
    query = sa.select(Question.id, Question.current_version_id).where(
        Question.bank_id == rule.bank_id,
        Question.status == QuestionStatus.ACTIVE,
        Question.current_version_id.is_not(None),
    )
    if rule.question_type:
        query = query.where(Question.type == rule.question_type)
    if rule.difficulty:
        query = query.where(Question.difficulty == rule.difficulty)
    if rule.knowledge_point_id:
        point = session.get(KnowledgePoint, rule.knowledge_point_id)
        query = query.join(KnowledgePoint, Question.knowledge_point_id == KnowledgePoint.id).where(
            KnowledgePoint.path.startswith(point.path, autoescape=True)
        )
    # Thousands of rows for a large bank, on every start of a random paper: read as plain
    # tuples, past the ORM (after flushing, as the ORM would).
    session.flush()
    return [tuple(row) for row in session.connection().execute(query.order_by(Question.id))]


def paper_problems(session: Session, quiz: Quiz) -> list[str]:
    """Why the quiz cannot be published yet; empty when it can."""
    problems = []
    if quiz.composition == Composition.FIXED:
        size = sum(1 for i in quiz.items if i.question.status == QuestionStatus.ACTIVE)
        if not size:
            problems.append(str(_l("Add at least one active question to the paper.")))
        elif quiz.state == QuizState.DRAFT:
            problems.extend(
                str(
                    _l(
                        "Question %(n)d of the paper is not active now (in review or retired):"
                        " remove it, or publish once it is approved."
                    )
                    % {"n": index}
                )
                for index, item in enumerate(quiz.items, 1)
                if item.question.status != QuestionStatus.ACTIVE
            )
    else:
        size = sum(rule.count for rule in quiz.rules)
        if not quiz.rules:
            problems.append(str(_l("Add at least one rule.")))
        needed: dict[tuple, int] = {}
        for rule in quiz.rules:
            available = len(candidate_ids(session, rule))
            key = (rule.bank_id, rule.knowledge_point_id, rule.question_type, rule.difficulty)
            needed[key] = needed.get(key, 0) + rule.count
            if available < needed[key]:
                problems.append(
                    str(
                        _l("Rule %(n)d needs more questions than the bank has.")
                        % {"n": rule.position}
                    )
                )
    if quiz.kind == QuizKind.TOPIC and size and size not in TOPIC_SIZES:
        problems.append(str(_l("A topic set has 5 or 10 questions.")))
    return problems


def publish_quiz(session: Session, actor, quiz: Quiz, now: datetime) -> None:
    """A draft with a usable paper becomes visible to its audience."""
    if quiz.state != QuizState.DRAFT:
        raise DomainError(None, _l("Only a draft can be published."))
    problems = paper_problems(session, quiz)
    if problems:
        raise DomainError(None, problems[0])
    if quiz.composition == Composition.FIXED:
        _pin_versions(quiz, now)
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


def banks_for(session: Session, user) -> list[QuestionBank]:
    """Banks a quiz author may draw from: platform-wide banks, banks owned inside their units,
    and banks of the organisations above them (a committee's bank serves its branches)."""
    from learnapp.authz import unit_in_scope_clause

    above = {i for unit in user.managed_units for i in unit.ancestor_ids()}
    owned = sa.select(Unit.id).where(unit_in_scope_clause(user, Unit.path)).scalar_subquery()
    return list(
        session.scalars(
            sa.select(QuestionBank)
            .where(
                sa.or_(
                    QuestionBank.unit_id.is_(None),
                    QuestionBank.unit_id.in_(owned),
                    QuestionBank.unit_id.in_(sorted(above)),
                )
            )
            .order_by(QuestionBank.id)
        )
    )
