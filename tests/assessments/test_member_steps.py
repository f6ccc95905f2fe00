"""The member's step pages outside their step (read only, with when the step opens or was open),
the days each step is shown open (its last day, not the midnight that closes it), the dossier's
counts in English, the 积分 table on a phone, and one message for points that are not a number."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.assessments.models import (
    AssessmentPeriod,
    Dossier,
    PeerReview,
    PointItem,
    SelfAppraisal,
    Step,
)
from learnapp.assessments.periods import create_period, member_step_days, start_of
from learnapp.assessments.points import check_points
from learnapp.assessments.steps import advance
from learnapp.errors import DomainError
from tests.assessments.helpers import assessment_world, new_period
from tests.conftest import reload
from tests.factories import FIXED_NOW


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
            advance(session, None, period, FIXED_NOW, allow_no_ballots=True)
        session.commit()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _testid(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:dd|div|p|td)>', html, re.S)
    assert match, testid
    return _text(match.group(1)).strip()


# Item: step pages outside their step


def test_the_self_appraisal_reads_only_once_its_step_has_closed(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("ext0")
    url = f"/assessments/periods/{period_id}/self"
    assert auth.post(url, {"text": "认真学习理论"}).status_code == 302
    _move_to(app, session, period_id, Step.PEER_REVIEW)

    page = auth.client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="text"' not in html and 'data-testid="save-self"' not in html
    assert _testid(html, "self-read") == "认真学习理论"
    assert 'data-testid="step-notice"' in html
    assert 'data-testid="read-self"' in auth.client.get(f"/assessments/periods/{period_id}/me").text

    # A form sent all the same is refused, and comes back with what was typed.
    refused = auth.post(url, {"text": "改写的自评"})
    assert refused.status_code == 400
    assert "改写的自评" in refused.get_data(as_text=True)
    reload(session)
    assert session.scalar(sa.select(SelfAppraisal.text)) == "认真学习理论"


def test_a_closed_self_appraisal_says_none_was_written(app, session, world, auth):
    period_id = _period(app, session, world, Step.PEER_REVIEW)
    auth.login("ext0")
    html = auth.client.get(f"/assessments/periods/{period_id}/self").get_data(as_text=True)
    assert 'data-testid="self-missing"' in html and 'name="text"' not in html


def test_peer_appraisal_before_it_opens_says_when_without_a_form(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("ext0")
    html = auth.client.get(f"/assessments/periods/{period_id}/peers").get_data(as_text=True)
    assert 'data-testid="peer-form"' not in html and 'name="comment"' not in html
    reload(session)
    with app.app_context():
        days = member_step_days(session.get(AssessmentPeriod, period_id))[Step.PEER_REVIEW]
    assert days.first_day.isoformat() in _testid(html, "step-notice")


def test_peer_appraisal_after_it_closed_shows_the_comments_without_a_form(
    app, session, world, auth
):
    period_id = _period(app, session, world, Step.PEER_REVIEW)
    auth.login("ext0")
    url = f"/assessments/periods/{period_id}/peers"
    subject = world.extras[1].id
    assert auth.post(url, {"subject_id": subject, "comment": "认真负责"}).status_code == 302
    _move_to(app, session, period_id, Step.EVALUATION)
    html = auth.client.get(url).get_data(as_text=True)
    assert 'data-testid="peer-form"' not in html and "认真负责" in html
    assert 'data-testid="step-notice"' in html
    refused = auth.post(url, {"subject_id": subject, "comment": "改写"})
    assert refused.status_code == 400
    reload(session)
    assert session.scalar(sa.select(PeerReview.comment)) == "认真负责"


def test_the_open_steps_keep_their_forms(app, session, world, auth):
    period_id = _period(app, session, world, Step.PEER_REVIEW)
    auth.login("ext0")
    html = auth.client.get(f"/assessments/periods/{period_id}/peers").get_data(as_text=True)
    assert 'data-testid="peer-form"' in html and 'data-testid="step-notice"' not in html


# Item: the days a step is open


def _midnight_period(session, world):
    """2026's steps opening at midnight, as the period form sets them."""
    return create_period(
        session,
        world.secretary_a,
        world.branch_a,
        year=2026,
        self_opens_at=start_of(date(2026, 12, 6)),
        peer_opens_at=start_of(date(2026, 12, 20)),
        ballot_opens_at=start_of(date(2026, 12, 27)),
        ballot_closes_at=start_of(date(2027, 1, 3)),
        now=FIXED_NOW,
    )


def test_a_step_closing_at_midnight_was_last_open_the_day_before(app, session, world):
    with app.test_request_context():
        days = member_step_days(_midnight_period(session, world))
    assert [(d.step, d.first_day, d.last_day) for d in days.values()] == [
        (Step.SELF_APPRAISAL, date(2026, 12, 6), date(2026, 12, 19)),
        (Step.PEER_REVIEW, date(2026, 12, 20), date(2026, 12, 26)),
        (Step.EVALUATION, date(2026, 12, 27), date(2027, 1, 2)),
    ]


