"""The member graded never sets their own grade or feedback, even as the branch's secretary:
another member of the branch committee does, or the unit above, which alone can when the
secretary is the whole committee. Submitting names whose grade is missing and who sets it."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.assessments import grading
from learnapp.assessments.evidence import period_members
from learnapp.assessments.models import AssessmentGrade, AssessmentPeriod, Grade, PointKind, Step
from learnapp.assessments.points import decide_points, propose_points
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.orgs.models import Role
from tests.assessments.helpers import assessment_world, new_period, propose_all
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import refused

NOW = FIXED_NOW


def _everyone(session, period, grade=Grade.QUALIFIED) -> dict:
    return {m.id: (grade, "表现良好") for m in period_members(session, period)}


def _without(sheet: dict, *members) -> dict:
    ids = {m.id for m in members}
    return {member_id: line for member_id, line in sheet.items() if member_id not in ids}


def _with_committee_member(session, world):
    """Branch A with a 委员 beside its secretary."""
    return make_user(
        session,
        unit=world.branch_a,
        username="weiyuan",
        display_name="委员丙",
        roles=((Role.COMMITTEE_MEMBER, world.branch_a),),
    )


# ---- the services ----


@pytest.mark.usefixtures("ctx")
def test_the_secretary_proposing_their_own_grade_is_refused_and_nothing_is_stored(session):
    world, _extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    with refused(f"grade_{world.secretary_a.id}") as error:
        grading.propose_grades(session, world.secretary_a, period, _everyone(session, period), NOW)
    assert "本人的等次不能由本人拟定" in str(error.value.message)
    assert grading.grades_of(session, period) == {}
    assert not session.scalar(
        sa.select(AuditEntry.id).where(AuditEntry.action == "assessment.grades_propose")
    )


@pytest.mark.usefixtures("ctx")
def test_the_unit_above_sets_the_grade_of_a_secretary_who_is_the_whole_committee(session):
    world, _extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    sheet = _everyone(session, period)
    own = world.secretary_a
    grading.propose_grades(session, world.secretary_a, period, _without(sheet, own), NOW)
    assert grading.other_graders(session, period, own.id) == []
    assert "本支部没有其他支委会成员" in str(grading.own_grade_note(session, period, own.id))
    # The unit above's secretary is assessed in branch A too: never their own line either.
    with refused(f"grade_{world.general_secretary.id}"):
        grading.propose_grades(session, world.general_secretary, period, sheet, NOW)
    grading.propose_grades(session, world.general_secretary, period, {own.id: sheet[own.id]}, NOW)
    grade = grading.grades_of(session, period)[own.id]
    assert grade.proposed_by_id == world.general_secretary.id
    assert grading.submit(session, world.secretary_a, period, "", NOW) == Step.FEEDBACK


@pytest.mark.usefixtures("ctx")
def test_another_committee_member_sets_the_secretarys_grade_and_not_their_own(session):
    world, _extras = assessment_world(session)
    colleague = _with_committee_member(session, world)
    period = new_period(session, world, to=Step.COMMITTEE)
    sheet = _everyone(session, period)
    own = world.secretary_a
    assert grading.other_graders(session, period, own.id) == [colleague]
    assert "委员丙" in str(grading.own_grade_note(session, period, own.id))
    with refused(f"grade_{colleague.id}"):
        grading.propose_grades(session, colleague, period, sheet, NOW)
    grading.propose_grades(session, colleague, period, {own.id: sheet[own.id]}, NOW)
    grading.propose_grades(session, own, period, _without(sheet, own), NOW)
    grades = grading.grades_of(session, period)
    assert grades[own.id].proposed_by_id == colleague.id
    assert grades[colleague.id].proposed_by_id == own.id
    assert grading.submit(session, own, period, "", NOW) == Step.FEEDBACK


@pytest.mark.usefixtures("ctx")
def test_submitting_names_the_missing_grades_and_who_sets_the_secretarys(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    sheet = _everyone(session, period)
    own = world.secretary_a
    grading.propose_grades(session, own, period, _without(sheet, own, extras[0]), NOW)
    with pytest.raises(DomainError) as error:
        grading.submit(session, own, period, "", NOW)
    message = str(error.value.message)
    assert own.display_name in message and extras[0].display_name in message
    assert "本支部没有其他支委会成员" in message and "由上级党组织评定" in message
    assert period.step == Step.COMMITTEE
    # The unit above submitting: the names, without a word on its own grade (it has one).
    grading.propose_grades(session, world.general_secretary, period, {own.id: sheet[own.id]}, NOW)
    with pytest.raises(DomainError) as error:
        grading.submit(session, world.general_secretary, period, "", NOW)
    message = str(error.value.message)
    assert message == f"请先为每名党员拟定等次。尚未拟定：{extras[0].display_name}。"


@pytest.mark.usefixtures("ctx")
def test_the_missing_message_names_the_committee_member_who_sets_the_secretarys_grade(session):
    world, _extras = assessment_world(session)
    colleague = _with_committee_member(session, world)
    period = new_period(session, world, to=Step.COMMITTEE)
    own = world.secretary_a
    grading.propose_grades(session, own, period, _without(_everyone(session, period), own), NOW)
    with pytest.raises(DomainError) as error:
        grading.submit(session, own, period, "", NOW)
    assert f"支委会其他成员（{colleague.display_name}）或上级党组织" in str(error.value.message)


@pytest.mark.usefixtures("ctx")
def test_nobody_writes_the_feedback_on_their_own_grade(session):
    world, _extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    propose_all(session, world, period, _everyone(session, period))
    grading.submit(session, world.secretary_a, period, "", NOW)
    own = grading.grades_of(session, period)[world.secretary_a.id]
    with refused("feedback") as error:
        grading.save_feedback(session, world.secretary_a, period, own, "自我表扬")
    assert "本人的反馈意见不能由本人填写" in str(error.value.message)
    assert own.feedback == ""
    grading.save_feedback(session, world.general_secretary, period, own, "继续努力")
    assert own.feedback == "继续努力"


@pytest.mark.usefixtures("ctx")
def test_a_manager_may_propose_points_for_themself_but_another_decides(session):
    world, _extras = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    item = propose_points(
        session,
        world.secretary_a,
        period,
        member_id=world.secretary_a.id,
        kind=PointKind.BONUS,
        points=Decimal(2),
        reason="志愿服务",
        evidence_text="证书",
        now=NOW,
    )
    with pytest.raises(DomainError):
        decide_points(session, world.secretary_a, item, True, NOW)
    assert decide_points(session, world.general_secretary, item, True, NOW).decided_by_id == (
        world.general_secretary.id
    )


# ---- the pages ----


@pytest.fixture
def committee(app, session):
    """Branch A at the committee step; its secretary is its whole committee."""
    with app.test_request_context():
        world, extras = assessment_world(session)
        world.extras = extras
        period = new_period(session, world, to=Step.COMMITTEE)
        session.commit()
        return world, period.id


def _form(session, period_id, *, by, grade="qualified") -> dict:
    reload(session)
    period = session.get(AssessmentPeriod, period_id)
    data = {}
    for member_id in period.ballot_member_ids:
        if by is None or member_id != by.id:
            data[f"grade_{member_id}"] = grade
            data[f"reason_{member_id}"] = "表现良好"
    return data


def _grades(session) -> dict:
    reload(session)
    return {g.member_id: g for g in session.scalars(sa.select(AssessmentGrade))}


def test_the_sheet_shows_the_secretarys_own_row_read_only_with_who_sets_it(
    session, committee, auth
):
    world, period_id = committee
    own = world.secretary_a.id
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}/grades").get_data(as_text=True)
    assert f'name="grade_{own}"' not in page and f'name="reason_{own}"' not in page
    assert f'name="grade_{world.extras[0].id}"' in page
    note = re.search(r'data-testid="own-grade-note">([^<]*)<', page).group(1)
    assert note == "本支部没有其他支委会成员，您本人的等次和反馈意见由上级党组织评定、填写。"


def test_a_posted_own_row_is_refused_and_nothing_is_stored(session, committee, auth):
    _world, period_id = committee
    auth.login("seca")
    response = auth.post(
        f"/assessments/periods/{period_id}/grades", _form(session, period_id, by=None)
    )
    assert response.status_code == 400
    assert "本人的等次不能由本人拟定" in response.get_data(as_text=True)
    assert _grades(session) == {}


def test_the_unit_above_sets_the_secretarys_row_on_the_sheet(session, committee, auth):
    world, period_id = committee
    own = world.secretary_a.id
    auth.login("seca")
    url = f"/assessments/periods/{period_id}/grades"
    assert auth.post(url, _form(session, period_id, by=world.secretary_a)).status_code == 302
    response = auth.post(f"/assessments/periods/{period_id}/submit", {})
    flashed = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    missing = re.search(
        r"尚未拟定：([^。]*)。本支部没有其他支委会成员，您本人的等次和反馈意见由上级", flashed
    )
    assert world.secretary_a.display_name in missing.group(1)
    assert 'data-testid="own-grade-note"' in flashed
    assert own not in _grades(session)
    auth.logout()

    auth.login("gsec")
    page = auth.client.get(url).get_data(as_text=True)
    assert f'name="grade_{own}"' in page
    assert f'name="grade_{world.general_secretary.id}"' not in page
    assert (
        auth.post(url, {f"grade_{own}": "basic", f"reason_{own}": "履职有差距"}).status_code == 302
    )
    grade = _grades(session)[own]
    assert (grade.grade, grade.proposed_by_id) == (Grade.BASIC, world.general_secretary.id)
    auth.logout()

    auth.login("seca")
    assert auth.post(f"/assessments/periods/{period_id}/submit", {}).status_code == 302
    reload(session)
    assert session.get(AssessmentPeriod, period_id).step == Step.FEEDBACK


def test_the_secretary_cannot_write_their_own_feedback_but_the_unit_above_can(
    app, session, committee, auth
):
    world, period_id = committee
    own = world.secretary_a.id
    with app.test_request_context():
        period = session.get(AssessmentPeriod, period_id)
        propose_all(session, world, period, _everyone(session, period))
        grading.submit(session, world.secretary_a, period, "", NOW)
        session.commit()
    grade_id = _grades(session)[own].id
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    assert f'data-testid="feedback-{own}"' not in page
    assert f'data-testid="feedback-{world.extras[0].id}"' in page
    assert 'data-testid="own-feedback-note"' in page
    response = auth.post(f"/assessments/grades/{grade_id}/feedback", {"feedback": "自我表扬"})
    assert response.status_code == 302
    flashed = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "本人的反馈意见不能由本人填写" in flashed
    assert _grades(session)[own].feedback == ""
    auth.logout()

    auth.login("gsec")
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    assert f'data-testid="feedback-{own}"' in page
    auth.post(f"/assessments/grades/{grade_id}/feedback", {"feedback": "继续努力"})
    assert _grades(session)[own].feedback == "继续努力"
