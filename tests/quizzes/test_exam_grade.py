"""The member's own exam grade: how their attempts are combined, and the combined grade with its
pass, on their quiz page, as the report gives it and only once results are released; the result
page of one attempt of several says it is that attempt's result."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from learnapp.question_bank.models import QuestionStatus
from learnapp.question_bank.services import add_question
from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.analysis import quiz_report
from learnapp.quizzes.models import GradingMethod, QuizKind, ReleasePolicy
from learnapp.quizzes.queries import member_attempts
from learnapp.quizzes.release import Withheld, quiz_withholdings
from learnapp.quizzes.standing import GRADING_RULES, exam_standing, grading_rule
from tests.factories import FIXED_NOW
from tests.question_bank.factories import single_draft
from tests.quizzes.helpers import make_paper, make_quiz
from tests.quizzes.test_queries import _take

CLOSE = FIXED_NOW + timedelta(days=7)


def _exam(session, world, **settings):
    """Three questions of one point each: 2 right → 66.67%, 0 right → 0% (pass mark 60%)."""
    paper = make_paper(session, types=("single", "judge"))
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
    fields = {"grading_method": GradingMethod.AVERAGE, "attempts_allowed": 2, "closes_at": CLOSE}
    return make_quiz(session, world.root, paper, **{**fields, **settings})


def _takes(session, quiz, member, *rights):
    for hours, right in enumerate(rights):
        _take(session, quiz, member, right, FIXED_NOW - timedelta(hours=len(rights) - hours))


def _standing(session, member, quiz, now=FIXED_NOW):
    attempts = member_attempts(session, member.id, [quiz.id])
    holds = quiz_withholdings(session, member, quiz, attempts, now)
    return exam_standing(quiz, attempts, holds.attempts, holds.release)


@pytest.mark.usefixtures("ctx")
class TestStanding:
    @pytest.mark.parametrize("method", list(GradingMethod))
    def test_the_grade_is_the_reports_grade(self, session, world, method):
        quiz = _exam(session, world, grading_method=method)
        _takes(session, quiz, world.member_a, 2, 0)
        standing = _standing(session, world.member_a, quiz)
        (result,) = quiz_report(session, world.admin, quiz).results
        assert standing.grade == result.grade
        assert standing.withheld is None and standing.final  # no attempt left

    def test_the_average_of_a_pass_and_a_fail_fails(self, session, world):
        quiz = _exam(session, world)
        _takes(session, quiz, world.member_a, 2, 0)
        grade = _standing(session, world.member_a, quiz).grade
        assert (grade.percent, grade.passed) == (Decimal("33.34"), False)

    def test_with_an_attempt_left_the_grade_is_so_far(self, session, world):
        quiz = _exam(session, world)
        _takes(session, quiz, world.member_a, 2)
        standing = _standing(session, world.member_a, quiz)
        assert (standing.grade.percent, standing.grade.passed) == (Decimal("66.67"), True)
        assert not standing.final
        svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)  # answering the last one
        standing = _standing(session, world.member_a, quiz)
        assert standing.grade.percent == Decimal("66.67") and not standing.final

    def test_no_grade_before_an_attempt_is_finished_nor_for_practice(self, session, world):
        quiz = _exam(session, world)
        assert _standing(session, world.member_a, quiz) is None
        svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
        assert _standing(session, world.member_a, quiz) is None
        practice = _exam(session, world, kind=QuizKind.PRACTICE, title="练习")
        _takes(session, practice, world.member_a, 2)
        assert _standing(session, world.member_a, practice) is None

    def test_a_grade_the_exam_does_not_show_is_never_given(self, session, world):
        quiz = _exam(session, world, release=ReleasePolicy.NEVER)
        _takes(session, quiz, world.member_a, 2, 0)
        standing = _standing(session, world.member_a, quiz)
        assert standing.grade is None and standing.withheld.reason == Withheld.NEVER

    def test_after_close_the_grade_waits_for_the_close_and_its_grace(self, session, world):
        quiz = _exam(session, world, release=ReleasePolicy.AFTER_CLOSE)
        _takes(session, quiz, world.member_a, 2, 0)
        standing = _standing(session, world.member_a, quiz)
        assert standing.grade is None
        assert standing.withheld.reason == Withheld.AFTER_CLOSE
        assert standing.withheld.until == CLOSE + timedelta(seconds=quiz.grace_seconds)
        later = _standing(session, world.member_a, quiz, CLOSE + timedelta(hours=1))
        assert later.grade.percent == Decimal("33.34") and later.final

    def test_an_attempt_awaiting_marking_has_no_grade_yet(self, session, world):
        quiz = make_quiz(session, world.root, make_paper(session, types=("short",)))
        attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
        answers.save_answer(
            session, attempt.id, 1, 0, {"text": "联系实际"}, FIXED_NOW, member_id=world.member_a.id
        )
        svc.finalize(session, attempt.id, FIXED_NOW, svc.FinishedBy.MEMBER)
        standing = _standing(session, world.member_a, quiz)
        assert standing.grade is None and standing.withheld.reason == Withheld.PENDING

    def test_the_rule_is_given_where_attempts_may_combine(self, session, world):
        quiz = _exam(session, world)
        assert grading_rule(quiz, 2, 0) == GRADING_RULES[GradingMethod.AVERAGE]
        assert grading_rule(quiz, 1, 2) == GRADING_RULES[GradingMethod.AVERAGE]
        assert grading_rule(quiz, 1, 1) is None
        quiz.kind = QuizKind.PRACTICE
        assert grading_rule(quiz, 2, 0) is None


def _grade_cell(page: str) -> str:
    return re.search(r'data-testid="exam-grade">(.*?)</dd>', page, re.S).group(1)


def test_the_quiz_page_gives_the_rule_and_the_combined_grade(app, session, auth, world):
    with app.test_request_context():
        quiz = _exam(session, world)
        _takes(session, quiz, world.member_a, 2)
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert 'data-testid="grading-rule">成绩按各次作答的平均分计。<' in page
    assert "目前成绩" in page
    cell = _grade_cell(page)
    assert 'data-testid="exam-grade-percent">66.67%<' in cell and "exam-grade-passed" in cell
    assert 'data-testid="exam-grade-provisional"' in cell

    with app.test_request_context():
        _take(session, quiz, world.member_a, 0, FIXED_NOW)
    session.commit()
    page = auth.client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    cell = _grade_cell(page)
    assert 'data-testid="exam-grade-percent">33.34%<' in cell
    assert 'data-testid="exam-grade-failed">未通过<' in cell
    assert "exam-grade-provisional" not in cell and "目前成绩" not in page
    assert '<dt class="col-5 col-md-3">考试成绩</dt>' in page
    # Another member sees their own standing only: none.
    auth.logout()
    auth.login("memb")
    other = auth.client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert 'data-testid="exam-grade"' not in other and "33.34" not in other


@pytest.mark.parametrize(
    ("release", "says"),
    [
        (ReleasePolicy.NEVER, "本场考试不公布成绩。"),
        (ReleasePolicy.AFTER_CLOSE, "成绩将在考试结束（"),
    ],
)
def test_a_withheld_grade_says_when_it_shows_and_nothing_more(
    app, session, auth, world, clock, release, says
):
    with app.test_request_context():
        quiz = _exam(session, world, release=release)
        _takes(session, quiz, world.member_a, 2, 0)
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    cell = _grade_cell(page)
    assert says in cell and f'data-reason="{release.value}"' in cell
    for hidden in ("exam-grade-percent", "exam-grade-passed", "exam-grade-failed"):
        assert hidden not in page
    assert "33.34" not in page and "66.67" not in page
    clock.advance(days=8)  # past the close and its grace
    auth.login("mema")  # the session has expired meanwhile
    page = auth.client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    if release == ReleasePolicy.AFTER_CLOSE:
        assert 'data-testid="exam-grade-percent">33.34%<' in page
    else:
        assert "exam-grade-percent" not in page


def test_one_attempt_of_several_is_labelled_as_that_attempts_result(app, session, auth, world):
    with app.test_request_context():
        several = _exam(session, world)
        once = _exam(session, world, attempts_allowed=1, title="一次")
        first = _take(session, several, world.member_a, 2, FIXED_NOW)
        only = _take(session, once, world.member_a, 2, FIXED_NOW)
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/quizzes/attempts/{first.id}/result").get_data(as_text=True)
    assert 'data-testid="result-passed">本次作答通过<' in page
    assert 'data-testid="grading-rule">成绩按各次作答的平均分计。' in page
    assert f'href="/quizzes/{several.id}"' in page
    page = auth.client.get(f"/quizzes/attempts/{only.id}/result").get_data(as_text=True)
    assert 'data-testid="result-passed">通过<' in page
    assert 'data-testid="grading-rule"' not in page
    single = auth.client.get(f"/quizzes/{once.id}").get_data(as_text=True)
    assert 'data-testid="grading-rule"' not in single
    assert 'data-testid="exam-grade-percent">66.67%<' in single
    # Nobody else opens the member's result (E6).
    auth.logout()
    auth.login("memb")
    assert auth.client.get(f"/quizzes/attempts/{first.id}/result").status_code == 404
