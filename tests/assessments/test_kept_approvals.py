"""Saving the grade sheet again keeps the unit above's decisions on the grades it leaves as they
are; a changed grade or reason loses its decision, in the audit log, and waits again."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.assessments import grading
from learnapp.assessments.models import Approval, AssessmentPeriod, Grade, Step
from learnapp.audit.models import AuditEntry
from tests.assessments.helpers import assessed_members, assessment_world, new_period, propose_all
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.orglife.factories import refused

NOW = FIXED_NOW
LATER = FIXED_NOW + timedelta(hours=1)


def _sheet(world, extras) -> dict:
    """The tester's sheet: five excellent, one unqualified, the rest qualified."""
    members = assessed_members(world, extras)
    sheet = {m.id: (Grade.EXCELLENT, "带头作用突出") for m in members[:5]}
    sheet[members[5].id] = (Grade.UNQUALIFIED, "长期不参加组织生活")
    sheet.update({m.id: (Grade.QUALIFIED, "表现良好") for m in members[6:]})
    return sheet


def _returned(session, world, extras):
    """The sheet submitted; the unit above approved the five excellent with "同意" and returned
    the unqualified one: the period is back at the committee."""
    period = new_period(session, world, to=Step.COMMITTEE)
    sheet = _sheet(world, extras)
    propose_all(session, world, period, sheet, NOW)
    assert grading.submit(session, world.secretary_a, period, "先进集体", NOW) == Step.APPROVAL
    grades = grading.grades_of(session, period)
    unqualified = next(g for g in grades.values() if g.grade == Grade.UNQUALIFIED)
    for grade in grades.values():
        if grade.grade == Grade.EXCELLENT:
            grading.decide(session, world.admin, period, grade, True, "同意", NOW)
    step = grading.decide(session, world.admin, period, unqualified, False, "依据不足", NOW)
    assert step == Step.COMMITTEE
    return period, sheet, unqualified.member_id


def _last_proposal(session) -> AuditEntry:
    return session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "assessment.grades_propose")
        .order_by(AuditEntry.id.desc())
    ).first()


@pytest.mark.usefixtures("ctx")
def test_saving_the_sheet_keeps_the_approvals_of_the_grades_left_as_they_are(session):
    world, extras = assessment_world(session)
    period, sheet, returned_id = _returned(session, world, extras)
    sheet[returned_id] = (Grade.BASIC, "改为基本合格")
    propose_all(session, world, period, sheet, LATER)
    grades = grading.grades_of(session, period)
    excellent = [g for g in grades.values() if g.grade == Grade.EXCELLENT]
    assert len(excellent) == 5
    for grade in excellent:
        assert (grade.approval, grade.decided_by_id, grade.decision_note) == (
            Approval.APPROVED,
            world.admin.id,
            "同意",
        )
        assert grade.decided_at == NOW and grade.proposed_at == NOW
    changed = grades[returned_id]
    assert (changed.approval, changed.decided_by_id, changed.decided_at) == (
        Approval.NOT_NEEDED,
        None,
        None,
    )
    assert changed.decision_note == "" and changed.proposed_at == LATER
    # Only the changed grade is logged, with the decision it lost.
    key = str(returned_id)
    entry = _last_proposal(session)
    assert entry.before == {
        key: {
            "grade": "unqualified",
            "reason": "长期不参加组织生活",
            "approval": "rejected",
            "note": "依据不足",
        }
    }
    assert entry.after == {
        key: {"grade": "basic", "reason": "改为基本合格", "approval": "not_needed"}
    }
    # Nothing waits for the unit above any more: the proposals go straight to feedback.
    assert grading.submit(session, world.secretary_a, period, "先进集体", LATER) == Step.FEEDBACK
    assert all(g.approval == Approval.APPROVED for g in excellent)


