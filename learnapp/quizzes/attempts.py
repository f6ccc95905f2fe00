"""Attempts: starting (freezing the paper), autosaving answers, finishing and grading.

Everything that decides a grade is computed here on the server (security.md §3): the paper, the
option order and its opaque ids, the deadline, the score. The browser sends only responses.
Every state change is a conditional UPDATE with a rowcount check, so of many concurrent
submits exactly one grades (E5), and the overdue sweep and a late page open share `finalize`.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learnapp.errors import DomainError
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.queries import rules_for
from learnapp.hours.services import credit, org_day
from learnapp.question_bank.models import Question, QuestionVersion
from learnapp.question_bank.services import mark_used
from learnapp.question_bank.types import grade
from learnapp.quizzes.models import (
    AnswerLog,
    AnswerOutcome,
    Attempt,
    AttemptQuestion,
    AttemptSignal,
    AttemptState,
    FinishedBy,
    Quiz,
    QuizKind,
    QuizState,
    ReleasePolicy,
)
from learnapp.quizzes.papers import compose
from learnapp.quizzes.responses import grading_input, parse_response
from learnapp.quizzes.wrongbook import update_wrong_book

HUNDRED = Decimal("100")
CENT = Decimal("0.01")
MAX_SIGNALS = 500  # per attempt; more are not stored


def in_audience(quiz: Quiz, member) -> bool:
    """Audience units cover their subtrees; without any, the owner unit's subtree. No
    categories means every category."""
    units = quiz.audience_units or [quiz.owner_unit]
    if member.unit is None or not any(member.unit.path.startswith(u.path) for u in units):
        return False
    return not quiz.audience_categories or str(member.category) in quiz.audience_categories


def unavailable_reason(quiz: Quiz, member, now: datetime) -> str | None:
    """Why `member` cannot take `quiz` now (the same check on every content route: E11)."""
    if quiz.state != QuizState.PUBLISHED or not in_audience(quiz, member):
        return str(_l("This quiz is not open to you."))
    if quiz.opens_at and now < quiz.opens_at:
        return str(_l("This quiz has not opened yet."))
    if quiz.closes_at and now >= quiz.closes_at:
        return str(_l("This quiz has closed."))
    return None


def is_overdue(attempt: Attempt, now: datetime) -> bool:
    """Past the deadline and its grace: no answer is accepted any more."""
    if attempt.deadline_at is None:
        return False
    return now > attempt.deadline_at + timedelta(seconds=attempt.grace_seconds)


def _deadline(quiz: Quiz, now: datetime) -> datetime | None:
    ends = []
    if quiz.duration_seconds:
        ends.append(now + timedelta(seconds=quiz.duration_seconds))
    if quiz.closes_at:
        ends.append(quiz.closes_at)
    return min(ends) if ends else None


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


def limit_reached(quiz: Quiz, used: int) -> bool:
    """Whether `used` attempts exhaust the quiz's limit (0: unlimited). Daily practice has its
    own rule instead, one attempt a day (DOMAIN.md)."""
    return quiz.kind != QuizKind.DAILY and 0 < quiz.attempts_allowed <= used


_versions, _questions = QuestionVersion.__table__, Question.__table__
_PAPER_VERSIONS = (
    sa.select(_versions.c.id, _versions.c.spec, _versions.c.points, _questions.c.type)
    .join(_questions, _questions.c.id == _versions.c.question_id)
    .where(_versions.c.id.in_(sa.bindparam("ids", expanding=True)))
)


def start_attempt(session: Session, member, quiz: Quiz, now: datetime) -> Attempt:
    """Start (or resume) `member`'s attempt. Starting freezes the question versions, their
    order, the option order with fresh opaque ids, and the deadline min(start + duration,
    close). An unfinished attempt is resumed; an overdue one is finalised first. Attempts are
    numbered under a unique constraint, so racing starts cannot exceed the limit (E9); an
    abandoned attempt still counts (E8)."""
    reason = unavailable_reason(quiz, member, now)
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
    if limit_reached(quiz, used):
        raise DomainError(None, _l("You have used every attempt allowed for this quiz."))
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
        deadline_at=_deadline(quiz, now),
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


@dataclass(frozen=True)
class SaveResult:
    outcome: AnswerOutcome
    seq: int  # the stored sequence number after the call

    @property
    def accepted(self) -> bool:
        return self.outcome in (AnswerOutcome.SAVED, AnswerOutcome.REPLAY)


# The autosave runs on every change of every examinee's answer, so its statements are built once
# and run as Core on the request's connection: no ORM objects are loaded or flushed.
_attempts, _slots = Attempt.__table__, AttemptQuestion.__table__
# The member's attempt, locked (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write
# lock) so a save and a submit never interleave, with what the save needs of the one slot.
_SAVE_TARGET = (
    sa.select(
        _attempts.c.state,
        _attempts.c.deadline_at,
        _attempts.c.grace_seconds,
        _slots.c.id,
        _slots.c.question_type,
        _slots.c.option_order,
        _slots.c.option_ids,
    )
    .select_from(_attempts.join(_slots, _slots.c.attempt_id == _attempts.c.id))
    .where(
        _attempts.c.id == sa.bindparam("attempt"),
        _attempts.c.member_id == sa.bindparam("member"),
        _slots.c.position == sa.bindparam("position"),
    )
    .with_for_update(of=_attempts)
)
_OWNED = sa.select(_attempts.c.id).where(
    _attempts.c.id == sa.bindparam("attempt"), _attempts.c.member_id == sa.bindparam("member")
)
# The sequence check is the UPDATE's own condition: of two saves based on the same answer, one
# lands.
_STORE = (
    _slots.update()
    .where(_slots.c.id == sa.bindparam("slot"), _slots.c.seq == sa.bindparam("base_seq"))
    .values(
        response=sa.bindparam("answer", type_=_slots.c.response.type),
        seq=sa.bindparam("next_seq"),
        saved_at=sa.bindparam("at", type_=_slots.c.saved_at.type),
    )
)
_STORED = sa.select(_slots.c.seq, _slots.c.response).where(_slots.c.id == sa.bindparam("slot"))
_LOG = sa.insert(AnswerLog.__table__)


def _is_count(value) -> bool:
    """A JSON integer that fits the column (bool is an int to Python, not to the page)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31


