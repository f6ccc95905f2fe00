"""A topic set (专项答题) scores once: its first finished attempt is the member's grade on every
page and in the export, whatever grading method it was saved with (DOMAIN.md)."""

import io
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.quizzes import attempts as svc
from learnapp.quizzes.analysis import quiz_report
from learnapp.quizzes.authoring import update_quiz
from learnapp.quizzes.models import Attempt, FinishedBy, GradingMethod, QuizKind
from learnapp.web import LANG_COOKIE
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz, settings_of
from tests.quizzes.test_queries import _take


def _topic_set_taken_twice(app, session, world):
    """A topic set saved with "highest" before sets scored once: 0% first, then 100%."""
    with app.test_request_context():
        quiz = make_quiz(
            session,
            world.root,
            make_paper(session, types=("single", "judge")),
        )
        quiz.kind, quiz.grading_method = QuizKind.TOPIC, GradingMethod.HIGHEST
        quiz.attempts_allowed = 0
        session.flush()
        _take(session, quiz, world.member_a, 0, FIXED_NOW)
        _take(session, quiz, world.member_a, 2, FIXED_NOW)
    session.commit()
    return quiz


def test_the_report_grades_a_topic_set_by_its_first_attempt(app, session, world):
    quiz = _topic_set_taken_twice(app, session, world)
    with app.test_request_context():
        report = quiz_report(session, world.admin, quiz)
    assert [r.grade.percent for r in report.results] == [Decimal("0.00")]
    assert report.mean_percent == 0
    assert report.distribution[0] == 1


def test_the_report_page_and_export_say_first_attempt(app, session, auth, world):
    quiz = _topic_set_taken_twice(app, session, world)
    auth.login("admin")
    auth.client.set_cookie(LANG_COOKIE, "zh_Hans")
    page = auth.client.get(f"/quizzes/manage/{quiz.id}/report").get_data(as_text=True)
    assert "取第一次" in page
    assert "取最高分" not in page
    book = load_workbook(io.BytesIO(auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx").data))
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    method = next(row[1] for row in rows if row[0] == "成绩计算方式")
    assert method == "取第一次"


def test_a_topic_set_is_saved_as_first_attempt_counts(app, session, world):
    with app.test_request_context():
        quiz = make_quiz(
            session,
            world.root,
            make_paper(session, types=("single",)),
            publish=False,
            kind=QuizKind.TOPIC,
            grading_method=GradingMethod.HIGHEST,
        )
        assert quiz.grading_method == GradingMethod.FIRST
        update_quiz(
            session,
            None,
            quiz,
            settings_of(quiz, kind=QuizKind.EXAM, grading_method=GradingMethod.AVERAGE),
            FIXED_NOW,
        )
        assert quiz.grading_method == GradingMethod.AVERAGE


def test_each_result_says_whether_it_is_the_score_of_the_set(app, session, auth, world):
    quiz = _topic_set_taken_twice(app, session, world)
    first, second = session.scalars(
        sa.select(Attempt.id).where(Attempt.quiz_id == quiz.id).order_by(Attempt.number)
    ).all()
    auth.login("mema")
    page = auth.client.get(f"/quizzes/attempts/{first}/result").get_data(as_text=True)
    assert 'data-counts="yes">这是您首次完成的作答，计为本专项的成绩。<' in page
    page = auth.client.get(f"/quizzes/attempts/{second}/result").get_data(as_text=True)
    assert 'data-counts="no">本次作答仅供练习：专项答题只计一次分，以首次完成的作答为准。<' in page


def test_an_exam_result_says_nothing_of_topic_sets(app, session, auth, world, final_exam):
    with app.test_request_context():
        attempt = svc.start_attempt(session, world.member_a, final_exam, FIXED_NOW)
        svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/quizzes/attempts/{attempt.id}/result").get_data(as_text=True)
    assert 'data-testid="topic-counts"' not in page
