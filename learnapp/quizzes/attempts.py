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
from sqlalchemy.orm import Session, lazyload

from learnapp.errors import DomainError
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.queries import rules_for
from learnapp.hours.services import credit, org_day
from learnapp.question_bank.models import Question, QuestionStatus, QuestionVersion
from learnapp.question_bank.services import mark_used
from learnapp.question_bank.types import grade
from learnapp.quizzes.authoring import candidate_ids
from learnapp.quizzes.models import (
    AnswerLog,
    AnswerOutcome,
    Attempt,
    AttemptQuestion,
    AttemptSignal,
    AttemptState,
    Composition,
    FinishedBy,
    Quiz,
    QuizKind,
    QuizState,
    ReleasePolicy,
    WrongAnswer,
)
from learnapp.quizzes.responses import grading_input, parse_response

HUNDRED = Decimal("100")
CENT = Decimal("0.01")
REVIEW_STEPS_DAYS = (1, 2, 4, 7, 15)  # spaced repetition of the 错题本
MASTERED_AFTER = 3  # right answers in a row
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


def _seen_counts(session: Session, member_id: int) -> dict[int, int]:
    rows = session.execute(
        sa.select(AttemptQuestion.question_id, sa.func.count())
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.member_id == member_id)
        .group_by(AttemptQuestion.question_id)
    )
    return dict(rows.all())


def _daily_preferences(session: Session, member_id: int, now: datetime) -> tuple[set, set]:
    """Question ids due in the member's 错题本, and knowledge points they often get wrong."""
    due = set(
        session.scalars(
            sa.select(WrongAnswer.question_id).where(
                WrongAnswer.member_id == member_id,
                WrongAnswer.is_mastered.is_(False),
                WrongAnswer.due_on <= org_day(now),
            )
        )
    )
    rows = session.execute(
        sa.select(
            Question.knowledge_point_id,
            sa.func.count(),
            sa.func.sum(sa.case((AttemptQuestion.is_correct.is_(True), 1), else_=0)),
        )
        .join(Question, Question.id == AttemptQuestion.question_id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.member_id == member_id, AttemptQuestion.is_correct.is_not(None))
        .group_by(Question.knowledge_point_id)
    ).all()
    weak = {
        kp for kp, total, right in rows if kp is not None and total >= 2 and right < total * 0.6
    }
    return due, weak