def save_answer(
    session: Session, attempt_id: int, position, base_seq, raw, now: datetime, *, member_id: int
) -> SaveResult | None:
    """Autosave one answer of `member_id`'s attempt; None if the attempt is not theirs (the
    caller answers 404 whatever was sent). `base_seq` is the sequence number of the answer the
    page last saw: the save lands only if it is still the stored one (a stale second tab is
    refused with STALE), and moves it on by one. The same save sent again is a REPLAY and
    changes nothing. After the deadline plus grace the answer is refused (LATE) but recorded in
    the answer log; so are saves to a finished attempt (CLOSED).

    An accepted save is three statements: the locked read, the guarded UPDATE, the log INSERT.
    """
    connection = session.connection()
    target = None
    if _is_count(position) and _is_count(base_seq):
        target = connection.execute(
            _SAVE_TARGET, {"attempt": attempt_id, "member": member_id, "position": position}
        ).first()
    if target is None:
        if connection.execute(_OWNED, {"attempt": attempt_id, "member": member_id}).first() is None:
            return None
        if not _is_count(base_seq):
            raise DomainError(None, _l("The answer could not be understood."))
        # Slots outside the frozen layout are refused (E8).
        raise DomainError(None, _l("That question is not part of this attempt."))
    response = parse_response(target, raw)
    outcome = None
    if target.state != AttemptState.IN_PROGRESS:
        outcome = AnswerOutcome.CLOSED
    elif is_overdue(target, now):
        outcome = AnswerOutcome.LATE
    else:
        stored = connection.execute(
            _STORE,
            {
                "slot": target.id,
                "base_seq": base_seq,
                "answer": response,
                "next_seq": base_seq + 1,
                "at": now,
            },
        )
        if stored.rowcount == 1:
            outcome = AnswerOutcome.SAVED
    if outcome == AnswerOutcome.SAVED:
        seq = base_seq + 1
    else:
        # Read again rather than trust the locked read: on PostgreSQL that read's snapshot may
        # predate a save that held the lock before this one.
        seq, current = connection.execute(_STORED, {"slot": target.id}).one()
        if outcome is None:
            same = seq == base_seq + 1 and current == response
            outcome = AnswerOutcome.REPLAY if same else AnswerOutcome.STALE
    connection.execute(
        _LOG,
        {
            "attempt_id": attempt_id,
            "position": position,
            "base_seq": base_seq,
            "response": response,
            "outcome": outcome,
            "received_at": now,
        },
    )
    return SaveResult(outcome, seq)


