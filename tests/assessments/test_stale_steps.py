"""A step the period passes through already over is not announced, a "closes soon" reminder
goes only for a step still open, and the member's page says where they stand in every step,
closed ones included (未投票（已结束）)."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.assessments import jobs
from learnapp.assessments.jobs import run_schedule
from learnapp.assessments.models import AssessmentPeriod, Step
from learnapp.assessments.steps import advance
from learnapp.notifications.models import Notification
from learnapp.orgs.models import MemberCategory
from tests.assessments.helpers import assessment_world, new_period
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user

NOW = FIXED_NOW
OPENED = {
    "assessment_self_appraisal_open": Step.SELF_APPRAISAL,
    "assessment_peer_review_open": Step.PEER_REVIEW,
    "assessment_evaluation_open": Step.EVALUATION,
}


def _opened(session) -> list[Step]:
    """The steps announced as open, once per step (every member gets the same)."""
    keys = session.scalars(
        sa.select(Notification.message)
        .where(Notification.message.in_(OPENED))
        .distinct()
        .order_by(Notification.message)
    )
    return sorted((OPENED[key] for key in keys), key=lambda step: step.position)


def _reminded(session) -> list[str]:
    return sorted(
        {
            params["step"]
            for params in session.scalars(
                sa.select(Notification.params).where(Notification.message == "assessment_reminder")
            )
        }
    )


# ---- notices ----


@pytest.mark.usefixtures("ctx")
def test_a_late_run_announces_only_the_step_it_leaves_open(session):
    world, _ = assessment_world(session)
    period = new_period(session, world)
    run_schedule(session, period.ballot_opens_at + timedelta(hours=1))
    assert session.get(AssessmentPeriod, period.id).step == Step.EVALUATION
    assert _opened(session) == [Step.EVALUATION]


@pytest.mark.usefixtures("ctx")
def test_a_run_passing_through_the_evaluation_sends_no_call_to_vote(session):
    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    assert _opened(session) == [Step.SELF_APPRAISAL]
    run_schedule(session, period.ballot_closes_at + timedelta(minutes=5))
    assert session.get(AssessmentPeriod, period.id).step == Step.COMMITTEE
    assert _opened(session) == [Step.SELF_APPRAISAL]
    assert _reminded(session) == []


@pytest.mark.usefixtures("ctx")
def test_a_step_opened_by_hand_already_due_to_close_is_not_announced(session):
    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.PEER_REVIEW)
    late = period.ballot_closes_at
    advance(session, world.secretary_a, period, late)
    assert period.step == Step.EVALUATION
    assert Step.EVALUATION not in _opened(session)


@pytest.mark.usefixtures("ctx")
def test_a_step_opened_by_hand_ahead_of_time_is_announced(session):
    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.PEER_REVIEW)
    advance(session, world.secretary_a, period, NOW)
    assert _opened(session)[-1] == Step.EVALUATION


@pytest.mark.usefixtures("ctx")
def test_no_reminder_for_a_step_the_committee_moved_past_meanwhile(session):
    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.PEER_REVIEW)
    soon = period.ballot_opens_at - timedelta(hours=24)
    # The job has read the period at peer appraisal; the committee opens the evaluation now.
    session.execute(
        sa.text("UPDATE assessment_periods SET step = 'evaluation' WHERE id = :id"),
        {"id": period.id},
    )
    assert period.step == Step.PEER_REVIEW
    assert not jobs._claim_reminder(session, period, Step.PEER_REVIEW, soon)
    assert session.scalar(sa.select(AssessmentPeriod.reminded_step)) == ""


@pytest.mark.usefixtures("ctx")
def test_a_reminder_is_claimed_once_and_only_before_the_step_closes(session):
    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.PEER_REVIEW)
    closes = period.ballot_opens_at
    assert not jobs._claim_reminder(session, period, Step.PEER_REVIEW, closes)
    assert jobs._claim_reminder(session, period, Step.PEER_REVIEW, closes - timedelta(hours=1))
    assert period.reminded_step == Step.PEER_REVIEW.value
    assert not jobs._claim_reminder(session, period, Step.PEER_REVIEW, closes - timedelta(hours=1))


@pytest.mark.usefixtures("ctx")
def test_the_job_reminds_of_the_open_step_once(session):
    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.PEER_REVIEW)
    soon = period.ballot_opens_at - timedelta(hours=24)
    assert run_schedule(session, soon).params["reminders"] == 1
    assert run_schedule(session, soon + timedelta(minutes=10)).params["reminders"] == 0
    assert _reminded(session) == [Step.PEER_REVIEW.value]


# ---- the member's page ----


@pytest.fixture
def world(app, session):
    with app.test_request_context():
        world, extras = assessment_world(session)
        world.extras = extras
        session.commit()
    return world


def _period(app, session, world, to: Step) -> int:
    with app.test_request_context():
        period = new_period(session, world, to=to)
        session.commit()
        return period.id


def _move_to(app, session, period_id: int, to: Step) -> None:
    reload(session)
    with app.test_request_context():
        period = session.get(AssessmentPeriod, period_id)
        while period.step != to:
            advance(session, None, period, NOW, allow_no_ballots=True)
        session.commit()


def _statuses(auth, period_id) -> dict[str, str]:
    page = auth.client.get(f"/assessments/periods/{period_id}/me").get_data(as_text=True)
    found = re.findall(r'data-testid="step-status-(\w+)">(.*?)</span>\s*</span>', page, re.S)
    return {step: re.sub(r"<[^>]+>", "", html).strip() for step, html in found}


def test_steps_not_open_yet_say_so(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("ext0")
    assert _statuses(auth, period_id) == {
        "self_appraisal": "未填写",
        "peer_review": "未开始",
        "evaluation": "未开始",
    }


def test_steps_closed_undone_say_they_are_over(app, session, world, auth):
    period_id = _period(app, session, world, Step.EVALUATION)
    auth.login("ext0")
    assert _statuses(auth, period_id)["evaluation"] == "未投票"
    _move_to(app, session, period_id, Step.COMMITTEE)
    statuses = _statuses(auth, period_id)
    assert statuses["self_appraisal"] == "未填写（已结束）"
    assert re.fullmatch(r"已评 0 / \d+ 人（已结束）", statuses["peer_review"])
    assert statuses["evaluation"] == "未投票（已结束）"
    page = auth.client.get(f"/assessments/periods/{period_id}/me").get_data(as_text=True)
    assert 'data-testid="cast-ballot"' not in page


def test_those_without_a_vote_are_told_why(app, session, world, auth):
    period_id = _period(app, session, world, Step.EVALUATION)
    with app.test_request_context():
        make_user(session, unit=world.branch_a, username="late", category=MemberCategory.FULL)
        session.commit()
    auth.login("mema")  # probationary
    assert _statuses(auth, period_id)["evaluation"] == "无投票权（预备党员不参加投票）"
    auth.logout()
    auth.login("late")  # joined the branch after the voter roll was written
    assert _statuses(auth, period_id)["evaluation"] == "不在本次民主测评的投票名单中"