@pytest.mark.usefixtures("ctx")
def test_a_changed_reason_loses_the_approval_and_only_it_waits_again(session):
    world, extras = assessment_world(session)
    period, sheet, returned_id = _returned(session, world, extras)
    star = world.secretary_a.id
    sheet[star] = (Grade.EXCELLENT, "理由已补充")
    propose_all(session, world, period, sheet, LATER)
    key = str(star)
    entry = _last_proposal(session)
    assert entry.before == {
        key: {
            "grade": "excellent",
            "reason": "带头作用突出",
            "approval": "approved",
            "note": "同意",
        }
    }
    assert entry.after[key]["approval"] == "not_needed"
    assert grading.submit(session, world.secretary_a, period, "先进集体", LATER) == Step.APPROVAL
    grades = grading.grades_of(session, period)
    waiting = {m for m, g in grades.items() if g.approval == Approval.PENDING}
    # The changed one, and the returned one the committee sends again unchanged.
    assert waiting == {star, returned_id}
    assert sum(g.approval == Approval.APPROVED for g in grades.values()) == 4


@pytest.mark.usefixtures("ctx")
def test_the_same_sheet_saved_again_changes_nothing_and_logs_nothing(session):
    world, extras = assessment_world(session)
    period, sheet, _returned_id = _returned(session, world, extras)
    logged = _last_proposal(session).id
    propose_all(session, world, period, sheet, LATER)
    assert _last_proposal(session).id == logged
    grades = grading.grades_of(session, period).values()
    assert sum(g.approval == Approval.APPROVED for g in grades) == 5
    assert sum(g.approval == Approval.REJECTED for g in grades) == 1


@pytest.mark.usefixtures("ctx")
def test_a_bad_line_keeps_every_approval(session):
    world, extras = assessment_world(session)
    period, sheet, returned_id = _returned(session, world, extras)
    star = world.secretary_a.id
    sheet[star] = (Grade.QUALIFIED, "改")
    sheet[returned_id] = (Grade.BASIC, " ")
    with refused(f"reason_{returned_id}"):
        propose_all(session, world, period, sheet, LATER)
    grades = grading.grades_of(session, period)
    assert grades[star].approval == Approval.APPROVED and grades[star].decision_note == "同意"


@pytest.fixture
def returned(app, session):
    with app.test_request_context():
        world, extras = assessment_world(session)
        period, sheet, returned_id = _returned(session, world, extras)
        session.commit()
        return world, period.id, sheet, returned_id


def _form(sheet, world) -> dict:
    """The sheet as the branch's secretary sends it: every row but their own."""
    data = {}
    for member_id, (grade, reason) in sheet.items():
        if member_id == world.secretary_a.id:
            continue
        data[f"grade_{member_id}"] = grade.value
        data[f"reason_{member_id}"] = reason
    return data


def _approved(session, period_id) -> int:
    reload(session)
    period = session.get(AssessmentPeriod, period_id)
    grades = grading.grades_of(session, period).values()
    return sum(g.approval == Approval.APPROVED for g in grades)


def test_the_grade_sheet_shows_the_kept_decision_and_keeps_it_on_save(app, session, returned, auth):
    world, period_id, sheet, returned_id = returned
    url = f"/assessments/periods/{period_id}/grades"
    auth.login("seca")
    page = auth.client.get(url).get_data(as_text=True)
    decision = page.split(f'data-testid="grade-decision-{world.secretary_a.id}"')[1]
    assert "同意" in decision.split("</div>")[0]
    returned_row = page.split(f'data-testid="grade-decision-{returned_id}"')[1]
    assert "依据不足" in returned_row.split("</div>")[0]
    sheet[returned_id] = (Grade.BASIC, "改为基本合格")
    assert auth.post(url, _form(sheet, world)).status_code == 302
    assert _approved(session, period_id) == 5
    page = auth.client.get(url).get_data(as_text=True)
    assert f'data-testid="grade-decision-{returned_id}"' not in page
    assert f'data-testid="grade-decision-{world.secretary_a.id}"' in page


def test_the_grade_sheet_refuses_members_and_bad_lines_and_keeps_the_approvals(
    app, session, returned, auth
):
    world, period_id, sheet, returned_id = returned
    url = f"/assessments/periods/{period_id}/grades"
    changed = {**sheet, world.general_secretary.id: (Grade.QUALIFIED, "改")}
    auth.login("ext1")  # a member of the branch, not a manager
    assert auth.post(url, _form(changed, world)).status_code == 403
    auth.logout()
    auth.login("seca")
    bad = _form(changed, world)
    bad[f"reason_{returned_id}"] = ""
    response = auth.post(url, bad)
    assert response.status_code == 400
    assert "请填写每个等次的评定理由" in response.get_data(as_text=True)
    assert _approved(session, period_id) == 5
