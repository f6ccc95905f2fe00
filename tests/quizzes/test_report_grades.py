"""The exam report counts members, not attempts: each member once, with the grade the quiz's
grading method gives them, on the page and in the workbook alike."""

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from learnapp.question_bank.models import QuestionStatus
from learnapp.question_bank.services import add_question
from learnapp.quizzes.analysis import UnitPassRate, quiz_report
from learnapp.quizzes.models import GradingMethod
from learnapp.quizzes.queries import exam_results
from learnapp.web import LANG_COOKIE
from tests.factories import FIXED_NOW, make_user
from tests.question_bank.factories import single_draft
from tests.quizzes.helpers import make_paper, make_quiz
from tests.quizzes.test_queries import _take

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
# Questions right per attempt, in order: three equally weighted questions, so 1 → 33.33%,
# 2 → 66.67%, 3 → 100% against a pass mark of 60%.
TAKES = {"x": (1, 3, 2), "z": (2, 0), "w": (0,), "y": (3,)}
# Per method: each member's grade (an average of percentages, rounded half up).
EXPECTED = {
    GradingMethod.HIGHEST: {"x": "100.00", "z": "66.67", "w": "0.00", "y": "100.00"},
    GradingMethod.FIRST: {"x": "33.33", "z": "66.67", "w": "0.00", "y": "100.00"},
    GradingMethod.LAST: {"x": "66.67", "z": "0.00", "w": "0.00", "y": "100.00"},
    GradingMethod.AVERAGE: {"x": "66.67", "z": "33.34", "w": "0.00", "y": "100.00"},
}


def _graded_quiz(session, world, method):
    """x, z and w of 甲支部 and y (乙支部's member) take the exam as TAKES says."""
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
    quiz = make_quiz(session, world.root, paper, grading_method=method, attempts_allowed=3)
    members = {
        "x": make_user(session, unit=world.branch_a, display_name="党员X"),
        "z": make_user(session, unit=world.branch_a, display_name="党员Z"),
        "w": make_user(session, unit=world.branch_a, display_name="党员W"),
        "y": world.member_b,
    }
    for key, takes in TAKES.items():
        for hours, right in enumerate(takes):
            _take(session, quiz, members[key], right, FIXED_NOW + timedelta(hours=hours))
    return quiz, members


