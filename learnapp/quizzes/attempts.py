"""Attempts: who may start, starting (freezing the paper), and finishing.

Everything that decides a grade is computed on the server (security.md §3): the paper, the
option order and its opaque ids, the deadline (here), the score (quizzes.grading). The browser
sends only responses (quizzes.answers). Every state change is a conditional UPDATE with a
rowcount check, so of many concurrent submits exactly one grades (E5), and the overdue sweep and
a late page open share `finalize`.
"""

import random
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learnapp.errors import DomainError
from learnapp.hours.services import org_day
from learnapp.question_bank.models import Question, QuestionVersion
from learnapp.question_bank.services import mark_used
from learnapp.question_bank.types import grade
from learnapp.quizzes.grading import complete
from learnapp.quizzes.models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    FinishedBy,
    Quiz,
    QuizKind,
    QuizState,
)
from learnapp.quizzes.papers import compose
from learnapp.quizzes.responses import grading_input
from learnapp.quizzes.terms import (
    Terms,
    in_audience,
    limit_reached,
    member_terms,
    overrides_for_quiz,
)

# The quiz pages read a member's terms through this module (attempt_services).
from learnapp.quizzes.terms import overrides_for_member as overrides_for_member


def unavailable_reason(quiz: Quiz, member, now: datetime, terms: Terms | None = None) -> str | None:
    """Why `member` cannot take `quiz` now (the same check on every content route: E11)."""
    terms = terms or Terms.of(quiz)
    if quiz.state != QuizState.PUBLISHED or not in_audience(quiz, member):
        return str(_l("This quiz is not open to you."))
    if quiz.opens_at and now < quiz.opens_at:
        return str(_l("This quiz has not opened yet."))
    if terms.closes_at and now >= terms.closes_at:
        return str(_l("This quiz has closed."))
    return None


def is_overdue(attempt: Attempt, now: datetime) -> bool:
    """Past the deadline and its grace: no answer is accepted any more."""
    if attempt.deadline_at is None:
        return False
    return now > attempt.deadline_at + timedelta(seconds=attempt.grace_seconds)


def finisher(attempt: Attempt, now: datetime, *, page_timer: bool) -> FinishedBy:
    """Who finishes an attempt submitted now, for the record only (the grade never depends on
    it): the timer once the deadline and grace have passed, or when the page's own countdown
    sent the submission (`page_timer`, the page's word) and the server's deadline has passed;
    otherwise the member. Before the deadline the page's word changes nothing."""
    if is_overdue(attempt, now):
        return FinishedBy.TIMER
    if page_timer and attempt.deadline_at is not None and now >= attempt.deadline_at:
        return FinishedBy.TIMER
    return FinishedBy.MEMBER


def deadline(terms: Terms, started_at: datetime) -> datetime | None:
    """min(start + time limit, close), on the member's terms."""
    ends = []
    if terms.duration_seconds:
        ends.append(started_at + timedelta(seconds=terms.duration_seconds))
    if terms.closes_at:
        ends.append(terms.closes_at)
    return min(ends) if ends else None


def refresh_deadlines(session: Session, quiz: Quiz, member_ids=None) -> int:
    """Compute again the deadlines of the quiz's attempts in progress (of these members, or of
    all) from their starts, on each member's current terms: a changed close, time limit or
    override applies at once (E3). A deadline moved into the past makes the attempt overdue, and
    the sweep or the next page open finishes it. Returns how many attempts were looked at."""
    query = sa.select(Attempt).where(
        Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.IN_PROGRESS
    )
    if member_ids is not None:
        query = query.where(Attempt.member_id.in_(list(member_ids)))
    attempts = session.scalars(query).all()
    overrides = overrides_for_quiz(session, quiz.id, [a.member_id for a in attempts])
    for attempt in attempts:
        terms = Terms.of(quiz, overrides.get(attempt.member_id))
        attempt.deadline_at = deadline(terms, attempt.started_at)
    session.flush()
    return len(attempts)


def in_progress_attempt(session: Session, quiz_id: int, member_id: int) -> Attempt | None:
    return session.scalar(
        sa.select(Attempt).where(
            Attempt.quiz_id == quiz_id,
            Attempt.member_id == member_id,
            Attempt.state == AttemptState.IN_PROGRESS,
        )
    )


def attempts_used(session: Session, quiz_id: int, member_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count()).where(Attempt.quiz_id == quiz_id, Attempt.member_id == member_id)
    )


USED_UP = _l("You have used every attempt allowed for this quiz.")


def start_refusal(
    quiz: Quiz, member, attempts: list[Attempt], now: datetime, terms: Terms | None = None
) -> str | None:
    """Why `member`, with these attempts of `quiz`, cannot start it now, for the quiz pages: the
    window or audience, or the attempts used up (never while one can be resumed)."""
    reason = unavailable_reason(quiz, member, now, terms)
    resumable = any(a.state == AttemptState.IN_PROGRESS for a in attempts)
    if reason is None and not resumable and limit_reached(quiz, len(attempts), terms):
        reason = str(USED_UP)
    return reason


_versions, _questions = QuestionVersion.__table__, Question.__table__
_PAPER_VERSIONS = (
    sa.select(_versions.c.id, _versions.c.spec, _versions.c.points, _questions.c.type)
    .join(_questions, _questions.c.id == _versions.c.question_id)
    .where(_versions.c.id.in_(sa.bindparam("ids", expanding=True)))
)


