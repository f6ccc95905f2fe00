"""Only party members are assessed: a 群众, 发展对象 or 入党积极分子 of the branch has no
assessment of their own, no form to fill in and no to-do line, while the period is open."""

import pytest

from learnapp.assessments.models import Step
from learnapp.orgs.models import MemberCategory
from tests.assessments.helpers import assessment_world, new_period
from tests.factories import make_user


@pytest.mark.parametrize(
    "category", [MemberCategory.MASSES, MemberCategory.CANDIDATE, MemberCategory.ACTIVIST]
)
@pytest.mark.parametrize("step", [Step.SELF_APPRAISAL, Step.PEER_REVIEW])
def test_a_non_member_of_the_branch_has_no_assessment_of_their_own(
    app, session, auth, category, step
):
    with app.test_request_context():
        world, _extras = assessment_world(session)
        make_user(session, unit=world.branch_a, username="learner", category=category)
        period_id = new_period(session, world, to=step).id
        session.commit()
    auth.login("learner")
    index = auth.client.get("/assessments").get_data(as_text=True)
    assert f"/assessments/periods/{period_id}/me" not in index
    assert "民主评议的对象为正式党员和预备党员。" in index
    for page in ("me", "self", "peers", "points"):
        assert auth.client.get(f"/assessments/periods/{period_id}/{page}").status_code == 404
    assert 'data-testid="home-inbox"' not in auth.client.get("/").get_data(as_text=True)


def test_a_party_member_of_the_branch_has_theirs(app, session, auth):
    with app.test_request_context():
        world, extras = assessment_world(session)
        period_id = new_period(session, world, to=Step.SELF_APPRAISAL).id
        username = extras[0].username
        session.commit()
    auth.login(username)
    assert f"/assessments/periods/{period_id}/me" in auth.client.get("/assessments").get_data(
        as_text=True
    )
    for page in ("me", "self", "peers", "points"):
        assert auth.client.get(f"/assessments/periods/{period_id}/{page}").status_code == 200


def test_the_branch_manager_finds_no_dossier_for_a_non_member(app, session, auth):
    with app.test_request_context():
        world, _extras = assessment_world(session)
        learner = make_user(
            session, unit=world.branch_a, username="learner", category=MemberCategory.MASSES
        )
        page = f"/assessments/periods/{new_period(session, world, to=Step.SELF_APPRAISAL).id}"
        page += f"/dossiers/{learner.id}"
        session.commit()
    auth.login("seca")
    assert auth.client.get(page).status_code == 404
