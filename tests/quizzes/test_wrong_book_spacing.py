"""The 错题本's spaced review: a right answer moves an entry on only when it is due, so
answering again at once, with the key just seen, neither pushes it out nor masters it."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.quizzes.models import QuizKind, WrongAnswer
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz
from tests.quizzes.test_queries import _take

DAY = FIXED_NOW.date()
pytestmark = pytest.mark.usefixtures("ctx")


def _entry(session):
    session.expire_all()
    return session.scalars(sa.select(WrongAnswer)).one()


def test_right_answers_before_the_entry_is_due_do_not_count(session, world):
    quiz = make_quiz(
        session,
        world.root,
        make_paper(session, types=("single",)),
        kind=QuizKind.PRACTICE,
        attempts_allowed=0,
    )
    _take(session, quiz, world.member_a, 0, FIXED_NOW)
    for minutes in (5, 10, 15):
        _take(session, quiz, world.member_a, 1, FIXED_NOW + timedelta(minutes=minutes))
    entry = _entry(session)
    assert (entry.right_streak, entry.is_mastered, entry.wrong_count) == (0, False, 1)
    assert entry.due_on == DAY + timedelta(days=1)


def test_reviews_when_due_space_out_and_master_after_three(session, world):
    quiz = make_quiz(
        session,
        world.root,
        make_paper(session, types=("single",)),
        kind=QuizKind.PRACTICE,
        attempts_allowed=0,
        closes_at=FIXED_NOW + timedelta(days=30),
    )
    _take(session, quiz, world.member_a, 0, FIXED_NOW)
    expected = [(1, DAY + timedelta(days=1 + 2)), (2, DAY + timedelta(days=3 + 4))]
    at = FIXED_NOW + timedelta(days=1)
    for streak, due in expected:
        _take(session, quiz, world.member_a, 1, at)
        entry = _entry(session)
        assert (entry.right_streak, entry.due_on, entry.is_mastered) == (streak, due, False)
        _take(session, quiz, world.member_a, 1, at + timedelta(hours=1))  # not due: no step
        assert _entry(session).right_streak == streak
        at = FIXED_NOW + (due - DAY)
    _take(session, quiz, world.member_a, 1, at)
    assert _entry(session).is_mastered
    # A wrong answer brings a mastered entry back, due the next day.
    _take(session, quiz, world.member_a, 0, at + timedelta(days=1))
    entry = _entry(session)
    assert (entry.is_mastered, entry.right_streak, entry.wrong_count) == (False, 0, 2)
    assert entry.due_on == (at + timedelta(days=1)).date() + timedelta(days=1)
