"""每日答题 across midnight: the day is the organisation's (Asia/Shanghai), not UTC's. An attempt
started before midnight belongs to that day, however late it is submitted, and its 错题本
entries fall due the day after the submission."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.errors import DomainError
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.authoring import create_quiz, publish_quiz
from learnapp.quizzes.composition import RuleInput, add_rule
from learnapp.quizzes.models import Composition, FinishedBy, QuizKind, WrongAnswer
from tests.quizzes.test_authoring import _bank_of_judges, _settings

pytestmark = pytest.mark.usefixtures("ctx")
BEFORE_MIDNIGHT = datetime(2026, 3, 10, 15, 59, tzinfo=UTC)  # 23:59 on 10 March in Shanghai


def _daily(session, world):
    bank, _questions = _bank_of_judges(session, 10)
    quiz = create_quiz(
        session,
        None,
        _settings(world.root, kind=QuizKind.DAILY, composition=Composition.RANDOM),
        BEFORE_MIDNIGHT - timedelta(days=1),
    )
    quiz.rules.clear()
    add_rule(
        session, None, quiz, RuleInput(bank, None, "judge", None, 5, Decimal("1")), BEFORE_MIDNIGHT
    )
    publish_quiz(session, None, quiz, BEFORE_MIDNIGHT - timedelta(days=1))
    return quiz


def test_an_attempt_begun_before_midnight_is_that_days(session, world):
    quiz = _daily(session, world)
    member = world.member_a
    attempt = svc.start_attempt(session, member, quiz, BEFORE_MIDNIGHT)
    assert attempt.practice_day == date(2026, 3, 10)
    # Submitted at 00:01 (still 10 March in UTC): nothing answered, all wrong, due on the 12th.
    svc.finalize(session, attempt.id, BEFORE_MIDNIGHT + timedelta(minutes=2), FinishedBy.MEMBER)
    due = set(session.scalars(sa.select(WrongAnswer.due_on)))
    assert due == {date(2026, 3, 12)}
    # The 11th has begun in Shanghai, though not in UTC: a new day's questions.
    after = svc.start_attempt(session, member, quiz, BEFORE_MIDNIGHT + timedelta(minutes=3))
    assert after.practice_day == date(2026, 3, 11) and after.number == 2
    svc.finalize(session, after.id, BEFORE_MIDNIGHT + timedelta(minutes=4), FinishedBy.MEMBER)
    with pytest.raises(DomainError, match="today"):
        svc.start_attempt(session, member, quiz, BEFORE_MIDNIGHT + timedelta(hours=23))


def test_the_mornings_attempt_is_the_days_until_midnight(session, world):
    quiz = _daily(session, world)
    morning = BEFORE_MIDNIGHT - timedelta(hours=13)  # 10:59 in Shanghai
    attempt = svc.start_attempt(session, world.member_a, quiz, morning)
    svc.finalize(session, attempt.id, morning, FinishedBy.MEMBER)
    with pytest.raises(DomainError, match="today"):
        svc.start_attempt(session, world.member_a, quiz, BEFORE_MIDNIGHT)
