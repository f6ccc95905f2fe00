"""A committee member's own row on the committee's pages: marked as theirs with who sets its
grade, never counted as a task of theirs (the sheet's missing count, the inbox), its reference
score as their own dossier shows it, and no peer appraisal about them in their own dossier."""

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.assessments import grading
from learnapp.assessments.appraisals import save_peer_review
from learnapp.assessments.disclosure import committee_scores
from learnapp.assessments.evidence import period_members
from learnapp.assessments.models import AssessmentPeriod, Dossier, Grade, Step
from learnapp.inbox import items_for
from learnapp.quizzes.models import ReleasePolicy
from tests.assessments.helpers import assessment_world, new_period, propose_all
from tests.assessments.test_own_dossier import _exams
from tests.conftest import reload
from tests.factories import FIXED_NOW

NOW = FIXED_NOW


def _kinds(session, user) -> dict:
    return {item.kind: item.count for item in items_for(session, user)}


def _sheet(session, period, *, but=(), grade=Grade.QUALIFIED) -> dict:
    skip = {m.id for m in but}
    return {m.id: (grade, "表现良好") for m in period_members(session, period) if m.id not in skip}


@pytest.fixture
def world(app, session):
    with app.test_request_context():
        world, extras = assessment_world(session)
        world.extras = extras
        session.commit()
    return world


def _page(auth, url) -> str:
    response = auth.client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_period_page_marks_the_own_row_and_leaves_it_out_of_the_missing_count(
    app, session, world, auth
):
    with app.test_request_context():
        period = new_period(session, world, to=Step.COMMITTEE)
        own = world.secretary_a
        grading.propose_grades(session, own, period, _sheet(session, period, but=[own]), NOW)
        session.commit()
        period_id, total = period.id, len(period_members(session, period))
    auth.login("seca")
    page = _page(auth, f"/assessments/periods/{period_id}")
    row = page[page.index(f'data-testid="member-row-{own.id}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-testid="own-row"' in row and 'data-testid="own-row-note"' in row
    assert "本支部没有其他支委会成员，您本人的等次和反馈意见由上级党组织评定、填写。" in row
    assert page.count('data-testid="own-row"') == 1
    count = re.search(r'data-testid="missing-count">([^<]*)<', page).group(1)
    assert count == f"除您本人外，共 {total} 名党员中还有 0 名未拟定等次；拟评优秀 0 名。"
    auth.logout()
    # The unit above proposes it: for them it is a missing grade like any other.
    auth.login("gsec")
    page = _page(auth, f"/assessments/periods/{period_id}")
    count = re.search(r'data-testid="missing-count">([^<]*)<', page).group(1)
    assert count == f"共 {total} 名党员，还有 1 名未拟定等次；拟评优秀 0 名。"
    row = page[page.index(f'data-testid="member-row-{own.id}"') :]
    assert 'data-testid="own-row"' not in row[: row.index("</tr>")]


def test_the_grade_sheet_marks_the_own_row(session, world, auth, app):
    with app.test_request_context():
        period_id = new_period(session, world, to=Step.COMMITTEE).id
        session.commit()
    auth.login("seca")
    page = _page(auth, f"/assessments/periods/{period_id}/grades")
    assert page.count('data-testid="own-row"') == 1
    own_row = page[page.index('data-testid="own-row"') :]
    assert 'data-testid="own-grade-note"' in own_row[: own_row.index('data-testid="grade-row"')]


@pytest.mark.usefixtures("ctx")
def test_a_period_waiting_only_for_the_viewers_own_grade_is_not_their_task(session, world):
    period = new_period(session, world, to=Step.COMMITTEE)
    own = world.secretary_a
    assert _kinds(session, own)["assessment-committee"] == 1
    grading.propose_grades(session, own, period, _sheet(session, period, but=[own]), NOW)
    assert "assessment-committee" not in _kinds(session, own)
    assert _kinds(session, world.general_secretary)["assessment-committee"] == 1
    sheet = _sheet(session, period)
    grading.propose_grades(session, world.general_secretary, period, {own.id: sheet[own.id]}, NOW)
    # Everything proposed: submitting is the secretary's to do again.
    assert _kinds(session, own)["assessment-committee"] == 1


@pytest.mark.usefixtures("ctx")
def test_the_unit_above_is_not_asked_to_approve_its_own_grade_or_its_own_proposal(session, world):
    period = new_period(session, world, to=Step.COMMITTEE)
    gsec, own = world.general_secretary, world.secretary_a
    sheet = _sheet(session, period)
    sheet[gsec.id] = (Grade.EXCELLENT, "成绩突出")  # proposed by the branch's secretary
    sheet[own.id] = (Grade.EXCELLENT, "履职尽责")  # proposed by gsec
    sheet[world.extras[0].id] = (Grade.UNQUALIFIED, "长期不参加组织生活")
    propose_all(session, world, period, sheet)
    assert grading.submit(session, own, period, "", NOW) == Step.APPROVAL
    assert _kinds(session, gsec)["assessment-approval"] == 1  # the extra's only
    assert _kinds(session, world.admin)["assessment-approval"] == 3


def _frozen_with_withheld_own_exam(app, session, world) -> int:
    with app.test_request_context():
        _exams(session, world, world.secretary_a, ReleasePolicy.NEVER)
        period = new_period(session, world, to=Step.COMMITTEE)
        session.commit()
        return period.id


def test_the_own_reference_score_reads_as_the_own_dossier_shows_it(app, session, world, auth):
    period_id = _frozen_with_withheld_own_exam(app, session, world)
    own = world.secretary_a
    reload(session)
    period = session.get(AssessmentPeriod, period_id)
    total = session.scalar(
        sa.select(Dossier.score).where(Dossier.period_id == period_id, Dossier.member_id == own.id)
    )
    scores = committee_scores(session, period, own, NOW)
    assert scores[own.id] is None and scores[world.extras[0].id] is not None
    assert committee_scores(session, period, world.general_secretary, NOW)[own.id] == total
    auth.login("seca")
    page = _page(auth, f"/assessments/periods/{period_id}")
    assert re.search(rf'data-testid="score-{own.id}">([^<]*)<', page).group(1) == "暂不显示"
    sheet = _page(auth, f"/assessments/periods/{period_id}/grades")
    evidence = sheet[sheet.index(f'data-testid="grade-evidence-{own.id}"') :]
    assert "参考分：暂不显示" in evidence[: evidence.index("</div>")]
    response = auth.client.get(f"/assessments/periods/{period_id}/results.xlsx")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert [row[3] for row in rows if row[0] == own.display_name] == ["暂不显示"]
    auth.logout()
    auth.login("gsec")
    page = _page(auth, f"/assessments/periods/{period_id}")
    assert re.search(rf'data-testid="score-{own.id}">([^<]*)<', page).group(1) == str(total)


def test_a_secretarys_own_dossier_leaves_out_the_peer_appraisals_about_them(
    app, session, world, auth
):
    with app.test_request_context():
        period = new_period(session, world, to=Step.PEER_REVIEW)
        save_peer_review(session, world.extras[0], period, world.secretary_a.id, "作风扎实", NOW)
        session.commit()
        period_id = period.id
    url = f"/assessments/periods/{period_id}/dossiers/{world.secretary_a.id}"
    auth.login("seca")
    page = _page(auth, url)
    assert 'data-testid="dossier-peer-reviews"' not in page and "作风扎实" not in page
    auth.logout()
    auth.login("gsec")
    page = _page(auth, url)
    assert 'data-testid="dossier-peer-reviews"' in page and "作风扎实" in page