def start_attempt(session: Session, member, quiz: Quiz, now: datetime) -> Attempt:
    """Start (or resume) `member`'s attempt. Starting freezes the question versions, their
    order, the option order with fresh opaque ids, and the deadline min(start + duration,
    close), on the member's terms (an override may extend them: E3). An unfinished attempt is
    resumed; an overdue one is finalised first. Attempts are numbered under a unique constraint,
    so racing starts cannot exceed the limit (E9); an abandoned attempt still counts (E8)."""
    terms = member_terms(session, quiz, member.id)
    reason = unavailable_reason(quiz, member, now, terms)
    if reason:
        raise DomainError(None, reason)
    current = in_progress_attempt(session, quiz.id, member.id)
    if current is not None:
        if not is_overdue(current, now):
            return current
        finalize(session, current.id, now, FinishedBy.TIMER)
    used = attempts_used(session, quiz.id, member.id)
    practice_day = org_day(now) if quiz.kind == QuizKind.DAILY else None
    if practice_day is not None and session.scalar(
        sa.select(
            sa.exists().where(
                Attempt.quiz_id == quiz.id,
                Attempt.member_id == member.id,
                Attempt.practice_day == practice_day,
            )
        )
    ):
        raise DomainError(None, _l("You have done today's questions. New ones come tomorrow."))
    if limit_reached(quiz, used, terms):
        raise DomainError(None, USED_UP)
    seed = secrets.randbits(62)
    # A seeded, reproducible draw (audit), not a secret: the seed itself is stored.
    rng = random.Random(seed)  # noqa: S311
    paper = compose(session, quiz, member, rng, now)
    # What the slots need of each drawn version, in one query (no ORM objects: a start storm
    # freezes twenty thousand slots a minute).
    frozen = {
        row.id: row
        for row in session.connection().execute(
            _PAPER_VERSIONS, {"ids": sorted({version_id for _, version_id, _ in paper})}
        )
    }
    total = Decimal("0")
    rows = []
    for position, (question_id, version_id, points) in enumerate(paper, start=1):
        version = frozen[version_id]
        order = list(range(len(version.spec.get("options") or [])))
        if quiz.shuffle_options:
            rng.shuffle(order)
        points = Decimal(points if points is not None else version.points)
        total += points
        rows.append(
            {
                "position": position,
                "question_id": question_id,
                "version_id": version_id,
                "question_type": version.type,
                "points": points,
                "option_order": order,
                "option_ids": [secrets.token_urlsafe(8) for _ in order],
                "seq": 0,
                "needs_marking": False,
                "marker_comment": "",
            }
        )
    attempt = Attempt(
        quiz_id=quiz.id,
        member_id=member.id,
        number=used + 1,
        state=AttemptState.IN_PROGRESS,
        seed=seed,
        practice_day=practice_day,
        started_at=now,
        deadline_at=deadline(terms, now),
        grace_seconds=quiz.grace_seconds,
        pass_percent=quiz.pass_percent,
        max_score=total,
    )
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:
        # Another request of the same member started it first: resume that one.
        current = in_progress_attempt(session, quiz.id, member.id)
        if current is None:
            raise DomainError(None, _l("The attempt could not be started; try again.")) from None
        return current
    # One multi-row INSERT: a start storm writes thousands of slots a minute.
    session.connection().execute(
        sa.insert(AttemptQuestion.__table__), [{**row, "attempt_id": attempt.id} for row in rows]
    )
    mark_used(session, frozen.keys(), now)
    return attempt


def finalize(session: Session, attempt_id: int, now: datetime, by: FinishedBy) -> Attempt:
    """Finish an attempt with its saved answers and grade it, exactly once: the guarded UPDATE
    lets one caller through; every other caller (a second tab, the overdue job, a retried
    submit) gets the attempt as it stands. Idempotent."""
    won = session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.state == AttemptState.IN_PROGRESS)
        .values(state=AttemptState.SUBMITTED, submitted_at=now, finished_by=by)
        .execution_options(synchronize_session=False)
    ).rowcount
    attempt = session.scalar(
        sa.select(Attempt).where(Attempt.id == attempt_id).execution_options(populate_existing=True)
    )
    if won != 1:
        return attempt
    slots = session.scalars(
        sa.select(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt_id)
        .order_by(AttemptQuestion.position)
        .execution_options(populate_existing=True)
    ).all()
    waiting = False
    for slot in slots:
        result = grade(
            slot.question_type,
            slot.version.spec,
            grading_input(slot.question_type, slot.response),
            slot.points,
        )
        if result.needs_marking and slot.response:
            slot.needs_marking, slot.awarded, slot.is_correct = True, None, None
            waiting = True
        else:
            # An unanswered 简答 earns nothing and needs no marker.
            slot.awarded = result.points
            slot.is_correct = bool(result.correct)
    session.flush()
    if waiting:
        attempt.state = AttemptState.AWAITING_MARKING
        session.flush()
        return attempt
    complete(session, attempt, now)
    return attempt


def finalize_overdue(session: Session, now: datetime) -> int:
    """The scheduled sweep: finish every attempt past its deadline and grace with the answers it
    saved (E4), and say how many. Uses the same idempotent `finalize` as a late page open."""
    ids = session.scalars(
        sa.select(Attempt.id).where(
            Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline_at < now
        )
    ).all()
    finished = 0
    for attempt_id in ids:
        attempt = session.get(Attempt, attempt_id)
        if is_overdue(attempt, now):
            finalize(session, attempt_id, now, FinishedBy.JOB)
            finished += 1
    return finished
