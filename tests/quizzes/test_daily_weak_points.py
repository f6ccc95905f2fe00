"""每日答题 prefers the member's weak knowledge points, judged only on answers whose correctness
the member may see (security.md E2): an exam that withholds its questions from them steers no
draw until it shows its answers."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import QuestionStatus
from learnapp.question_bank.services import add_question
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.authoring import QuizSettings, create_quiz, publish_quiz
from learnapp.quizzes.composition import RuleInput, add_rule
from learnapp.quizzes.models import Composition, FinishedBy, QuizKind, ReleasePolicy
from learnapp.quizzes.papers import compose
from tests.factories import FIXED_NOW
from tests.question_bank.factories import make_bank
from tests.quizzes.helpers import Paper, make_quiz

CLOSE = FIXED_NOW + timedelta(days=7)  # make_quiz's close
AFTER_RELEASE = CLOSE + timedelta(days=1)  # past the close and its grace


def _judges(session, bank, chapter, count):
    return [
        add_question(
            session,
            None,
            bank,
            QuestionDraft(
                type="judge",
                stem=f"{chapter}判断题{n}",
                spec={"answer": True},
                knowledge_point=["党章", chapter],
            ),
            FIXED_NOW,
            QuestionStatus.ACTIVE,
        )
        for n in range(count)
    ]


@pytest.fixture
def bank(ctx, session):
    """Chapter one: two questions for the exam and two more; chapter two: ten questions."""
    bank = make_bank(session, two_person_review=False)
    return bank, _judges(session, bank, "第一章", 4), _judges(session, bank, "第二章", 10)


@pytest.fixture
def daily(ctx, session, world, bank):
    """Daily practice drawing two judge questions from the whole bank."""
    quiz = create_quiz(
        session,
        None,
        QuizSettings(
            title="每日答题",
            kind=QuizKind.DAILY,
            owner_unit=world.root,
            composition=Composition.RANDOM,
        ),
        FIXED_NOW,
    )
    quiz.rules.clear()
    add_rule(
        session, None, quiz, RuleInput(bank[0], None, "judge", None, 2, Decimal("1")), FIXED_NOW
    )
    publish_quiz(session, None, quiz, FIXED_NOW)
    return quiz


def _failed_exam(session, world, bank, release):
    """The member answers nothing in an exam over two chapter-one questions: both wrong."""
    _, chapter_one, _ = bank
    exam = make_quiz(
        session, world.root, Paper(bank[0], chapter_one[:2]), release=release, attempts_allowed=1
    )
    attempt = svc.start_attempt(session, world.member_a, exam, FIXED_NOW)
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    return exam


def _practised(session, world, bank):
    """The member answers nothing in a practice over the exam's two chapter-one questions."""
    practice = make_quiz(
        session,
        world.root,
        Paper(bank[0], bank[1][:2]),
        kind=QuizKind.PRACTICE,
        title="练习",
    )
    attempt = svc.start_attempt(session, world.member_a, practice, FIXED_NOW)
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)


def _drawn(session, world, daily, now) -> set[int]:
    return {row[0] for row in compose(session, daily, world.member_a, random.Random(7), now)}


def _rest_of_chapter_one(bank) -> set[int]:
    return {q.id for q in bank[1][2:]}


@pytest.mark.parametrize("release", [ReleasePolicy.AFTER_CLOSE, ReleasePolicy.NEVER])
def test_an_exam_withholding_its_answers_steers_no_daily_draw(session, world, bank, daily, release):
    _failed_exam(session, world, bank, release)
    # Unsteered, the draw prefers questions the member has not seen, whatever their chapter.
    assert _drawn(session, world, daily, FIXED_NOW) != _rest_of_chapter_one(bank)


def test_an_exam_showing_its_answers_steers_the_daily_draw_to_the_weak_point(
    session, world, bank, daily
):
    _failed_exam(session, world, bank, ReleasePolicy.IMMEDIATELY)
    assert _drawn(session, world, daily, FIXED_NOW) == _rest_of_chapter_one(bank)


def test_the_weak_point_steers_the_draw_once_the_results_are_released(session, world, bank, daily):
    _failed_exam(session, world, bank, ReleasePolicy.AFTER_CLOSE)
    assert _drawn(session, world, daily, FIXED_NOW) != _rest_of_chapter_one(bank)
    assert _drawn(session, world, daily, AFTER_RELEASE) == _rest_of_chapter_one(bank)


def test_practice_answers_to_a_question_a_withheld_exam_asked_steer_no_draw(
    session, world, bank, daily
):
    """A practice asking the exam's questions again: its answers tell the exam's as well."""
    _failed_exam(session, world, bank, ReleasePolicy.AFTER_CLOSE)
    _practised(session, world, bank)
    assert _drawn(session, world, daily, FIXED_NOW) != _rest_of_chapter_one(bank)
    assert _drawn(session, world, daily, AFTER_RELEASE) == _rest_of_chapter_one(bank)


def test_wrong_practice_answers_make_a_weak_point(session, world, bank, daily):
    _practised(session, world, bank)
    assert _drawn(session, world, daily, FIXED_NOW) == _rest_of_chapter_one(bank)
