"""Grading a finished attempt: its total, percentage and pass, then what a grade sets off (the
错题本, and the hours of a passed course final test). `attempts.finalize` and the marking of
简答 answers both end here."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.queries import rules_for
from learnapp.hours.services import credit, org_day
from learnapp.quizzes.models import Attempt, AttemptQuestion, AttemptState, ReleasePolicy
from learnapp.quizzes.release import answers_open
from learnapp.quizzes.wrongbook import update_wrong_book

HUNDRED = Decimal("100")
CENT = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


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
    # The 错题本 shows keys, and daily questions draw from it: it collects from practice, and
    # from an exam whose results are released at once only when the member can no longer
    # answer it (their last attempt), never while its questions may be asked again (E2); a
    # question another exam of theirs withholds stays as it is (update_wrong_book).
    if quiz.kind.is_practice or (
        quiz.release == ReleasePolicy.IMMEDIATELY and answers_open(session, attempt, now)
    ):
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
