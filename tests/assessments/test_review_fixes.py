"""The period page's participation and confirmed steps, the year's date window and default
year, the read-only grade sheet, exams in the reference score, and the closed period's link."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from learnapp.assessments.appraisals import save_self_appraisal
from learnapp.assessments.ballots import cast_ballot
from learnapp.assessments.evidence import _exams
from learnapp.assessments.models import Grade, Step
from learnapp.assessments.periods import create_period, default_year, period_window
from learnapp.assessments.rules import DEFAULT_RULES, ScoreRules, score
from learnapp.assessments.steps import advance
from learnapp.quizzes.queries import ExamResult
from tests.assessments.helpers import assessment_world, new_period, schedule
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.orglife.factories import refused


@pytest.fixture
def world(app, session):
    with app.test_request_context():
        world, extras = assessment_world(session)
        world.extras = extras
        session.commit()
    return world


def _period(app, session, world, to, **kwargs) -> int:
    with app.test_request_context():
        period = new_period(session, world, to=to, **kwargs)
        session.commit()
        return period.id


def test_the_period_page_shows_how_many_wrote_a_self_appraisal(app, session, world, auth):
    with app.test_request_context():
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        save_self_appraisal(session, world.extras[0], period, "一年来的学习", FIXED_NOW)
        session.commit()
        period_id = period.id
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    # 8 members in branch A (secretaries, the probationary member and 5 extras); 1 wrote.
    assert 'data-testid="participation-self"' in page
    assert 'data-testid="advance-confirm"' in page and "required" in page
    with app.test_request_context():
        from learnapp.assessments.queries import participation

        counts = participation(session, period)
    assert (counts.self_appraised, counts.members) == (1, 8)


def test_advancing_without_the_confirmation_changes_nothing(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("seca")
    response = auth.post(f"/assessments/periods/{period_id}/advance", {})
    assert response.status_code == 302
    reload(session)
    from learnapp.assessments.models import AssessmentPeriod

    assert session.get(AssessmentPeriod, period_id).step == Step.SELF_APPRAISAL
    auth.post(f"/assessments/periods/{period_id}/advance", {"confirm": "y"})
    reload(session)
    assert session.get(AssessmentPeriod, period_id).step == Step.PEER_REVIEW


def test_closing_the_evaluation_with_no_ballot_needs_its_own_confirmation(
    app, session, world, auth
):
    from learnapp.assessments.models import AssessmentPeriod

    period_id = _period(app, session, world, Step.EVALUATION)
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    assert 'data-testid="advance-no-ballots"' in page
    auth.post(f"/assessments/periods/{period_id}/advance", {"confirm": "y"})
    reload(session)
    assert session.get(AssessmentPeriod, period_id).step == Step.EVALUATION
    auth.post(
        f"/assessments/periods/{period_id}/advance", {"confirm": "y", "confirm_no_ballots": "y"}
    )
    reload(session)
    assert session.get(AssessmentPeriod, period_id).step == Step.COMMITTEE


def test_a_person_cannot_close_an_unvoted_evaluation_but_one_ballot_suffices(app, session, world):
    with app.test_request_context():
        period = new_period(session, world, to=Step.EVALUATION)
        with refused("confirm_no_ballots"):
            advance(session, world.secretary_a, period, FIXED_NOW)
        from learnapp.assessments.evidence import period_members

        ratings = {m.id: Grade.QUALIFIED for m in period_members(session, period)}
        cast_ballot(session, world.extras[0], period, ratings)
        assert advance(session, world.secretary_a, period, FIXED_NOW) == Step.COMMITTEE


def test_the_schedule_job_still_closes_at_its_time(app, session, world):
    with app.test_request_context():
        period = new_period(session, world, to=Step.EVALUATION)
        assert advance(session, None, period, FIXED_NOW) == Step.COMMITTEE


def test_dates_outside_the_years_window_are_refused(app, session, world):
    december_2026 = datetime(2026, 12, 1, 1, tzinfo=UTC)
    with app.test_request_context():
        with refused("self_opens_at"):
            create_period(
                session,
                world.secretary_a,
                world.branch_a,
                year=2027,
                now=FIXED_NOW,
                **schedule(december_2026),
            )
        assert period_window(2026) == (date(2026, 1, 1), date(2027, 6, 30))
        period = create_period(
            session,
            world.secretary_a,
            world.branch_a,
            year=2026,
            now=FIXED_NOW,
            **schedule(december_2026),
        )
        assert period.year == 2026


def test_the_form_refuses_a_wrong_year_on_its_date_field(app, session, world, auth):
    auth.login("seca")
    form = {
        "year": "2027",
        "self_opens_on": "2026-12-01",
        "peer_opens_on": "2026-12-08",
        "ballot_opens_on": "2026-12-15",
        "ballot_closes_on": "2026-12-22",
    }
    response = auth.post(f"/assessments/units/{world.branch_a.id}/periods/new", form)
    assert response.status_code == 400
    assert "2027-01-01" in response.get_data(as_text=True)


def test_the_form_proposes_the_next_year_without_a_period(app, session, world, auth):
    _period(app, session, world, Step.DRAFT, year=2026)
    with app.test_request_context():
        assert default_year(session, world.branch_a, date(2026, 12, 5)) == 2027
        assert default_year(session, world.branch_b, date(2026, 12, 5)) == 2026
    auth.login("seca")
    page = auth.client.get(f"/assessments/units/{world.branch_a.id}/periods/new")
    assert 'value="2027"' in page.get_data(as_text=True)


def test_the_grade_sheet_is_read_only_outside_the_committee_step(app, session, world, auth):
    period_id = _period(app, session, world, Step.EVALUATION)
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}/grades").get_data(as_text=True)
    assert 'data-testid="grades-read-only"' in page
    assert 'data-testid="save-grades"' not in page and "disabled" in page
    committee_id = _period(app, session, world, Step.COMMITTEE, year=2025)
    page = auth.client.get(f"/assessments/periods/{committee_id}/grades").get_data(as_text=True)
    assert 'data-testid="save-grades"' in page and 'data-testid="grades-read-only"' not in page


def _result(percent):
    return ExamResult(1, "党章考试", Decimal(percent), Decimal(percent) >= 60, FIXED_NOW)


def test_skipping_the_exam_never_scores_higher_than_sitting_it():
    rules = ScoreRules.from_json(DEFAULT_RULES)
    others = {"hours": 1, "courses": 1, "attendance": 1, "contributions": 1}
    sat = _exams([_result("50")], [], held=True)
    skipped = _exams([], [], held=True)
    assert skipped["share"] == 0.0
    sat_score = score(rules, {**others, "exams": sat["share"]}).total
    skipped_score = score(rules, {**others, "exams": skipped["share"]}).total
    assert sat_score > skipped_score
    # No exam held for anybody: the item does not apply.
    assert _exams([], [], held=False)["share"] is None


def test_an_exam_awaiting_marking_is_listed_and_counts_zero_until_marked():
    waiting = _exams([], ["党章考试"], held=True)
    assert waiting["waiting"] == ["党章考试"] and waiting["share"] == 0.0
    assert _exams([_result("80")], ["第二次考试"], held=True)["share"] == 0.4


def test_a_closed_period_is_viewed_not_entered(app, session, world, auth):
    open_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("seca")
    page = auth.client.get("/assessments").get_data(as_text=True)
    assert "Open the period" in page or "进入评议" in page
    with app.test_request_context():
        from learnapp.assessments.models import AssessmentPeriod

        period = session.get(AssessmentPeriod, open_id)
        period.step = Step.LOCKED
        session.commit()
    page = auth.client.get("/assessments").get_data(as_text=True)
    assert "进入评议" not in page and "Open the period" not in page
