"""The 简答 answers a manager may mark (security.md E2): of quizzes they manage, never their own
answer, and none of a quiz they may still answer themselves. A marker reads the reference
answer and other members' answers; while they can start or resume an attempt of the quiz (in
its audience, not closed for them, attempts left), those wait until they no longer can."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from learnapp.quizzes.attempts import is_overdue
from learnapp.quizzes.models import Attempt, AttemptQuestion, AttemptState, Quiz, QuizState
from learnapp.quizzes.queries import attempt_counts, manageable_quizzes_clause
from learnapp.quizzes.terms import Terms, in_audience, limit_reached, overrides_for_member


@dataclass(frozen=True)
class MarkingWork:
    """The answers the user may mark now, and the quizzes whose answers wait because the user
    may still answer them (with how many answers wait)."""

    queue: list[AttemptQuestion]
    held: list[tuple[Quiz, int]]


def _waiting(session: Session, user, slot_id: int | None = None) -> list[AttemptQuestion]:
    """简答 answers waiting for a mark, of quizzes the user manages, by quiz and question; never
    the user's own (a marker who took the exam does not mark themselves). The page orders each
    question's answers by their codes (`presenters.marking_items`), not as they were given."""
    query = (
        sa.select(AttemptQuestion)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            AttemptQuestion.needs_marking.is_(True),
            Attempt.member_id != user.id,
            manageable_quizzes_clause(user),
        )
        .options(contains_eager(AttemptQuestion.attempt).contains_eager(Attempt.quiz))
        .order_by(Attempt.quiz_id, AttemptQuestion.question_id)
    )
    if slot_id is None:
        query = query.where(AttemptQuestion.marked_at.is_(None))
    else:
        query = query.where(AttemptQuestion.id == slot_id)
    return list(session.scalars(query))


def answerable_by(session: Session, user, quizzes: list[Quiz], now: datetime) -> set[int]:
    """The ids of these quizzes the user may still answer: published, in their audience, and
    either an attempt of theirs still taking answers or the quiz open to them with attempts left."""
    candidates = [q for q in quizzes if q.state == QuizState.PUBLISHED and in_audience(q, user)]
    if not candidates:
        return set()
    ids = [q.id for q in candidates]
    used = attempt_counts(session, user.id, ids)
    overrides = overrides_for_member(session, user.id, ids)
    resumable = {
        attempt.quiz_id
        for attempt in session.scalars(
            sa.select(Attempt).where(
                Attempt.member_id == user.id,
                Attempt.quiz_id.in_(ids),
                Attempt.state == AttemptState.IN_PROGRESS,
            )
        )
        if not is_overdue(attempt, now)
    }
    answerable = set()
    for quiz in candidates:
        terms = Terms.of(quiz, overrides.get(quiz.id))
        closed = terms.closes_at is not None and now >= terms.closes_at
        if quiz.id in resumable or not (closed or limit_reached(quiz, used.get(quiz.id, 0), terms)):
            answerable.add(quiz.id)
    return answerable


def marking_work(session: Session, user, now: datetime) -> MarkingWork:
    waiting = _waiting(session, user)
    quizzes = {slot.attempt.quiz_id: slot.attempt.quiz for slot in waiting}
    answerable = answerable_by(session, user, list(quizzes.values()), now)
    held: dict[int, int] = {}
    for slot in waiting:
        if slot.attempt.quiz_id in answerable:
            held[slot.attempt.quiz_id] = held.get(slot.attempt.quiz_id, 0) + 1
    return MarkingWork(
        queue=[s for s in waiting if s.attempt.quiz_id not in answerable],
        held=[(quizzes[quiz_id], count) for quiz_id, count in held.items()],
    )


def marking_queue(session: Session, user, now: datetime) -> list[AttemptQuestion]:
    return marking_work(session, user, now).queue


def markable_slot(session: Session, user, slot_id: int, now: datetime) -> AttemptQuestion | None:
    """A 简答 answer the user may mark (or read once marked): of a quiz they manage, not their
    own, and not of a quiz they may still answer."""
    found = _waiting(session, user, slot_id)
    if not found or answerable_by(session, user, [found[0].attempt.quiz], now):
        return None
    return found[0]
