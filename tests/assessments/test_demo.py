"""The demo: last year's period of the demo branch closed with results drawn from last year's
evidence, this year's open at the self-appraisal step."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.assessments import ballots, evidence, grading
from learnapp.assessments.models import Approval, AssessmentPeriod, Dossier, Grade, Step
from learnapp.assessments.periods import SCHEDULE_FIELDS
from learnapp.assessments.queries import own_periods
from learnapp.assessments.rule_sets import rule_set_in_force
from learnapp.demo import seed_demo
from tests.factories import FIXED_NOW

pytestmark = pytest.mark.usefixtures("ctx")


def test_demo_has_last_years_results_and_this_years_self_appraisal(session):
    seed_demo(session, FIXED_NOW)
    last, current = session.scalars(sa.select(AssessmentPeriod).order_by(AssessmentPeriod.year))
    assert (last.year, current.year) == (FIXED_NOW.year - 1, FIXED_NOW.year)
    assert last.step == Step.LOCKED and current.step == Step.SELF_APPRAISAL
    members = evidence.period_members(session, last)
    grades = grading.grades_of(session, last)
    assert set(grades) == {m.id for m in members}
    assert all(g.reason for g in grades.values())
    excellent = [g for g in grades.values() if g.grade == Grade.EXCELLENT]
    assert excellent and all(g.approval == Approval.APPROVED for g in excellent)
    assert ballots.aggregates(session, last).shown
    # last year's dossiers hold last year's evidence, not zeros
    dossiers = session.scalars(sa.select(Dossier).where(Dossier.period_id == last.id)).all()
    assert all(d.evidence["year"] == last.year for d in dossiers)
    assert all(d.evidence["attendance"]["expected"] > 0 for d in dossiers)
    assert sum(float(d.evidence["hours"]["counted"]) > 0 for d in dossiers) == len(dossiers)
    member = session.scalar(sa.select(User).where(User.username == "demo-member"))
    assert [p.id for p in own_periods(session, member)] == [current.id, last.id]
    assert grades[member.id].feedback


def test_demo_periods_open_their_steps_at_midnight_under_the_rules_of_their_year(session):
    seed_demo(session, FIXED_NOW)
    tz = ZoneInfo("Asia/Shanghai")
    periods = session.scalars(sa.select(AssessmentPeriod).order_by(AssessmentPeriod.year)).all()
    for period in periods:
        # The period form sets each step at midnight of its day; the demo's periods do too.
        for field in SCHEDULE_FIELDS:
            assert getattr(period, field).astimezone(tz).time() == time(0), (period.year, field)
        rule_set = period.rule_set
        assert rule_set.id == rule_set_in_force(session, date(period.year, 12, 31), FIXED_NOW).id
        assert rule_set.effective_from <= date(period.year, 12, 31)
        assert int(rule_set.version.split("-")[0]) <= period.year, rule_set.version
    current = periods[-1]
    assert current.self_opens_at <= FIXED_NOW < current.peer_opens_at


def test_demo_seeds_in_the_first_hour_of_a_year(session):
    new_year = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 2027-01-01 00:30 in Shanghai
    seed_demo(session, new_year)
    current = session.scalar(sa.select(AssessmentPeriod).where(AssessmentPeriod.year == 2027))
    assert current.step == Step.SELF_APPRAISAL
    assert current.self_opens_at == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
