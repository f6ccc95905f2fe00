"""The to-do inbox shows secretaries and the unit above which assessment steps are due."""

import pytest

from learnapp.assessments import grading
from learnapp.assessments.models import Grade, Step
from learnapp.inbox import items_for
from tests.assessments.helpers import assessment_world, new_period
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
    grading.propose_grades(
        session,
        world.secretary_a,
        period,
        {m.id: (Grade.EXCELLENT if m is extras[0] else Grade.QUALIFIED, "好") for m in members},
        FIXED_NOW,
    )
    grading.submit(session, world.secretary_a, period, "", FIXED_NOW)
    assert _kinds(session, world.general_secretary)["assessment-approval"] == 1
    assert "assessment-approval" not in _kinds(session, world.secretary_a)
