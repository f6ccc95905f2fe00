"""The to-do inbox shows secretaries and the unit above which assessment steps are due."""

from decimal import Decimal

import pytest

from learnapp.assessments import grading
from learnapp.assessments.models import Grade, PointKind, Step
from learnapp.assessments.points import propose_points
from learnapp.assessments.steps import advance
from learnapp.inbox import items_for
from tests.assessments.helpers import assessment_world, new_period, propose_all
from tests.factories import FIXED_NOW


@pytest.fixture
def request_ctx(app):
    with app.test_request_context():
        yield


def _kinds(session, user):
    return {item.kind: item.count for item in items_for(session, user)}


@pytest.mark.usefixtures("request_ctx")
def test_committee_approval_and_feedback_are_due_for_the_right_people(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    assert _kinds(session, world.secretary_a)["assessment-committee"] == 1
    assert "assessment-committee" not in _kinds(session, world.member_b)
    members = [world.secretary_a, world.general_secretary, world.member_a, *extras]
    propose_all(
        session,
        world,
        period,
        {m.id: (Grade.EXCELLENT if m is extras[0] else Grade.QUALIFIED, "好") for m in members},
    )
    grading.submit(session, world.secretary_a, period, "", FIXED_NOW)
    assert _kinds(session, world.general_secretary)["assessment-approval"] == 1
    assert "assessment-approval" not in _kinds(session, world.secretary_a)


@pytest.mark.usefixtures("request_ctx")
def test_a_draft_period_is_due_for_its_secretary_until_it_opens(session):
    world, _ = assessment_world(session)
    period = new_period(session, world)
    assert _kinds(session, world.secretary_a)["assessment-draft"] == 1
    assert "assessment-draft" not in _kinds(session, world.member_a)
    advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
    assert "assessment-draft" not in _kinds(session, world.secretary_a)


@pytest.mark.usefixtures("request_ctx")
def test_point_items_are_due_for_managers_other_than_the_proposer(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    propose_points(
        session,
        world.secretary_a,
        period,
        member_id=extras[0].id,
        kind=PointKind.BONUS,
        points=Decimal(2),
        reason="志愿服务",
        evidence_text="证书",
        now=FIXED_NOW,
    )
    assert "assessment-points" not in _kinds(session, world.secretary_a)
    assert _kinds(session, world.general_secretary)["assessment-points"] == 1


@pytest.mark.usefixtures("request_ctx")
def test_feedback_is_due_after_the_proposals_need_no_more_approval(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    members = [world.secretary_a, world.general_secretary, world.member_a, *extras]
    propose_all(session, world, period, {m.id: (Grade.QUALIFIED, "好") for m in members})
    assert grading.submit(session, world.secretary_a, period, "", FIXED_NOW) == Step.FEEDBACK
    kinds = _kinds(session, world.secretary_a)
    assert kinds["assessment-feedback"] == 1 and "assessment-committee" not in kinds
