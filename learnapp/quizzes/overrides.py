"""Members' own terms for a quiz (security.md E3, 个别延期与补考): a later close, a longer time
limit or more attempts, granted with a reason by whoever manages the quiz, for a member of its
audience in their own subtree. Terms only ever extend the quiz's: a shorter time for one member
is not something this page may do quietly. The start of an attempt reads them (terms.Terms); an
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
from learnapp.authz import can_manage_unit, unit_in_scope_clause
from learnapp.db import tree_order
from learnapp.errors import DomainError
from learnapp.orgs.models import Unit
from learnapp.quizzes.attempts import in_audience, overrides_for_quiz, refresh_deadlines
from learnapp.quizzes.audience import LIST_LIMIT, members_in_reach, outstanding_members
from learnapp.quizzes.authoring import EXAM_ATTEMPTS_LIMITED, MAX_ATTEMPTS, MAX_DURATION_SECONDS
from learnapp.quizzes.models import Quiz, QuizKind, QuizOverride

MAX_REASON_CHARS = 500
MAX_NAMESAKES_LISTED = 10


@dataclass(frozen=True)
class OverrideInput:
    closes_at: datetime | None = None
    duration_seconds: int | None = None
    attempts_allowed: int | None = None  # 0: unlimited
    reason: str = ""


def _namesake(member: User) -> str:
    return str(
        _l(
            "%(name)s (%(username)s, %(unit)s)",
            name=member.display_name,
            username=member.username,
            unit=member.unit.name if member.unit else "—",
        )
    )


def find_member(session: Session, actor, quiz: Quiz, name: str) -> User:
    """The member meant by `name`: their user name, or their name (姓名) when exactly one
    member of the quiz's audience within the actor's reach bears it. Several namesakes are
    listed as "name (user name, unit)" so that the user name can be given instead. A member
    outside the actor's subtrees is unknown, whether the name exists or not (the same message:
    nothing is enumerated beyond the actor's reach)."""
    text = name.strip()
    unknown = DomainError(
        "username", _l("No member with that name or user name in your organisation.")
    )
    if not text:
        raise unknown
    member = session.scalar(sa.select(User).where(User.username == text))
    if (
        member is not None
        and member.is_active
        and member.unit is not None
        and can_manage_unit(actor, member.unit)
    ):
        if not in_audience(quiz, member):
            raise DomainError("username", _l("That member is not in this quiz's audience."))
        return member
    namesakes = list(
        session.scalars(
            members_in_reach(actor, quiz)
            .where(User.display_name == text)
            .order_by(tree_order(Unit.path), User.username)
            .limit(MAX_NAMESAKES_LISTED + 1)
        )
    )
    if len(namesakes) == 1:
        return namesakes[0]
    if namesakes:
        listed = str(_l("; ")).join(_namesake(m) for m in namesakes[:MAX_NAMESAKES_LISTED])
        if len(namesakes) > MAX_NAMESAKES_LISTED:
            listed += " …"
        raise DomainError(
            "username",
            _l(
                "Several members are called %(name)s: %(list)s. Enter the user name of the one "
                "you mean.",
                name=text,
                list=listed,
            ),
        )
    reached = session.scalar(
        sa.select(User.id)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            User.display_name == text,
            User.is_active.is_(True),
            unit_in_scope_clause(actor, Unit.path),
        )
        .limit(1)
    )
    if reached is not None:
        raise DomainError("username", _l("That member is not in this quiz's audience."))
    raise unknown


@dataclass(frozen=True)
class Suggestion:
    value: str  # what goes in the field: the name, or the user name where the name is shared
    label: str  # the unit, and the user name where the name is shared


def suggestions(session: Session, actor, quiz: Quiz, limit: int = LIST_LIMIT) -> list[Suggestion]:
    """Members to suggest on the form: those of the audience within the actor's reach who have
    not finished the quiz, when there are at most `limit` of them (else none: a long list helps
    nobody and costs every page load). Each by the name `find_member` will resolve: the name
    itself, or the user name where another member of the audience in reach shares it."""
    outstanding = outstanding_members(session, actor, quiz, limit=limit)
    others = [m for m in outstanding.members if m.id != actor.id]  # not the actor (save_override)
    if outstanding.truncated or not others:
        return []
    names = {m.display_name for m in outstanding.members}
    in_reach = members_in_reach(actor, quiz).where(User.display_name.in_(sorted(names))).subquery()
    shared = set(
        session.scalars(
            sa.select(in_reach.c.display_name)
            .group_by(in_reach.c.display_name)
            .having(sa.func.count() > 1)
        )
    )
    rows = []
    for member in others:
        unit = member.unit.name if member.unit else "—"
        if member.display_name in shared:
            rows.append(Suggestion(member.username, _namesake(member)))
        else:
            rows.append(Suggestion(member.display_name, unit))
    return rows


def _at_least(attempts: int, quiz_attempts: int) -> bool:
    """`attempts` allows as many as `quiz_attempts` or more; 0 (unlimited) is the most."""
    if attempts == 0:
        return True
    return quiz_attempts != 0 and attempts >= quiz_attempts


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
        if quiz.closes_at is None:
            raise DomainError(
                "closes_at",
                _l("The quiz has no closing time: a closing time would only shorten the member's."),
            )
        if terms.closes_at <= now:
            raise DomainError("closes_at", _l("The member's closing time has already passed."))
        if terms.closes_at < quiz.closes_at:
            raise DomainError(
                "closes_at",
                _l("The member's closing time cannot be earlier than the quiz's own close."),
            )
    if terms.duration_seconds is not None:
        if not 0 < terms.duration_seconds <= MAX_DURATION_SECONDS:
            raise DomainError("duration_minutes", _l("The time limit is at most 24 hours."))
        if quiz.duration_seconds is None:
            raise DomainError(
                "duration_minutes",
                _l("The quiz has no time limit: a time limit would only shorten the member's."),
            )
        if terms.duration_seconds < quiz.duration_seconds:
            raise DomainError(
                "duration_minutes",
                _l(
                    "The member's time limit cannot be shorter than the quiz's (%(n)d minutes).",
                    n=quiz.duration_seconds // 60,
                ),
            )
    if terms.attempts_allowed is not None:
        if not 0 <= terms.attempts_allowed <= MAX_ATTEMPTS:
            raise DomainError("attempts_allowed", _l("Attempts allowed must be 0 to 100."))
        if quiz.kind == QuizKind.EXAM and terms.attempts_allowed == 0:
            raise DomainError("attempts_allowed", EXAM_ATTEMPTS_LIMITED)
        if not _at_least(terms.attempts_allowed, quiz.attempts_allowed):
            fewer = (
                _l("The member cannot have fewer attempts than the exam allows (%(n)d).")
                if quiz.kind == QuizKind.EXAM and quiz.attempts_allowed
                else _l(
                    "The member cannot have fewer attempts than the quiz allows (%(n)d; 0 for "
                    "unlimited)."
                )
            )
            raise DomainError("attempts_allowed", fewer % {"n": quiz.attempts_allowed})
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
    """Grant (or change) `member`'s own terms for `quiz`: each term set must extend the quiz's
    (a close no earlier, a time limit no shorter, no fewer attempts; none where the quiz has no
    close or no limit, as any would be a restriction). Audited with the terms before and
    after. Nobody sets their own terms for a quiz they take: another organiser does, as a
    marker never marks their own answer."""
    if actor is not None and member.id == actor.id:
        raise DomainError(
            "username",
            _l("You cannot set your own terms for a quiz: another organiser or an admin does."),
        )
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
