"""The to-do inbox shows secretaries and the unit above which assessment steps are due, and
every member their own open steps."""

import pytest

from learnapp.assessments import ballots, grading
from learnapp.assessments.appraisals import peers_of, save_peer_review, save_self_appraisal
from learnapp.assessments.models import Grade, Step
from learnapp.assessments.steps import advance
from learnapp.inbox import items_for
from learnapp.orgs.models import MemberCategory
from tests.assessments.helpers import assessment_world, grade_everyone, new_period, propose_bonus
from tests.factories import FIXED_NOW, make_user


def _kinds(session, user):
    return {item.kind: item.count for item in items_for(session, user)}


@pytest.mark.usefixtures("ctx")
def test_committee_approval_and_feedback_are_due_for_the_right_people(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    assert _kinds(session, world.secretary_a)["assessment-committee"] == 1
    assert "assessment-committee" not in _kinds(session, world.member_b)
    grade_everyone(session, world, period, extras, excellent=[extras[0]], reason="好")
    grading.submit(session, world.secretary_a, period, "", FIXED_NOW)
    assert _kinds(session, world.general_secretary)["assessment-approval"] == 1
    assert "assessment-approval" not in _kinds(session, world.secretary_a)


@pytest.mark.usefixtures("ctx")
def test_a_draft_period_is_due_for_its_secretary_until_it_opens(session):
    world, _ = assessment_world(session)
    period = new_period(session, world)
    assert _kinds(session, world.secretary_a)["assessment-draft"] == 1
    assert "assessment-draft" not in _kinds(session, world.member_a)
    advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
    assert "assessment-draft" not in _kinds(session, world.secretary_a)


@pytest.mark.usefixtures("ctx")
def test_point_items_are_due_for_managers_other_than_the_proposer(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    propose_bonus(session, world, period, extras[0])
    assert "assessment-points" not in _kinds(session, world.secretary_a)
    assert _kinds(session, world.general_secretary)["assessment-points"] == 1


@pytest.mark.usefixtures("ctx")
def test_feedback_is_due_after_the_proposals_need_no_more_approval(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    grade_everyone(session, world, period, extras, reason="好")
    assert grading.submit(session, world.secretary_a, period, "", FIXED_NOW) == Step.FEEDBACK
    kinds = _kinds(session, world.secretary_a)
    assert kinds["assessment-feedback"] == 1 and "assessment-committee" not in kinds


@pytest.mark.usefixtures("ctx")
def test_the_point_items_line_opens_the_points_page_of_the_period(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    propose_bonus(session, world, period, extras[0])
    (line,) = [
        i for i in items_for(session, world.general_secretary) if i.kind == "assessment-points"
    ]
    assert line.url == f"/assessments/periods/{period.id}/points"


@pytest.mark.usefixtures("ctx")
def test_a_member_is_asked_for_each_open_step_of_theirs_until_done(session):
    world, extras = assessment_world(session)
    member = extras[0]
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    line = {i.kind: i for i in items_for(session, member)}["assessment-self"]
    assert line.count == 1 and line.url == f"/assessments/periods/{period.id}/self"
    save_self_appraisal(session, member, period, "认真学习", FIXED_NOW)
    assert "assessment-self" not in _kinds(session, member)

    advance(session, world.secretary_a, period, FIXED_NOW)
    peers = peers_of(session, period, member)
    assert _kinds(session, member)["assessment-peers"] == len(peers)
    save_peer_review(session, member, period, peers[0].id, "积极", FIXED_NOW)
    assert _kinds(session, member)["assessment-peers"] == len(peers) - 1

    advance(session, world.secretary_a, period, FIXED_NOW)
    assert _kinds(session, member) == {"assessment-ballot": 1}
    subjects = ballots.ballot_subjects(session, period)
    ballots.cast_ballot(session, member, period, {m.id: Grade.QUALIFIED for m in subjects})
    assert _kinds(session, member) == {}


@pytest.mark.usefixtures("ctx")
def test_no_step_line_for_someone_not_assessed_or_a_period_still_in_draft(session):
    world, extras = assessment_world(session)
    masses = make_user(session, unit=world.branch_a, username="qz", category=MemberCategory.MASSES)
    period = new_period(session, world)
    assert "assessment-self" not in _kinds(session, extras[0])
    advance(session, world.secretary_a, period, FIXED_NOW)
    assert "assessment-self" not in _kinds(session, masses)
    assert "assessment-self" not in _kinds(session, world.member_b)


def test_a_member_sees_an_open_step_on_the_home_page_and_in_the_inbox(app, session, auth):
    with app.test_request_context():
        world, _extras = assessment_world(session)
        make_user(session, unit=world.branch_a, username="memx")
        period_id = new_period(session, world, to=Step.SELF_APPRAISAL).id
        session.commit()
    auth.login("memx")
    home = auth.client.get("/").get_data(as_text=True)
    assert 'data-testid="home-inbox"' in home and 'data-testid="inbox-assessment-self"' in home
    assert "填写2026年个人自评" in home
    url = f"/assessments/periods/{period_id}/self"
    assert f'href="{url}"' in auth.client.get("/inbox").get_data(as_text=True)
    assert auth.post(url, {"text": "认真学习理论"}).status_code == 302
    assert 'data-testid="home-inbox"' not in auth.client.get("/").get_data(as_text=True)
    assert 'data-testid="inbox-empty"' in auth.client.get("/inbox").get_data(as_text=True)
