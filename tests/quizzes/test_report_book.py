"""The exam report's points and percentages: a score is its points next to the full marks, and
every percentage is a fraction in a percentage-formatted cell, on the page's wording."""

import io
import re
from decimal import Decimal

from openpyxl import load_workbook

from learnapp.quizzes import attempts as svc
from tests.factories import FIXED_NOW, make_user
from tests.quizzes.helpers import make_paper, make_quiz
from tests.quizzes.test_queries import _take


def _five_of_24(session, world):
    """member_a scores 5 of 24 points (the single choice right, the judgement wrong); another
    member of 甲支部 has an attempt in progress."""
    paper = make_paper(session, types=("single", "judge"))
    single, judge = paper.questions
    single.current_version.points = Decimal("5")
    judge.current_version.points = Decimal("19")
    session.flush()
    quiz = make_quiz(session, world.root, paper)
    _take(session, quiz, world.member_a, 1, FIXED_NOW)
    svc.start_attempt(
        session, make_user(session, unit=world.branch_a, display_name="作答中"), quiz, FIXED_NOW
    )
    session.commit()
    return quiz


def _columns(sheet, header_row: int = 2) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[header_row] if cell.value}


def test_the_attempts_sheet_gives_points_full_marks_and_a_formatted_percentage(
    app, session, auth, world
):
    with app.test_request_context():
        quiz = _five_of_24(session, world)
    auth.login("admin")
    response = auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx")  # in Chinese
    assert response.status_code == 200
    overview, grades, attempts, items, _missing = load_workbook(io.BytesIO(response.data))

    columns = _columns(attempts)
    assert list(columns)[4:7] == ["得分", "满分", "得分率"]
    rows = {row[0].value: row for row in attempts.iter_rows(min_row=3)}
    scored = rows[world.member_a.display_name]
    points, full, percent = (scored[columns[name] - 1] for name in ("得分", "满分", "得分率"))
    assert (points.value, full.value, percent.value) == (5, 24, 0.2083)
    assert points.number_format == full.number_format == "General"
    assert percent.number_format == "0.00%"
    started = rows["作答中"]
    assert [started[columns[name] - 1].value for name in ("得分", "满分", "得分率")] == [
        None,
        24,
        None,
    ]

    # The member's grade and the mean are that same fraction, formatted alike; the pass rate
    # and the facility are fractions too.
    (member_row,) = grades.iter_rows(min_row=3)
    assert member_row[3].value == 0.2083 and member_row[3].number_format == "0.00%"
    assert _columns(grades)["最终成绩"] == 4
    summary = {row[0].value: row[1] for row in overview.iter_rows(min_row=3, max_row=7)}
    assert (summary["平均成绩"].value, summary["平均成绩"].number_format) == (0.2083, "0.00%")
    assert (summary["通过率"].value, summary["通过率"].number_format) == (0, "0.0%")
    facilities = [(row[2].value, row[2].number_format) for row in items.iter_rows(min_row=3)]
    assert facilities == [(1, "0.0%"), (0, "0.0%")]
    # No percentage left as percentage points anywhere: no number above 1 carries a % format.
    for sheet in (overview, grades, attempts, items):
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                if isinstance(cell.value, float) and "%" in cell.number_format:
                    assert 0 <= cell.value <= 1


def test_the_page_uses_the_workbooks_wording_and_figures(app, session, auth, world):
    with app.test_request_context():
        quiz = _five_of_24(session, world)
    auth.login("admin")
    page = auth.client.get(f"/quizzes/manage/{quiz.id}/report").get_data(as_text=True)
    table = page[page.index('data-testid="report-attempts"') :]
    assert re.findall(r"<th>([^<]+)</th>", table[: table.index("</thead>")])[3:6] == [
        "得分",
        "满分",
        "得分率",
    ]
    rows = {
        name: re.findall(r'data-testid="attempt-[a-z-]+">([^<]+)<', row)
        for name, row in re.findall(
            r'data-testid="report-attempt"[^>]*><td>([^<]+)</td>(.*?)</tr>', table
        )
    }
    assert rows == {world.member_a.display_name: ["5", "24", "20.83%"], "作答中": ["—", "24", "—"]}
    assert re.findall(r'data-testid="item-facility">([^<]+)<', page) == ["100.0%", "0.0%"]
    assert ">0–10%<" in page and ">90–100%<" in page
