"""Deactivated units are offered in no picker (orgs.queries.pickable_units): a new account's
unit, a role's unit, a course's audience, a quiz's owner and audience, a member's move; a record
being edited keeps offering the deactivated unit it already holds."""

import re

import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.orgs.queries import pickable_units
from tests.conftest import reload
from tests.courses.factories import make_course
from tests.factories import make_unit
from tests.world import build_world


def _retired_branch(session, world):
    retired = make_unit(session, parent=world.general, name="撤销支部", is_active=False)
    session.commit()
    return retired


def _offered(page: str, unit_id: int) -> bool:
    return re.search(rf'value="{unit_id}"', page) is not None


def test_pickable_units_leave_out_deactivated_units_unless_kept(ctx, session):
    world = build_world(session)
    retired = _retired_branch(session, world)
    offered = pickable_units(session, world.admin)
    assert retired not in offered and world.branch_a in offered
    assert retired in pickable_units(session, world.admin, keep={retired.id})
    members_only = pickable_units(session, world.admin, members_only=True)
    assert world.general not in members_only and world.group_a in members_only
    assert pickable_units(session, world.secretary_a) == [world.branch_a, world.group_a]


def test_admin_pickers_leave_out_a_deactivated_unit(auth, session):
    world = build_world(session)
    retired = _retired_branch(session, world)
    auth.login("admin")
    new_account = auth.client.get("/admin/users/new").get_data(as_text=True)
    assert _offered(new_account, world.branch_b.id) and not _offered(new_account, retired.id)
    grant = auth.client.get(f"/admin/users/{world.member_b.id}").get_data(as_text=True)
    assert _offered(grant, world.branch_b.id) and not _offered(grant, retired.id)


def test_a_new_account_in_a_deactivated_unit_is_refused(auth, session):
    world = build_world(session)
    retired = _retired_branch(session, world)
    auth.login("admin")
    response = auth.post(
        "/admin/users/new",
        {"username": "late", "display_name": "迟到", "unit_id": retired.id, "category": "full"},
    )
    assert response.status_code == 400
    reload(session)
    assert session.scalar(sa.select(User).where(User.username == "late")) is None


def test_course_and_quiz_pickers_leave_out_a_deactivated_unit(auth, session):
    world = build_world(session)
    retired = _retired_branch(session, world)
    auth.login("gsec")
    for path in ("/courses/manage/new", "/quizzes/manage/new"):
        page = auth.client.get(path).get_data(as_text=True)
        assert _offered(page, world.branch_b.id), path
        assert not _offered(page, retired.id), path


def test_announcement_and_assessment_pickers_leave_out_a_deactivated_unit(auth, session):
    world = build_world(session)
    retired = _retired_branch(session, world)
    auth.login("gsec")
    page = auth.client.get("/announcements/new").get_data(as_text=True)
    assert _offered(page, world.branch_b.id) and not _offered(page, retired.id)
    branches = auth.client.get("/assessments").get_data(as_text=True)
    assert world.branch_b.name in branches and retired.name not in branches


def test_a_course_keeps_offering_the_deactivated_unit_it_already_has(auth, session):
    world = build_world(session)
    retired = _retired_branch(session, world)
    course = make_course(session, owner_unit=world.general, audience_units=(retired,))
    session.commit()
    auth.login("gsec")
    page = auth.client.get(f"/courses/manage/{course.id}/edit").get_data(as_text=True)
    assert re.search(rf'value="{retired.id}" checked', page)