def test_a_step_closed_during_a_day_was_last_open_that_day(app, session, world):
    with app.test_request_context():
        period = _midnight_period(session, world)
        period.peer_opens_at = start_of(date(2026, 12, 10)) + timedelta(hours=15)
        days = member_step_days(period)
    assert days[Step.SELF_APPRAISAL].last_day == date(2026, 12, 10)
    assert days[Step.PEER_REVIEW].first_day == date(2026, 12, 10)


def test_the_members_plan_shows_each_steps_last_day(app, session, world, auth):
    with app.test_request_context():
        period = _midnight_period(session, world)
        advance(session, None, period, start_of(date(2026, 12, 6)))
        session.commit()
        period_id = period.id
    auth.login("ext0")
    html = auth.client.get(f"/assessments/periods/{period_id}/me").get_data(as_text=True)
    assert _testid(html, "step-days-self_appraisal") == "2026-12-06 – 2026-12-19"
    assert _testid(html, "step-days-peer_review") == "2026-12-20 – 2026-12-26"
    assert _testid(html, "step-days-evaluation") == "2026-12-27 – 2027-01-02"


# Item: the dossier's counts in English


def test_the_english_dossier_counts_in_the_singular_and_the_plural(app, session, world, auth):
    period_id = _period(app, session, world, Step.COMMITTEE)
    reload(session)
    member = world.extras[0]
    dossier = session.scalar(
        sa.select(Dossier).where(Dossier.period_id == period_id, Dossier.member_id == member.id)
    )
    evidence = dict(dossier.evidence)
    evidence["contributions"] = {**evidence["contributions"], "count": 1}
    evidence["attendance"] = {**evidence["attendance"], "expected": 1, "present": 1, "leave": 0}
    dossier.evidence = evidence
    session.get(type(member), member.id).locale = "en"
    session.commit()
    auth.login("ext0")
    url = f"/assessments/periods/{period_id}/dossiers/{member.id}"
    page = _text(auth.client.get(url).get_data(as_text=True))
    assert "1 approved post or reply" in page and "1 approved posts" not in page
    assert "Present at 1 of 1 meeting (0 on leave)" in page

    reload(session)
    dossier = session.get(Dossier, dossier.id)
    dossier.evidence = {
        **dossier.evidence,
        "contributions": {**evidence["contributions"], "count": 3},
    }
    session.commit()
    assert "3 approved posts and replies" in _text(auth.client.get(url).get_data(as_text=True))


# Item: the 积分 table on a phone


def test_every_cell_of_the_point_table_names_its_column_for_phones(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("ext0")
    url = f"/assessments/periods/{period_id}/points"
    data = {"member_id": world.extras[0].id, "kind": "bonus", "points": "2"}
    assert auth.post(url, {**data, "reason": "志愿服务", "evidence": "证书"}).status_code == 302
    html = auth.client.get(url).get_data(as_text=True)
    assert re.search(r'<table class="[^"]*table-responsive-stack', html)
    row = re.search(r'<tr data-testid="point-item">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>", row)
    assert len(cells) == 5 and all("data-label=" in cell for cell in cells)


# Item: one message for points that are not a number


@pytest.mark.parametrize("points", ["abc", "", "NaN", "Infinity"])
def test_points_that_are_not_a_number_get_one_message(app, session, world, auth, points):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("ext0")
    data = {"member_id": world.extras[0].id, "kind": "bonus", "points": points}
    response = auth.post(
        f"/assessments/periods/{period_id}/points",
        {**data, "reason": "志愿服务", "evidence": "证书"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    field = re.search(r'<input[^>]*name="points".*?(?=<label|<button)', html, re.S).group(0)
    assert len(re.findall(r'class="invalid-feedback', field)) == 1
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(PointItem)) == 0


def test_points_in_more_than_hundredths_are_refused(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("ext0")
    data = {"member_id": world.extras[0].id, "kind": "bonus", "points": "1.005"}
    response = auth.post(
        f"/assessments/periods/{period_id}/points",
        {**data, "reason": "志愿服务", "evidence": "证书"},
    )
    assert response.status_code == 400
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(PointItem)) == 0


@pytest.mark.parametrize(
    "points", [None, Decimal("NaN"), Decimal("Infinity"), Decimal(0), Decimal("100.01")]
)
def test_the_points_rule_refuses_what_the_column_cannot_keep(points):
    with pytest.raises(DomainError) as refused:
        check_points(points)
    assert refused.value.field == "points"


def test_the_points_rule_takes_hundredths_up_to_100():
    for points in ("0.01", "2", "0.5", "100"):
        check_points(Decimal(points))