def record_signal(session: Session, attempt: Attempt, kind: str, now: datetime) -> bool:
    """Log that the page was hidden or shown again; information only, never a penalty."""
    if kind not in ("hidden", "visible") or attempt.state != AttemptState.IN_PROGRESS:
        return False
    count = session.scalar(sa.select(sa.func.count()).where(AttemptSignal.attempt_id == attempt.id))
    if count >= MAX_SIGNALS:
        return False
    session.add(AttemptSignal(attempt_id=attempt.id, kind=kind, received_at=now))
    session.flush()
    return True


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


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


def complete(session: Session, attempt: Attempt, now: datetime) -> None:
    """Every slot has its mark: total, percentage, pass, then the 错题本 and, for a passed
    course final test, the hours credit (idempotent in the ledger)."""
    slots = session.scalars(
        sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
    ).all()
    score = sum((slot.awarded or Decimal("0") for slot in slots), Decimal("0"))
    maximum = sum((slot.points for slot in slots), Decimal("0"))
    percent = _money(score * HUNDRED / maximum) if maximum else Decimal("0.00")
    passed = percent >= attempt.pass_percent
    done = session.execute(
        sa.update(Attempt)
        .where(
            Attempt.id == attempt.id,
            Attempt.state.in_([AttemptState.SUBMITTED, AttemptState.AWAITING_MARKING]),
        )
        .values(
            state=AttemptState.GRADED,
            score=_money(score),
            max_score=_money(maximum),
            percent=percent,
            passed=passed,
            graded_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(attempt)
    if done != 1:
        return
    quiz = attempt.quiz
    # The 错题本 shows keys: it collects from practice and from exams whose results are
    # released at once, never from an exam whose review is still closed (E2).
    if quiz.kind.is_practice or quiz.release == ReleasePolicy.IMMEDIATELY:
        update_wrong_book(session, attempt, slots, now)
    if passed:
        credit_course_test(session, attempt, now)


def credit_course_test(session: Session, attempt: Attempt, now: datetime) -> None:
    """A passed course final test adds the rule set's bonus 学时 (DOMAIN.md: 0.5) through the
    ledger, once per member and course however often it is passed."""
    quiz = attempt.quiz
    if quiz.course_id is None:
        return
    bonus = rules_for(session, org_day(now)).final_test_bonus_hours
    if bonus <= 0:
        return
    seconds = int(((attempt.submitted_at or now) - attempt.started_at).total_seconds())
    credit(
        session,
        attempt.member,
        HoursCategory.ONLINE,
        SourceType.COURSE_TEST,
        quiz.course_id,
        bonus,
        max(seconds, 0),
        now,
        note=quiz.title,
    )


def finalize_overdue(session: Session, now: datetime) -> str:
    """The scheduled sweep: finish every attempt past its deadline and grace with the answers it
    saved (E4). Uses the same idempotent `finalize` as a late page open."""
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
    return f"{finished} overdue attempts finished"