def _bands(grades) -> list[int]:
    bands = [0] * 10
    for grade in grades:
        bands[min(int(Decimal(grade) // 10), 9)] += 1
    return bands


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("method", list(GradingMethod))
def test_the_report_counts_each_member_once_by_the_grading_method(session, world, method):
    quiz, members = _graded_quiz(session, world, method)
    expected = EXPECTED[method]
    report = quiz_report(session, world.admin, quiz)
    assert (report.attempts, report.graded) == (7, 7)  # attempts stay attempts
    grades = {r.member.id: r.grade for r in report.results}
    assert {key: str(grades[m.id].percent) for key, m in members.items()} == expected
    passed = {key for key, grade in expected.items() if Decimal(grade) >= 60}
    assert {key for key, m in members.items() if grades[m.id].passed} == passed
    # Counted by attempt, 4 of the 7 attempts pass: never what any method gives.
    assert report.pass_rate == len(passed) / 4
    assert report.distribution == _bands(expected.values())
    assert report.mean_percent == pytest.approx(sum(float(g) for g in expected.values()) / 4)
    in_a = len(passed - {"y"})
    assert report.by_unit == [UnitPassRate("乙支部", 1, 1, 1), UnitPassRate("甲支部", 3, in_a, 6)]
    # The grade is the one the member's exam results carry (assessments read those).
    for member in members.values():
        (result,) = exam_results(session, [member.id], START, END)[member.id]
        assert (result.percent, result.passed) == tuple(grades[member.id][:2])


@pytest.mark.usefixtures("ctx")
def test_a_secretary_counts_the_members_of_their_subtree_only(session, world):
    quiz, _members = _graded_quiz(session, world, GradingMethod.LAST)
    report = quiz_report(session, world.secretary_a, quiz)
    assert (report.attempts, len(report.results), report.pass_rate) == (6, 3, 1 / 3)
    assert [row.name for row in report.by_unit] == ["甲支部"]


def test_the_page_and_the_workbook_give_the_same_members_figures(app, session, auth, world):
    with app.test_request_context():
        quiz, members = _graded_quiz(session, world, GradingMethod.LAST)
    session.commit()
    auth.login("memb")
    assert auth.client.get(f"/quizzes/manage/{quiz.id}/report").status_code == 403
    assert auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx").status_code == 403
    auth.logout()
    auth.login("admin")
    auth.client.set_cookie(LANG_COOKIE, "en")
    page = auth.client.get(f"/quizzes/manage/{quiz.id}/report").get_data(as_text=True)
    figures = dict(re.findall(r'data-testid="summary-([a-z-]+)">([^<]+)<', page))
    assert figures == {
        "attempts": "7",
        "graded": "7",
        "members": "4",
        "mean": "41.7%",
        "pass-rate": "50%",
    }
    assert "grading method gives them: Last attempt." in page.replace("&#39;", "'")
    distribution = page[page.index('data-testid="distribution"') :]
    counts = re.findall(r"<td>(\d+)</td>", distribution[: distribution.index("</table>")])
    assert [int(c) for c in counts] == [2, 0, 0, 0, 0, 0, 1, 0, 0, 1]
    units = re.findall(
        r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td>"
        r'<td data-testid="unit-pass-rate">([^<]+)</td><td>(\d+)</td></tr>',
        page,
    )
    assert units == [("乙支部", "1", "1", "100.0%", "1"), ("甲支部", "3", "1", "33.3%", "6")]

    response = auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx")
    assert response.status_code == 200
    overview, grades, attempts, _items, _missing = load_workbook(io.BytesIO(response.data))
    rows = list(overview.iter_rows(min_row=2, values_only=True))
    assert rows[0][:2] == ("Grading method", "Last attempt")
    assert [row[:2] for row in rows[1:6]] == [
        ("Attempts", 7),
        ("Graded attempts", 7),
        ("Members graded", 4),
        ("Mean grade", 0.4167),
        ("Pass rate", 0.5),
    ]
    assert [overview.cell(r, 2).number_format for r in (6, 7)] == ["0.00%", "0.0%"]
    band_row = next(i for i, row in enumerate(rows) if row[0] == "Distribution of members' grades")
    assert rows[band_row][1:] == ("0–10%", *(f"{n}0–{n + 1}0%" for n in range(1, 10)))
    assert list(rows[band_row + 1][1:]) == [2, 0, 0, 0, 0, 0, 1, 0, 0, 1]
    # The units, then the note on which unit an attempt counts in.
    assert [row[:5] for row in rows[-3:-1]] == [
        ("乙支部", 1, 1, 1.0, 1),
        ("甲支部", 3, 1, 0.3333, 6),
    ]
    assert rows[-1][0].startswith("Each attempt counts in the unit its member belonged to")
    assert {overview.cell(overview.max_row - n, 4).number_format for n in (1, 2)} == {"0.0%"}
    by_member = {row[0]: row for row in grades.iter_rows(min_row=3, values_only=True)}
    assert by_member["党员X"] == ("党员X", "甲支部", 3, 0.6667, "Yes")
    assert by_member["党员Z"] == ("党员Z", "甲支部", 2, 0, "No")
    assert {
        cell.number_format for (cell,) in grades.iter_rows(min_row=3, min_col=4, max_col=4)
    } == {"0.00%"}
    assert len(by_member) == 4
    # The attempts sheet still has every attempt, each with its own pass.
    assert len(list(attempts.iter_rows(min_row=3))) == 7

    auth.logout()
    auth.login("seca")  # 甲支部's secretary: 甲支部's members only, in both
    auth.client.set_cookie(LANG_COOKIE, "en")
    page = auth.client.get(f"/quizzes/manage/{quiz.id}/report").get_data(as_text=True)
    assert 'data-testid="summary-members">3<' in page
    assert 'data-testid="summary-pass-rate">33%<' in page
    book = load_workbook(io.BytesIO(auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx").data))
    assert book.worksheets[0].cell(5, 2).value == 3
    assert members["y"].display_name not in {
        row[0] for row in book.worksheets[1].iter_rows(min_row=3, values_only=True)
    }
