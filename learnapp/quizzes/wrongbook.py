"""The 错题本 (wrong-answer book): wrong answers collected per member with spaced-repetition
review dates and a mastered flag."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.errors import DomainError
from learnapp.hours.services import org_day
from learnapp.quizzes.models import Attempt, WrongAnswer
from learnapp.quizzes.release import questions_held

REVIEW_STEPS_DAYS = (1, 2, 4, 7, 15)  # days until the next review, by right answers in a row
MASTERED_AFTER = 3  # right answers in a row


def update_wrong_book(session: Session, attempt: Attempt, slots, now: datetime) -> None:
    """A wrong answer enters (or returns to) the book, due tomorrow; a right answer to an entry
    that is due moves its review further out, and three such reviews in a row mark it mastered.
    A right answer before the entry is due leaves it as it is: answering again at once, with
    the key just seen, is no spaced review. A question an exam of the member's withholds from
    them (`release.questions_held`) is left as it is: an entry coming, moving or mastered would
    tell whether the answer was right, before the exam shows its answers."""
    held = questions_held(session, attempt.member, [s.question_id for s in slots], now).in_exam
    slots = [slot for slot in slots if slot.question_id not in held]
    if not slots:
        return
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
        elif slot.is_correct and row is not None and not row.is_mastered and row.due_on <= day:
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
