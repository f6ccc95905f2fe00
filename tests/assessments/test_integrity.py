"""The Integrity paragraph of the issue, through the services and the pages: who is assessed is
fixed at close, a closed period's results survive rule changes, and no page shows a ballot."""

import io
import json

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.accounts.models import User
from learnapp.assessments import ballots, evidence, grading
from learnapp.assessments.models import AssessmentPeriod, AssessmentRuleSet, Ballot, Grade, Step
from learnapp.assessments.queries import own_periods
from learnapp.assessments.steps import advance
from tests.assessments.helpers import assessment_world, new_period, propose_all
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user


def _close(session, world, extras, period):
    """Vote (everyone with a vote), grade, approve, give feedback and lock."""
    subjects = ballots.ballot_subjects(session, period)
    for voter in [world.secretary_a, world.general_secretary, *extras]:
        ratings = {m.id: Grade.QUALIFIED for m in subjects}
        ratings[extras[0].id] = Grade.EXCELLENT
        ballots.cast_ballot(session, voter, period, ratings)
    advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
    members = evidence.period_members(session, period)
    propose_all(
        session,
        world,
        period,
        {
            m.id: (Grade.EXCELLENT if m.id == extras[0].id else Grade.QUALIFIED, "依据测评")
            for m in members
        },
    )
    grading.submit(session, world.secretary_a, period, "", FIXED_NOW)
    star = grading.grades_of(session, period)[extras[0].id]
    grading.decide(session, world.general_secretary, period, star, True, "同意", FIXED_NOW)
    grading.save_feedback(session, world.secretary_a, period, star, "继续保持")
    grading.lock(session, world.secretary_a, period, FIXED_NOW)


@pytest.fixture
def closed(app, session):
    """A locked period of branch A with six ballots, an approved 优秀 and feedback."""
    with app.test_request_context():
        world, extras = assessment_world(session)
        period = new_period(session, world, to=Step.EVALUATION)
        _close(session, world, extras, period)
        session.commit()
        return world, extras, period.id


def _main(response) -> str:
    """The page's content, without the per-session CSRF token of the header."""
    page = response.get_data(as_text=True)
    return page[page.index("<main") : page.index("</main>")]


def _workbook_rows(response):
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_who_is_assessed_is_fixed_when_the_dossiers_are_frozen(app, session, closed, auth):
    world, extras, period_id = closed
    auth.login("seca")
    before_rows = _workbook_rows(auth.client.get(f"/assessments/periods/{period_id}/results.xlsx"))
    auth.logout()
    # after the close: one member moves to branch B, one leaves, one newcomer arrives
    reload(session)
    moved = session.merge(extras[0])
    moved.unit_id = world.branch_b.id
    session.merge(extras[1]).is_active = False
    make_user(session, unit=world.branch_a, username="newcomer", display_name="新来者")
    session.commit()
    period = session.get(AssessmentPeriod, period_id)
    assert {m.id for m in evidence.period_members(session, period)} == {
        world.secretary_a.id,
        world.general_secretary.id,
        world.member_a.id,
        *(m.id for m in extras),
    }
    auth.login("seca")
    after_rows = _workbook_rows(auth.client.get(f"/assessments/periods/{period_id}/results.xlsx"))
    assert after_rows[2:] == before_rows[2:]  # rows 1–2: title and step line
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    assert "新来者" not in page
    auth.logout()
    # the member who moved still reads their result and dossier; the newcomer has no period
    auth.login(moved.username)
    assert auth.client.get(f"/assessments/periods/{period_id}/me").status_code == 200
    own = auth.client.get(f"/assessments/periods/{period_id}/dossiers/{moved.id}")
    assert own.status_code == 200
    auth.logout()
    auth.login("newcomer")
    assert auth.client.get(f"/assessments/periods/{period_id}/me").status_code == 404
    reload(session)
    newcomer = session.scalar(sa.select(User).where(User.username == "newcomer"))
    assert own_periods(session, newcomer) == []


def test_rules_changed_after_the_close_change_no_page_and_no_workbook(app, session, closed, auth):
    _world, extras, period_id = closed
    dossier_url = f"/assessments/periods/{period_id}/dossiers/{extras[0].id}"
    auth.login("seca")
    before_page = _main(auth.client.get(dossier_url))
    assert 'data-testid="reference-score"' in before_page
    before_rows = _workbook_rows(auth.client.get(f"/assessments/periods/{period_id}/results.xlsx"))
    auth.logout()
    auth.login("admin")
    form = {
        "version": "2027-1",
        "effective_from": "2026-01-01",
        "source": "修订通知",
        "weight_hours": "0",
        "weight_courses": "0",
        "weight_exams": "0",
        "weight_attendance": "0",
        "weight_contributions": "100",
        "contributions_target": "1",
        "bonus_item_cap": "0",
        "bonus_cap": "0",
        "deduction_item_cap": "0",
        "deduction_cap": "0",
    }
    assert auth.post("/assessments/rules/new", form).status_code == 302
    auth.logout()
    # even the stored version itself rewritten behind the application's back
    reload(session)
    rule_set_id = session.get(AssessmentPeriod, period_id).rule_set_id
    session.execute(
        sa.update(AssessmentRuleSet)
        .where(AssessmentRuleSet.id == rule_set_id)
        .values(rules={"weights": {"contributions": "100"}})
    )
    session.commit()
    auth.login("seca")
    assert _main(auth.client.get(dossier_url)) == before_page
    after_rows = _workbook_rows(auth.client.get(f"/assessments/periods/{period_id}/results.xlsx"))
    assert after_rows == before_rows
    auth.logout()
    auth.login(extras[0].username)
    page = auth.client.get(f"/assessments/periods/{period_id}/me").get_data(as_text=True)
    assert "继续保持" in page


def test_no_page_shows_a_ballot_or_who_cast_it(app, session, closed, auth):
    _world, extras, period_id = closed
    reload(session)
    slots = session.execute(sa.select(Ballot.id, Ballot.ratings)).all()
    assert len(slots) == 7
    pages = [
        f"/assessments/periods/{period_id}",
        f"/assessments/periods/{period_id}/grades",
        f"/assessments/periods/{period_id}/preview",
        f"/assessments/periods/{period_id}/points",
        f"/assessments/periods/{period_id}/dossiers/{extras[0].id}",
        "/admin/audit",
        "/assessments",
    ]
    auth.login("admin")
    for url in pages:
        response = auth.client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        for slot_id, text in slots:
            assert slot_id not in page, url
            assert json.dumps(json.loads(text)) not in page and text not in page, url
    # the admin has no vote and no way into the ballot page
    assert auth.client.get(f"/assessments/periods/{period_id}/ballot").status_code == 404
    # the workbook shows counts per member only (all seven ballots rated the starred member 优秀)
    rows = _workbook_rows(auth.client.get(f"/assessments/periods/{period_id}/results.xlsx"))
    star_row = next(row for row in rows if row[0] == extras[0].display_name)
    assert star_row[4] == 7