def compose(session: Session, quiz: Quiz, member, rng: random.Random, now) -> list[tuple]:
    """The paper for one examinee: (question id, version id, points or None) in order.

    Random rules prefer questions the member has seen least, never repeat a question within the
    paper, and for 每日答题 put due 错题本 items and weak knowledge points first. Ties break by
    the seeded generator, so the stored seed and history reproduce the draw.
    """
    if quiz.composition == Composition.FIXED:
        rows = session.execute(
            sa.select(Question.id, Question.current_version_id)
            .where(
                Question.id.in_([item.question_id for item in quiz.items]),
                Question.status == QuestionStatus.ACTIVE,
            )
            .order_by(Question.id)
        ).all()
        current = dict(rows)
        paper = [
            (item.question_id, current[item.question_id], item.points)
            for item in quiz.items
            if item.question_id in current
        ]
    else:
        seen = _seen_counts(session, member.id)
        due, weak = (set(), set())
        kp_of: dict[int, int | None] = {}
        if quiz.kind == QuizKind.DAILY:
            due, weak = _daily_preferences(session, member.id, now)
        chosen: set[int] = set()
        paper = []
        for rule in quiz.rules:
            candidates = [c for c in candidate_ids(session, rule) if c[0] not in chosen]
            if weak:
                kp_of = dict(
                    session.execute(
                        sa.select(Question.id, Question.knowledge_point_id).where(
                            Question.id.in_([c[0] for c in candidates])
                        )
                    ).all()
                )
            keyed = [
                (
                    c[0] not in due,
                    kp_of.get(c[0]) not in weak,
                    seen.get(c[0], 0),
                    rng.random(),
                    c,
                )
                for c in candidates
            ]
            keyed.sort(key=lambda k: k[:4])
            picked = [k[4] for k in keyed[: rule.count]]
            if len(picked) < rule.count:
                raise DomainError(None, _l("The question bank cannot fill this paper right now."))
            for question_id, version_id in picked:
                chosen.add(question_id)
                paper.append((question_id, version_id, rule.points))
    if not paper:
        raise DomainError(None, _l("This quiz has no questions to ask."))
    if quiz.shuffle_questions:
        rng.shuffle(paper)
    return paper


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
    if quiz.kind == QuizKind.EXAM and quiz.attempts_allowed and used >= quiz.attempts_allowed:
        raise DomainError(None, _l("You have used every attempt of this exam."))
    seed = secrets.randbits(62)
    # A seeded, reproducible draw (audit), not a secret: the seed itself is stored.
    rng = random.Random(seed)  # noqa: S311
    paper = compose(session, quiz, member, rng, now)
    versions = {
        v.id: v
        for v in session.scalars(
            sa.select(QuestionVersion).where(QuestionVersion.id.in_([p[1] for p in paper]))
        )
    }
    types = dict(
        session.execute(
            sa.select(Question.id, Question.type).where(Question.id.in_([p[0] for p in paper]))
        ).all()
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
    total = Decimal("0")
    rows = []
    for position, (question_id, version_id, points) in enumerate(paper, start=1):
        version = versions[version_id]
        order = list(range(len(version.spec.get("options") or [])))
        if quiz.shuffle_options:
            rng.shuffle(order)
        points = Decimal(points if points is not None else version.points)
        total += points
        rows.append(
            {
                "attempt_id": attempt.id,
                "position": position,
                "question_id": question_id,
                "version_id": version_id,
                "question_type": types[question_id],
                "points": points,
                "option_order": order,
                "option_ids": [secrets.token_urlsafe(8) for _ in order],
                "seq": 0,
                "needs_marking": False,
                "marker_comment": "",
            }
        )
    # One multi-row INSERT: a start storm writes thousands of slots a minute.
    session.execute(sa.insert(AttemptQuestion), rows)
    attempt.max_score = total
    mark_used(session, versions.keys(), now)
    session.flush()
    return attempt


@dataclass(frozen=True)
class SaveResult:
    outcome: AnswerOutcome
    seq: int  # the stored sequence number after the call

    @property
    def accepted(self) -> bool:
        return self.outcome in (AnswerOutcome.SAVED, AnswerOutcome.REPLAY)


def _slot(session: Session, attempt: Attempt, position) -> AttemptQuestion:
    if not isinstance(position, int) or isinstance(position, bool):
        raise DomainError(None, _l("That question is not part of this attempt."))
    slot = session.scalar(
        sa.select(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == position)
        .options(lazyload(AttemptQuestion.version))
    )
    if slot is None:
        # Slots outside the frozen layout are refused (E8).
        raise DomainError(None, _l("That question is not part of this attempt."))
    return slot


def _log(session, attempt, position, base_seq, response, outcome, now) -> None:
    session.add(
        AnswerLog(
            attempt_id=attempt.id,
            position=position,
            base_seq=base_seq,
            response=response,
            outcome=outcome,
            received_at=now,
        )
    )
    session.flush()


def lock_attempt(session: Session, attempt_id: int) -> Attempt | None:
    """Re-read the attempt under a row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds
    the write lock), so a save and a submit never interleave."""
    return session.scalar(
        sa.select(Attempt)
        .where(Attempt.id == attempt_id)
        .options(lazyload(Attempt.quiz))
        .with_for_update(of=Attempt)
        .execution_options(populate_existing=True)
    )


def save_answer(
    session: Session, attempt_id: int, position, base_seq, raw, now: datetime
) -> SaveResult:
    """Autosave one answer. `base_seq` is the sequence number of the answer the page last saw:
    the save lands only if it is still the stored one (a stale second tab is refused with
    STALE), and moves it on by one. The same save sent again is a REPLAY and changes nothing.
    After the deadline plus grace the answer is refused (LATE) but recorded in the answer log;
    so are saves to a finished attempt (CLOSED). The caller checks ownership."""
    if not isinstance(base_seq, int) or isinstance(base_seq, bool) or not 0 <= base_seq < 2**31:
        raise DomainError(None, _l("The answer could not be understood."))
    attempt = lock_attempt(session, attempt_id)
    slot = _slot(session, attempt, position)
    response = parse_response(slot, raw)
    if attempt.state != AttemptState.IN_PROGRESS:
        _log(session, attempt, position, base_seq, response, AnswerOutcome.CLOSED, now)
        return SaveResult(AnswerOutcome.CLOSED, slot.seq)
    if is_overdue(attempt, now):
        _log(session, attempt, position, base_seq, response, AnswerOutcome.LATE, now)
        return SaveResult(AnswerOutcome.LATE, slot.seq)
    updated = session.execute(
        sa.update(AttemptQuestion)
        .where(AttemptQuestion.id == slot.id, AttemptQuestion.seq == base_seq)
        .values(response=response, seq=base_seq + 1, saved_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if updated == 1:
        _log(session, attempt, position, base_seq, response, AnswerOutcome.SAVED, now)
        return SaveResult(AnswerOutcome.SAVED, base_seq + 1)
    session.refresh(slot, ["seq", "response"])
    if slot.seq == base_seq + 1 and slot.response == response:
        outcome = AnswerOutcome.REPLAY
    else:
        outcome = AnswerOutcome.STALE
    _log(session, attempt, position, base_seq, response, outcome, now)
    return SaveResult(outcome, slot.seq)


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
        _update_wrong_book(session, attempt, slots, now)
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


def _update_wrong_book(session: Session, attempt: Attempt, slots, now: datetime) -> None:
    day = org_day(now)
    existing = {
        row.question_id: row
        for row in session.scalars(
            sa.select(WrongAnswer).where(
                WrongAnswer.member_id == attempt.member_id,
                WrongAnswer.question_id.in_([s.question_id for s in slots]),
            )
        )
    }
    for slot in slots:
        row = existing.get(slot.question_id)
        if slot.is_correct is False:
            if row is None:
                row = WrongAnswer(
                    member_id=attempt.member_id,
                    question_id=slot.question_id,
                    wrong_count=0,
                    right_streak=0,
                )
                session.add(row)
                existing[slot.question_id] = row
            row.version_id = slot.version_id
            row.wrong_count += 1
            row.right_streak, row.is_mastered = 0, False
            row.due_on = day + timedelta(days=REVIEW_STEPS_DAYS[0])
            row.updated_at = now
        elif slot.is_correct and row is not None and not row.is_mastered:
            row.right_streak += 1
            row.is_mastered = row.right_streak >= MASTERED_AFTER
            step = REVIEW_STEPS_DAYS[min(row.right_streak, len(REVIEW_STEPS_DAYS) - 1)]
            row.due_on = day + timedelta(days=step)
            row.updated_at = now
    session.flush()


def set_mastered(session: Session, member, entry: WrongAnswer, now: datetime) -> None:
    """The member marks a 错题本 entry as mastered (it leaves the review list)."""
    if entry.member_id != member.id:
        raise DomainError(None, _l("That entry is not in your wrong-answer book."))
    entry.is_mastered, entry.updated_at = True, now
    session.flush()


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
