"""Members' own terms for a quiz (security.md E3): a later close, a longer or shorter time limit,
or another number of attempts, granted with a reason by whoever manages the quiz, for a member of
its audience in their own subtree. The start of an attempt reads them (attempts.Terms); an
attempt in progress has its deadline computed again from its start whenever they change
(attempts.refresh_deadlines).
Services flush, never commit, and raise DomainError."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.quizzes.attempts import in_audience, overrides_for_quiz, refresh_deadlines
from learnapp.quizzes.authoring import MAX_ATTEMPTS, MAX_DURATION_SECONDS
from learnapp.quizzes.models import Quiz, QuizKind, QuizOverride

MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class OverrideInput:
    closes_at: datetime | None = None
    duration_seconds: int | None = None
    attempts_allowed: int | None = None  # 0: unlimited
    reason: str = ""


def find_member(session: Session, actor, quiz: Quiz, username: str) -> User:
    """The active member of that user name, if the actor manages their unit and they belong to
    the quiz's audience; else DomainError on the user name field (the same message whether the
    name is unknown or out of reach, so names outside the actor's subtree stay unknown)."""
    member = session.scalar(sa.select(User).where(User.username == username.strip()))
    if (
        member is None
        or not member.is_active
        or member.unit is None
        or not can_manage_unit(actor, member.unit)
    ):
        raise DomainError("username", _l("No member with that user name in your organisation."))
    if not in_audience(quiz, member):
        raise DomainError("username", _l("That member is not in this quiz's audience."))
    return member


def _validate(quiz: Quiz, terms: OverrideInput, now: datetime) -> None:
    if quiz.kind == QuizKind.DAILY:
        raise DomainError(None, _l("Daily practice has no closing time or attempt limit to set."))
    if (
        terms.closes_at is None
        and terms.duration_seconds is None
        and terms.attempts_allowed is None
    ):
        raise DomainError(
            None, _l("Set a closing time, a time limit or a number of attempts for the member.")
        )
    if terms.closes_at is not None:
        if terms.closes_at <= now:
            raise DomainError("closes_at", _l("The member's closing time has already passed."))
        if quiz.opens_at and terms.closes_at <= quiz.opens_at:
            raise DomainError("closes_at", _l("The quiz must close after it opens."))
    if terms.duration_seconds is not None and not 0 < terms.duration_seconds <= (
        MAX_DURATION_SECONDS
    ):
        raise DomainError("duration_minutes", _l("The time limit is at most 24 hours."))
    if terms.attempts_allowed is not None and not 0 <= terms.attempts_allowed <= MAX_ATTEMPTS:
        raise DomainError("attempts_allowed", _l("Attempts allowed must be 0 to 100."))
    reason = terms.reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise DomainError("reason", _l("Give a reason of at most 500 characters."))


def _describe(override: QuizOverride) -> dict:
    return {
        "member_id": override.member_id,
        "closes_at": override.closes_at.isoformat() if override.closes_at else None,
        "duration_seconds": override.duration_seconds,
        "attempts_allowed": override.attempts_allowed,
        "reason": override.reason,
    }


def save_override(
    session: Session, actor, quiz: Quiz, member: User, terms: OverrideInput, now: datetime
) -> QuizOverride:
    """Grant (or change) `member`'s own terms for `quiz`. Audited with the terms before and
    after."""
    _validate(quiz, terms, now)
    override = overrides_for_quiz(session, quiz.id, [member.id]).get(member.id)
    before = _describe(override) if override is not None else None
    if override is None:
        override = QuizOverride(quiz=quiz, member_id=member.id)
        session.add(override)
    override.closes_at = terms.closes_at
    override.duration_seconds = terms.duration_seconds
    override.attempts_allowed = terms.attempts_allowed
    override.reason = terms.reason.strip()
    override.granted_by_id = actor.id if actor is not None else None
    override.granted_at = now
    session.flush()
    refresh_deadlines(session, quiz, [member.id])
    record(
        session,
        actor,
        "quiz.override_saved",
        "quiz",
        quiz.id,
        now=now,
        before=before,
        after=_describe(override),
    )
    session.flush()
    return override


def remove_override(session: Session, actor, quiz: Quiz, override_id: int, now: datetime) -> bool:
    """Withdraw an override: the member is back on the quiz's terms. False if there is none."""
    override = session.scalar(
        sa.select(QuizOverride).where(
            QuizOverride.id == override_id, QuizOverride.quiz_id == quiz.id
        )
    )
    if override is None:
        return False
    before = _describe(override)
    member_id = override.member_id
    session.delete(override)
    session.flush()
    refresh_deadlines(session, quiz, [member_id])
    record(session, actor, "quiz.override_removed", "quiz", quiz.id, now=now, before=before)
    session.flush()
    return True
