"""A member's terms for a quiz (security.md E3): the quiz's close, time limit and attempts,
each extended by the member's own override (`overrides`), and whether they are in its
audience. Pure reads: attempts, the release of results and the quiz pages share them."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.quizzes.models import Quiz, QuizKind, QuizOverride


def in_audience(quiz: Quiz, member) -> bool:
    """Audience units cover their subtrees; without any, the owner unit's subtree. No
    categories means every category."""
    units = quiz.audience_units or [quiz.owner_unit]
    if member.unit is None or not any(member.unit.path.startswith(u.path) for u in units):
        return False
    return not quiz.audience_categories or str(member.category) in quiz.audience_categories


@dataclass(frozen=True)
class Terms:
    """What a quiz allows one member: its close, time limit and attempts, each extended by the
    member's override where that sets it (E3). An override only ever extends: should the quiz
    itself later close later, last longer or allow more, the member is not left with less."""

    closes_at: datetime | None
    duration_seconds: int | None
    attempts_allowed: int  # 0: unlimited
    extended: bool = False  # an override applies

    @classmethod
    def of(cls, quiz: Quiz, override: QuizOverride | None = None) -> "Terms":
        if override is None:
            return cls(quiz.closes_at, quiz.duration_seconds, quiz.attempts_allowed)
        attempts = quiz.attempts_allowed
        if override.attempts_allowed is not None and attempts != 0:
            attempts = (
                0 if override.attempts_allowed == 0 else max(override.attempts_allowed, attempts)
            )
        return cls(
            _later(override.closes_at, quiz.closes_at),
            _later(override.duration_seconds, quiz.duration_seconds),
            attempts,
            extended=True,
        )


def _later(own, quiz_value):
    """The member's value where it goes beyond the quiz's; None (no close, no limit) is the
    most of all."""
    if quiz_value is None or own is None:
        return quiz_value
    return max(own, quiz_value)


def overrides_for_member(session: Session, member_id: int, quiz_ids) -> dict[int, QuizOverride]:
    """The member's overrides of these quizzes, by quiz id."""
    return {
        override.quiz_id: override
        for override in session.scalars(
            sa.select(QuizOverride).where(
                QuizOverride.member_id == member_id, QuizOverride.quiz_id.in_(list(quiz_ids))
            )
        )
    }


def overrides_for_quiz(session: Session, quiz_id: int, member_ids) -> dict[int, QuizOverride]:
    """These members' overrides of one quiz, by member id."""
    return {
        override.member_id: override
        for override in session.scalars(
            sa.select(QuizOverride).where(
                QuizOverride.quiz_id == quiz_id, QuizOverride.member_id.in_(list(member_ids))
            )
        )
    }


def member_terms(session: Session, quiz: Quiz, member_id: int) -> Terms:
    return Terms.of(quiz, overrides_for_member(session, member_id, [quiz.id]).get(quiz.id))


def limit_reached(quiz: Quiz, used: int, terms: Terms | None = None) -> bool:
    """Whether `used` attempts exhaust the member's limit (0: unlimited). Daily practice has its
    own rule instead, one attempt a day (DOMAIN.md)."""
    allowed = (terms or Terms.of(quiz)).attempts_allowed
    return quiz.kind != QuizKind.DAILY and 0 < allowed <= used
