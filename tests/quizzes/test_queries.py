"""exam_results (the contract assessments codes against) and the quiz report."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.analysis import quiz_report
from learnapp.quizzes.authoring import publish_quiz
from learnapp.quizzes.models import FinishedBy, GradingMethod, QuizKind
from learnapp.quizzes.queries import ExamResult, exam_results, slots_of
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz

pytestmark = pytest.mark.usefixtures("ctx")
START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


def _take(session, quiz, member, right: int, at):
    """Answer the first `right` single/judge slots correctly, the rest wrongly."""
    attempt = svc.start_attempt(session, member, quiz, at)
    for index, slot in enumerate(slots_of(session, attempt)):
        spec = slot.version.spec
        ok = index < right
        if slot.question_type == "judge":
            raw = {"value": "true" if spec["answer"] == ok else "false"}
        else:
            wanted = spec["answer"] if ok else (spec["answer"] + 1) % len(spec["options"])
            raw = {"value": slot.option_ids[slot.option_order.index(wanted)]}
        answers.save_answer(
            session, attempt.id, slot.position, 0, raw, at, member_id=attempt.member_id
        )
    return svc.finalize(session, attempt.id, at, FinishedBy.MEMBER)


@pytest.mark.parametrize(
    ("method", "percent", "passed"),
    [
        (GradingMethod.HIGHEST, Decimal("100.00"), True),
        (GradingMethod.FIRST, Decimal("33.33"), False),
        (GradingMethod.LAST, Decimal("66.67"), True),
        (GradingMethod.AVERAGE, Decimal("66.67"), True),
    ],
)
def test_exam_results_combine_attempts_by_the_grading_method(
    session, world, method, percent, passed
):
    paper = make_paper(session, types=("single", "judge"))
    # Three equally weighted questions: a second single question.
    from learnapp.question_bank.models import QuestionStatus
    from learnapp.question_bank.services import add_question
    from tests.question_bank.factories import single_draft

    paper.questions.append(
        add_question(
            session,
            None,
            paper.bank,
            single_draft(stem="第二道单选", points=Decimal("1")),
            FIXED_NOW,
            QuestionStatus.ACTIVE,
        )
    )
    for question in paper.questions:
        question.current_version.points = Decimal("1")
    session.flush()
    quiz = make_quiz(session, world.root, paper, grading_method=method, attempts_allowed=3)
    for hours, right in ((0, 1), (1, 3), (2, 2)):
        _take(session, quiz, world.member_a, right, FIXED_NOW + timedelta(hours=hours))
    results = exam_results(session, [world.member_a.id, world.member_b.id], START, END)
    assert results[world.member_b.id] == []
    (result,) = results[world.member_a.id]
    assert isinstance(result, ExamResult)
    assert (result.quiz_id, result.title, result.percent, result.passed) == (
        quiz.id,
        quiz.title,
        percent,
        passed,
    )
    assert result.finished_at.tzinfo is not None


def test_exam_results_count_exams_only_within_the_period(session, world):
    paper = make_paper(session, types=("single",))
    exam = make_quiz(session, world.root, paper)
    practice = make_quiz(session, world.root, paper, kind=QuizKind.PRACTICE, title="练习")
    _take(session, exam, world.member_a, 1, FIXED_NOW)
    _take(session, practice, world.member_a, 1, FIXED_NOW)
    assert [
        r.quiz_id for r in exam_results(session, [world.member_a.id], START, END)[world.member_a.id]
    ] == [exam.id]
    later = FIXED_NOW + timedelta(hours=1)
    assert exam_results(session, [world.member_a.id], later, END)[world.member_a.id] == []
    assert exam_results(session, [], START, END) == {}


def test_report_gives_distribution_pass_rate_and_item_statistics(session, world):
    from tests.factories import make_user

    paper = make_paper(session, types=("single", "judge"))
    quiz = make_quiz(session, world.root, paper)
    members = [make_user(session, unit=world.branch_a) for _ in range(4)]
    for member, right in zip(members, (2, 2, 1, 0), strict=True):
        _take(session, quiz, member, right, FIXED_NOW)
    report = quiz_report(session, world.admin, quiz)
    assert (report.attempts, report.graded) == (4, 4)
    # Scores 100, 100, 66.67 (the 2-point single right) and 0 against a pass mark of 60.
    assert report.pass_rate == 0.75
    assert report.distribution == [1, 0, 0, 0, 0, 0, 1, 0, 0, 2]
    assert report.by_unit == [("甲支部", 4, 3, 4)]
    single, judge = report.items
    assert single.facility == 0.75 and judge.facility == 0.5
    assert single.discrimination is not None and judge.discrimination is not None
    # The secretary of the other branch sees none of these attempts.
    assert quiz_report(session, world.member_b, quiz).attempts == 0


def test_report_numbers_items_as_the_paper_orders_them(session, world):
    from tests.factories import make_user

    paper = make_paper(session, types=("single", "judge"))
    quiz = make_quiz(session, world.root, paper, publish=False)
    first, second = sorted(quiz.items, key=lambda item: item.position)
    # The paper asks the later-created question first: ids and positions disagree.
    first.position, second.position = second.position, first.position
    publish_quiz(session, None, quiz, FIXED_NOW)
    _take(session, quiz, make_user(session, unit=world.branch_a), 1, FIXED_NOW)
    items = quiz_report(session, world.admin, quiz).items
    assert [item.question_id for item in items] == [second.question_id, first.question_id]
    assert [item.position_label for item in items] == ["1", "2"]
