"""What a quiz is made of: its fixed paper (items pinned to question versions once published) or
its random rules (what they may draw: random_rules), the banks an author may draw from, and
whether the paper can be published. Services flush, never commit, and raise DomainError."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.authz import unit_in_scope_clause
from learnapp.errors import DomainError
from learnapp.orgs.models import Unit
from learnapp.question_bank.models import (
    KnowledgePoint,
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionVersion,
)
from learnapp.question_bank.types import TYPES
from learnapp.quizzes.models import (
    Attempt,
    Composition,
    Quiz,
    QuizItem,
    QuizKind,
    QuizRule,
    QuizState,
)
from learnapp.quizzes.random_rules import candidate_ids, rule_shortfalls

MAX_QUESTIONS = 200
MAX_RULE_COUNT = 100
MAX_POINTS = Decimal("100")
CENT = Decimal("0.01")  # points are kept in hundredths
TOPIC_SIZES = (5, 10)  # DOMAIN.md: 专项答题 sets of 5 or 10


def has_attempts(session: Session, quiz: Quiz) -> bool:
    """Whether any member has started the quiz."""
    return bool(session.scalar(sa.select(sa.exists().where(Attempt.quiz_id == quiz.id))))


def paper_locked_reason(session: Session, quiz: Quiz):
    """Why the quiz's paper or rules can no longer change (archived, or published and taken),
    or None while they can. The authoring page hides its editing controls by the same rule."""
    if quiz.state == QuizState.ARCHIVED:
        return _l("An archived quiz cannot be changed.")
    if quiz.state == QuizState.PUBLISHED and has_attempts(session, quiz):
        return _l("Members have taken this quiz; its paper is fixed now.")
    return None


def _editable_paper(session: Session, quiz: Quiz) -> None:
    reason = paper_locked_reason(session, quiz)
    if reason is not None:
        raise DomainError(None, reason)


class AddedQuestions(NamedTuple):
    added: int
    skipped: int  # chosen, but already on the paper


def add_questions(
    session: Session, actor, quiz: Quiz, question_ids: list[int], now
) -> AddedQuestions:
    """Append active questions to a fixed paper; ones already on it are skipped. Returns how
    many were added and how many skipped."""
    _editable_paper(session, quiz)
    if quiz.composition != Composition.FIXED:
        raise DomainError(None, _l("This quiz draws its questions by rules."))
    present = {item.question_id for item in quiz.items}
    chosen = list(dict.fromkeys(question_ids))
    wanted = [qid for qid in chosen if qid not in present]
    skipped = len(chosen) - len(wanted)
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
    if not wanted:
        return AddedQuestions(0, skipped)
    position = max((item.position for item in quiz.items), default=0)
    for qid in wanted:
        position += 1
        quiz.items.append(QuizItem(question_id=qid, position=position))
    if quiz.state != QuizState.DRAFT:
        pin_versions(session, quiz, now)
    quiz.updated_at = now
    record(
        session,
        actor,
        "quiz.questions_added",
        "quiz",
        quiz.id,
        now=now,
        after={"questions": wanted},
    )
    session.flush()
    return AddedQuestions(len(wanted), skipped)


def pin_versions(session: Session, quiz: Quiz, now: datetime) -> None:
    """Each item of a published fixed paper keeps the question version it was published with:
    the version in use (`Question.version_in_use_id`), the approved one while an edit awaits
    review. The version counts as used from then on, so an edit in the bank makes a new version
    instead of changing the published one. The versions are read in one statement."""
    unpinned = [item for item in quiz.items if item.version_id is None]
    if not unpinned:
        return
    in_use = {
        version.question_id: version
        for version in session.scalars(
            sa.select(QuestionVersion)
            .join(Question, Question.version_in_use_id == QuestionVersion.id)
            .where(Question.id.in_({item.question_id for item in unpinned}))
        )
    }
    for item in unpinned:
        version = in_use[item.question_id]
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
    record(
        session,
        actor,
        "quiz.question_removed",
        "quiz",
        quiz.id,
        now=now,
        before={"question": item.question_id, "position": item.position},
    )
    session.flush()


def check_points(points: Decimal | None) -> Decimal | None:
    """A question's points on a paper, as the bank's points are checked: more than 0, at most
    100, in hundredths at most. None (the bank's points) passes."""
    if points is None:
        return None
    if not points.is_finite() or not 0 < points <= MAX_POINTS:
        raise DomainError("points", _l("Points must be more than 0 and at most 100."))
    if points != points.quantize(CENT):
        raise DomainError("points", _l("Points have at most two decimal places."))
    return points.quantize(CENT)


def set_item_points(
    session: Session, actor, quiz: Quiz, points: dict[int, Decimal | None], now: datetime
) -> int:
    """Give questions of a fixed paper (by item id) their own points on this paper, or with None
    their version's points again. Every value is checked before any is stored. Like the rest of
    the paper the points are fixed once members have taken the quiz: their attempts froze them,
    and every examinee is graded on the same paper. Items left out keep their points. Returns
    how many items changed; the changes are audited in one entry."""
    _editable_paper(session, quiz)
    if quiz.composition != Composition.FIXED:
        raise DomainError(None, _l("This quiz draws its questions by rules."))
    items = {item.id: item for item in quiz.items}
    if set(points) - set(items):
        raise DomainError(None, _l("That question is not on this paper."))
    wanted = {item_id: check_points(value) for item_id, value in points.items()}
    changed = [item for item in quiz.items if item.id in wanted and wanted[item.id] != item.points]
    if not changed:
        return 0
    before = [_describe_points(item) for item in changed]
    for item in changed:
        item.points = wanted[item.id]
    quiz.updated_at = now
    record(
        session,
        actor,
        "quiz.points_changed",
        "quiz",
        quiz.id,
        now=now,
        before={"items": before},
        after={"items": [_describe_points(item) for item in changed]},
    )
    session.flush()
    return len(changed)


def _describe_points(item: QuizItem) -> dict:
    """An item's points as the audit log keeps them (null: the version's own)."""
    return {
        "question": item.question_id,
        "position": item.position,
        "points": None if item.points is None else str(item.points),
    }


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
    if rule.points != rule.points.quantize(CENT):
        raise DomainError("points", _l("Points have at most two decimal places."))
    row = QuizRule(
        position=max((r.position for r in quiz.rules), default=0) + 1,
        bank_id=rule.bank.id,
        knowledge_point_id=rule.knowledge_point.id if rule.knowledge_point else None,
        question_type=rule.question_type,
        difficulty=rule.difficulty,
        count=rule.count,
        points=rule.points.quantize(CENT),
    )
    available = len(candidate_ids(session, row))
    if available < rule.count:
        raise DomainError(
            "count",
            _l("Only %(n)d active questions match this rule.") % {"n": available},
        )
    quiz.rules.append(row)
    quiz.updated_at = now
    record(session, actor, "quiz.rule_added", "quiz", quiz.id, now=now, after=_describe_rule(row))
    session.flush()
    return row


def remove_rule(session: Session, actor, quiz: Quiz, rule_id: int, now: datetime) -> None:
    _editable_paper(session, quiz)
    rule = next((r for r in quiz.rules if r.id == rule_id), None)
    if rule is None:
        raise DomainError(None, _l("That rule is not part of this quiz."))
    quiz.rules.remove(rule)
    quiz.updated_at = now
    record(
        session, actor, "quiz.rule_removed", "quiz", quiz.id, now=now, before=_describe_rule(rule)
    )
    session.flush()


def _describe_rule(rule: QuizRule) -> dict:
    """A rule as the audit log keeps it (ids, as stored; an empty filter as null)."""
    return {
        "position": rule.position,
        "bank": rule.bank_id,
        "knowledge_point": rule.knowledge_point_id,
        "type": rule.question_type,
        "difficulty": rule.difficulty,
        "count": rule.count,
        "points": str(rule.points),
    }


@dataclass(frozen=True)
class PaperTotals:
    questions: int
    points: Decimal


def paper_totals(session: Session, quiz: Quiz) -> PaperTotals:
    """How many questions an examinee is asked and the points they are worth in all, which the
    pass mark (a percentage) is a share of: a fixed paper's items at their own points or their
    version's (`bank_points`); a random paper's rules, `count` questions at `points` each."""
    if quiz.composition == Composition.RANDOM:
        return PaperTotals(
            sum(rule.count for rule in quiz.rules),
            sum((rule.count * rule.points for rule in quiz.rules), Decimal("0")),
        )
    bank = bank_points(session, quiz) if any(i.points is None for i in quiz.items) else {}
    points = sum(
        (
            item.points if item.points is not None else bank.get(item.id, Decimal("0"))
            for item in quiz.items
        ),
        Decimal("0"),
    )
    return PaperTotals(len(quiz.items), points)


def bank_points(session: Session, quiz: Quiz) -> dict[int, Decimal]:
    """What each question of a fixed paper is worth without points of its own, by item id: its
    pinned version's points, else (a draft) its question's current version's, read in one
    statement."""
    version_of = {
        item.id: item.version_id or item.question.current_version_id for item in quiz.items
    }
    ids = sorted(set(version_of.values()) - {None})
    if not ids:
        return {}
    points = dict(
        session.execute(
            sa.select(QuestionVersion.id, QuestionVersion.points).where(QuestionVersion.id.in_(ids))
        ).all()
    )
    return {item_id: points[v] for item_id, v in version_of.items() if v in points}


def paper_problems(session: Session, quiz: Quiz) -> list[str]:
    """Why the quiz cannot be published yet; empty when it can."""
    problems = []
    if quiz.composition == Composition.FIXED:
        size = sum(1 for i in quiz.items if i.question.version_in_use_id is not None)
        if not size:
            problems.append(str(_l("Add at least one active question to the paper.")))
        elif quiz.state == QuizState.DRAFT:
            problems.extend(
                str(_out_of_use(item.question) % {"n": index})
                for index, item in enumerate(quiz.items, 1)
                if item.question.version_in_use_id is None
            )
    else:
        size = sum(rule.count for rule in quiz.rules)
        if not quiz.rules:
            problems.append(str(_l("Add at least one rule.")))
        problems.extend(rule_shortfalls(session, quiz.rules))
    if quiz.kind == QuizKind.TOPIC and size and size not in TOPIC_SIZES:
        problems.append(str(_l("A topic set has 5 or 10 questions.")))
    return problems


def _out_of_use(question: Question):
    """Why a question of a draft paper cannot be asked: it waits for a reviewer with no
    approved version to ask meanwhile (a new question, one sent back and resubmitted, one whose
    source was superseded), or it is a draft or withdrawn."""
    if question.status == QuestionStatus.IN_REVIEW:
        return _l(
            "Question %(n)d of the paper is in review and cannot be asked until a reviewer"
            " approves it: remove it, or publish once it is approved."
        )
    return _l(
        "Question %(n)d of the paper is not in use in the bank (a draft or withdrawn): remove"
        " it, or publish once it is approved again."
    )


def banks_for(session: Session, user) -> list[QuestionBank]:
    """Banks a quiz author may draw from: platform-wide banks, banks owned inside their units,
    and banks of the organisations above them (a committee's bank serves its branches)."""
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
