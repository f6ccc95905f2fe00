"""An exam's report speaks of passing; a practice's (每日答题, 专项答题, 练习) is a practice
analysis with no pass rate, as practice has no pass mark unless it is a course's final test.
Item analysis is the same for both."""

import io
import re
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from learnapp.quizzes.models import QuizKind
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz
from tests.quizzes.test_queries import _take


@pytest.fixture
def taken(app, session, world):
    """A quiz of each kind over two questions, answered by two members: one right, one not."""

    def make(kind):
        with app.test_request_context():
            quiz = make_quiz(session, world.root, make_paper(session, types=("single", "judge")))
            # A topic set has 5 or 10 questions: made as an exam, then turned into one.
            quiz.kind, quiz.attempts_allowed = kind, 0 if kind.is_practice else 2
            session.flush()
            _take(session, quiz, world.member_a, 2, FIXED_NOW)
            _take(session, quiz, world.member_b, 0, FIXED_NOW)
        session.commit()
        return quiz

    return make


def _page(auth, quiz) -> str:
    auth.login("admin")
    return auth.client.get(f"/quizzes/manage/{quiz.id}/report").get_data(as_text=True)


def _book(auth, quiz):
    auth.login("admin")
    response = auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx")
    assert response.status_code == 200
    return response, load_workbook(io.BytesIO(response.data))


def _heading(page: str) -> str:
    return re.search(r'data-testid="report-heading">([^<]+)<', page).group(1).strip()


def test_an_exam_report_shows_pass_rates(auth, taken):
    page = _page(auth, taken(QuizKind.EXAM))
    assert _heading(page) == "考试分析" and "<title>考试分析" in page
    assert 'data-testid="summary-pass-rate"' in page and "各组织通过率" in page
    assert "<th>通过率</th>" in page and 'data-testid="unit-pass-rate"' in page
    assert 'data-testid="item-facility"' in page


def test_a_topic_set_report_is_a_practice_analysis_without_pass_rates(auth, taken):
    page = _page(auth, taken(QuizKind.TOPIC))
    assert _heading(page) == "练习分析" and "<title>练习分析" in page
    assert "通过率" not in page and 'data-testid="unit-pass-rate"' not in page
    assert "各组织答题情况" in page
    basis = re.search(r'data-testid="grade-basis">(.*?)</p>', page, re.S).group(1).strip()
    assert (
        basis
        == "成绩和成绩分布按人统计，每名成员只计一次，成绩按本测试的成绩计算方式确定：取第一次。"
    )
    # Item analysis stays.
    assert len(re.findall(r'data-testid="item-facility"', page)) == 2


def _filename(response) -> str:
    return unquote(response.headers["Content-Disposition"].split("UTF-8''")[1])


def _rows(sheet) -> list[tuple]:
    return [tuple(c for c in row if c is not None) for row in sheet.iter_rows(values_only=True)]


def test_an_exam_workbook_shows_pass_rates(auth, taken):
    response, book = _book(auth, taken(QuizKind.EXAM))
    assert _filename(response) == "党章知识测试-考试分析.xlsx"
    overview, grades, attempts, items, _missing = book.worksheets
    rows = _rows(overview)
    assert ("通过率", 0.5) in rows
    assert ("所属组织", "已评分人数", "通过", "通过率", "已评分的作答") in rows
    assert _rows(grades)[1] == ("成员", "所属组织", "已评分的作答", "最终成绩", "通过")
    assert "通过" in _rows(attempts)[1]
    assert _rows(items)[1] == ("试题", "作答人数", "得分率", "区分度", "建议复核")


def test_a_topic_set_workbook_has_no_pass_rate(auth, taken):
    response, book = _book(auth, taken(QuizKind.TOPIC))
    assert _filename(response) == "党章知识测试-练习分析.xlsx"
    overview, grades, attempts, items, _missing = book.worksheets
    rows = _rows(overview)
    assert not any("通过率" in row or "通过" in row for row in rows)
    assert ("所属组织", "已评分人数", "已评分的作答") in rows
    assert ("平均成绩", 0.5) in rows
    assert _rows(grades)[1] == ("成员", "所属组织", "已评分的作答", "最终成绩")
    assert _rows(grades)[2][-1] == 0  # the grade, with no pass after it
    assert "通过" not in _rows(attempts)[1] and "是" not in _rows(attempts)[2]
    assert _rows(items)[1] == ("试题", "作答人数", "得分率", "区分度", "建议复核")
    assert [row[1] for row in items.iter_rows(min_row=3, values_only=True)] == [2, 2]
