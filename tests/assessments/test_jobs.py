"""The schedule job opens steps when due, catches up several at once, and reminds once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.assessments.appraisals import save_self_appraisal
from learnapp.assessments.jobs import run_schedule
from learnapp.assessments.models import AssessmentPeriod, Dossier, SelfAppraisal, Step
from learnapp.notifications.models import Notification
from tests.assessments.helpers import assessment_world, new_period
from tests.factories import FIXED_NOW

pytestmark = pytest.mark.usefixtures("ctx")


def _step(session, period_id):
    return session.scalar(sa.select(AssessmentPeriod.step).where(AssessmentPeriod.id == period_id))


def test_nothing_happens_before_the_first_step_is_due(session):
    world, _ = assessment_world(session)
    period = new_period(session, world)
    run_schedule(session, FIXED_NOW)
    assert _step(session, period.id) == Step.DRAFT


def test_due_steps_open_and_a_late_run_catches_up_to_the_freeze(session):
    world, _ = assessment_world(session)
    period_id = new_period(session, world).id
    run_schedule(session, FIXED_NOW + timedelta(days=1))
    assert _step(session, period_id) == Step.SELF_APPRAISAL
    summary = run_schedule(session, FIXED_NOW + timedelta(days=31))
    assert summary.params["steps"] == 3
    assert _step(session, period_id) == Step.COMMITTEE
    assert session.scalar(sa.select(sa.func.count()).select_from(Dossier)) == 8
    assert run_schedule(session, FIXED_NOW + timedelta(days=32)).params["steps"] == 0


def _reminders(session):
    return session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "assessment_reminder")
    ).all()


def test_reminders_go_once_to_those_who_have_not_acted(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    save_self_appraisal(session, extras[0], period, "已写", FIXED_NOW)
    run_schedule(session, FIXED_NOW)  # peer appraisal opens in 10 days: too early
    assert _reminders(session) == []
    soon = period.peer_opens_at - timedelta(hours=24)
    run_schedule(session, soon)
    reminded = _reminders(session)
    assert extras[1].id in reminded and extras[0].id not in reminded
    assert session.scalar(sa.select(sa.func.count()).select_from(SelfAppraisal)) == 1
    run_schedule(session, soon + timedelta(hours=1))
    assert len(_reminders(session)) == len(reminded)


def test_one_run_freezes_sibling_branches_each_with_its_own_members(session):
    from learnapp.assessments.periods import create_period
    from tests.assessments.helpers import schedule
    from tests.factories import make_user

    world, extras = assessment_world(session)
    extra_b = make_user(session, unit=world.branch_b, username="extb")
    new_period(session, world)
    period_b = create_period(
        session, world.admin, world.branch_b, year=2026, now=FIXED_NOW, **schedule()
    )
    run_schedule(session, FIXED_NOW + timedelta(days=31))
    rows = session.execute(sa.select(Dossier.period_id, Dossier.member_id)).all()
    in_b = {member for period, member in rows if period == period_b.id}
    assert in_b == {world.member_b.id, extra_b.id}
    assert len(rows) == 8 + 2
    assert extras[0].id not in in_b


def test_moving_the_close_of_the_open_step_reminds_again(session):
    from learnapp.assessments.periods import SCHEDULE_FIELDS, reschedule

    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    soon = period.peer_opens_at - timedelta(hours=24)
    run_schedule(session, soon)
    first = len(_reminders(session))
    assert first > 0
    later = {field: getattr(period, field) for field in SCHEDULE_FIELDS}
    later["peer_opens_at"] += timedelta(days=5)
    reschedule(session, world.secretary_a, period, later, soon)
    run_schedule(session, soon)  # no longer within 48 hours of the close
    assert len(_reminders(session)) == first
    run_schedule(session, later["peer_opens_at"] - timedelta(hours=24))
    assert len(_reminders(session)) == 2 * first
