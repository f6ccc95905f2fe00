"""A report counts each attempt in the unit its member was in when they started it (the
transfer history), so a branch keeps the attempts of members who have moved away since and
does not take over those of members who joined it afterwards."""

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from learnapp.orgs.services import move_member
from learnapp.quizzes.analysis import UnitPassRate, attempts_for_report, quiz_report
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz
from tests.quizzes.test_queries import _take

LATER = FIXED_NOW + timedelta(hours=2)


@pytest.fixture
def quiz(ctx, session, world):
    """An exam each member has taken once, before anyone moved."""
    quiz = make_quiz(session, world.root, make_paper(session, types=("single", "judge")))
    _take(session, quiz, world.member_a, 2, FIXED_NOW)
    _take(session, quiz, world.member_b, 0, FIXED_NOW)
    return quiz


def _swap(session, world, at=FIXED_NOW + timedelta(hours=1)):
    """member_a moves from 甲第一党小组 to 乙支部, member_b from 乙支部 to 甲支部."""
    move_member(session, world.admin, world.member_a, world.branch_b, reason="工作调动", now=at)
    move_member(session, world.admin, world.member_b, world.branch_a, reason="工作调动", now=at)


def test_a_branch_keeps_the_attempts_of_members_who_moved_away(session, world, quiz):
    _swap(session, world)
    report = quiz_report(session, world.secretary_a, quiz)
    assert [r.member.id for r in report.results] == [world.member_a.id]
    assert report.by_unit == [UnitPassRate("甲第一党小组", 1, 1, 1)]
    attempts = attempts_for_report(session, world.secretary_a, quiz)
    assert [a.member_id for a in attempts] == [world.member_a.id]


def test_the_whole_organisation_counts_each_attempt_where_it_was_taken(session, world, quiz):
    _swap(session, world)
    report = quiz_report(session, world.admin, quiz)
    assert report.by_unit == [
        UnitPassRate("乙支部", 1, 0, 1),
        UnitPassRate("甲第一党小组", 1, 1, 1),
    ]
    assert {report.units[a.id].name for a in attempts_for_report(session, world.admin, quiz)} == {
        "乙支部",
        "甲第一党小组",
    }


def test_an_attempt_after_the_move_counts_in_the_new_unit(session, world, quiz):
    _swap(session, world)
    _take(session, quiz, world.member_a, 2, LATER)  # now in 乙支部
    report = quiz_report(session, world.admin, quiz)
    by_member = {r.member.id: r for r in report.results}
    # The member's grade counts where their latest graded attempt was taken.
    assert by_member[world.member_a.id].unit.name == "乙支部"
    assert sorted(
        report.units[a.id].name for a in attempts_for_report(session, world.admin, quiz)
    ) == [
        "乙支部",
        "乙支部",
        "甲第一党小组",
    ]
    # 甲支部 keeps the first attempt only; the second is 乙支部's.
    branch_a = quiz_report(session, world.secretary_a, quiz)
    assert branch_a.attempts == 1 and branch_a.by_unit == [UnitPassRate("甲第一党小组", 1, 1, 1)]


def test_an_attempt_taken_in_the_same_instant_as_a_move_counts_in_the_new_unit(
    session, world, quiz
):
    _swap(session, world, at=LATER)
    _take(session, quiz, world.member_a, 0, LATER)
    units = quiz_report(session, world.admin, quiz).units
    latest = attempts_for_report(session, world.admin, quiz)[0]
    assert latest.member_id == world.member_a.id and units[latest.id].name == "乙支部"


def test_the_page_and_export_name_the_unit_the_attempt_was_taken_in(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(session, world.root, make_paper(session, types=("single", "judge")))
        _take(session, quiz, world.member_a, 2, FIXED_NOW)
        _swap(session, world)
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/quizzes/manage/{quiz.id}/report").get_data(as_text=True)
    assert world.member_a.display_name in page
    basis = re.search(r'data-testid="unit-basis">([^<]+)<', page).group(1)
    assert "开始作答时所在的组织" in basis and "各组织按现行隶属关系汇总。" in basis
    response = auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx")
    overview, grades, attempts, *_ = load_workbook(io.BytesIO(response.data)).worksheets
    assert (grades["A3"].value, grades["B3"].value) == (world.member_a.display_name, "甲第一党小组")
    assert attempts["B3"].value == "甲第一党小组"
    notes = [row[0] for row in overview.iter_rows(values_only=True) if row[0]]
    assert any("开始作答时所在的组织" in note for note in notes)
