"""The rules on granting 书记/委员 roles: one secretary per unit, only in units that have one,
and only to a member of that unit's subtree."""

import pytest
import sqlalchemy as sa

from learnapp.errors import DomainError
from learnapp.orgs.models import MemberCategory, Role, RoleAssignment
from learnapp.orgs.roles import grant_role
from tests.conftest import reload
from tests.factories import make_user
from tests.world import build_world


def _count(session, **where) -> int:
    query = sa.select(sa.func.count()).select_from(RoleAssignment)
    for name, value in where.items():
        query = query.where(getattr(RoleAssignment, name) == value)
    return session.scalar(query)


def test_a_second_secretary_for_a_unit_is_refused_naming_the_holder(ctx, session, clock):
    world = build_world(session)
    other = make_user(session, username="other", display_name="赵六", unit=world.branch_a)
    with pytest.raises(DomainError) as refused:
        grant_role(session, world.admin, other, world.branch_a, Role.SECRETARY, clock())
    assert world.secretary_a.display_name in str(refused.value.message)
    assert _count(session, unit_id=world.branch_a.id, role=Role.SECRETARY) == 1


def test_the_secretary_can_be_granted_again_after_the_old_one_is_removed(ctx, session, clock):
    world = build_world(session)
    other = make_user(session, username="other", unit=world.branch_a)
    session.execute(
        sa.delete(RoleAssignment).where(
            RoleAssignment.unit_id == world.branch_a.id, RoleAssignment.role == Role.SECRETARY
        )
    )
    grant_role(session, world.admin, other, world.branch_a, Role.SECRETARY, clock())
    assert _count(session, unit_id=world.branch_a.id, role=Role.SECRETARY) == 1


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.COMMITTEE_MEMBER])
def test_no_secretary_or_committee_member_in_a_party_group(ctx, session, clock, role):
    world = build_world(session)
    with pytest.raises(DomainError):
        grant_role(session, world.admin, world.member_a, world.group_a, role, clock())
    assert _count(session, unit_id=world.group_a.id) == 0


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.COMMITTEE_MEMBER])
def test_the_holder_must_be_a_member_of_the_units_subtree(ctx, session, clock, role):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        grant_role(session, world.admin, world.member_a, world.branch_b, role, clock())
    assert world.branch_b.name in str(refused.value.message)
    unattached = make_user(session, username="loose", unit=None)
    with pytest.raises(DomainError):
        grant_role(session, world.admin, unattached, world.branch_b, role, clock())
    assert _count(session, unit_id=world.branch_b.id) == 0


def test_members_of_a_group_or_a_sub_branch_may_hold_the_higher_units_roles(ctx, session, clock):
    world = build_world(session)
    # member_a sits in a party group of branch A; member_b in branch B under the general branch.
    world.member_a.category = MemberCategory.FULL
    grant_role(session, world.admin, world.member_a, world.branch_a, Role.COMMITTEE_MEMBER, clock())
    grant_role(session, world.admin, world.member_b, world.branch_b, Role.SECRETARY, clock())
    grant_role(session, world.admin, world.member_b, world.general, Role.COMMITTEE_MEMBER, clock())
    assert _count(session, user_id=world.member_b.id) == 2


def test_other_roles_are_not_bound_to_membership(ctx, session, clock):
    world = build_world(session)
    grant_role(session, world.admin, world.member_b, world.group_a, Role.REVIEWER, clock())
    grant_role(session, world.admin, world.member_b, world.root, Role.ADMIN, clock())
    assert _count(session, user_id=world.member_b.id) == 2


def test_the_grant_page_shows_why_a_grant_was_refused(auth, session):
    world = build_world(session)
    other = make_user(session, username="other", unit=world.branch_a)
    session.commit()
    auth.login("admin")
    response = auth.post(
        f"/admin/users/{other.id}/roles",
        {"role": Role.SECRETARY.value, "unit_id": world.branch_a.id},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "alert-danger" in page
    assert world.secretary_a.display_name in page
    session.expire_all()
    assert _count(session, user_id=other.id) == 0


@pytest.mark.parametrize(
    "category",
    [
        MemberCategory.PROBATIONARY,
        MemberCategory.CANDIDATE,
        MemberCategory.ACTIVIST,
        MemberCategory.MASSES,
    ],
)
@pytest.mark.parametrize("role", [Role.SECRETARY, Role.COMMITTEE_MEMBER])
def test_only_a_full_member_can_be_secretary_or_committee_member(
    ctx, session, clock, role, category
):
    world = build_world(session)
    candidate = make_user(session, username="cand", unit=world.branch_b, category=category)
    with pytest.raises(DomainError) as refused:
        grant_role(session, world.admin, candidate, world.branch_b, role, clock())
    assert refused.value.field == "role"
    assert candidate.display_name in str(refused.value.message)
    assert _count(session, user_id=candidate.id) == 0


def test_a_full_member_is_granted_and_other_roles_need_no_membership(ctx, session, clock):
    world = build_world(session)
    grant_role(session, world.admin, world.member_b, world.branch_b, Role.COMMITTEE_MEMBER, clock())
    grant_role(session, world.admin, world.member_a, world.branch_a, Role.REVIEWER, clock())
    assert _count(session, user_id=world.member_b.id, role=Role.COMMITTEE_MEMBER) == 1
    assert _count(session, user_id=world.member_a.id, role=Role.REVIEWER) == 1


def test_no_role_is_granted_in_a_deactivated_unit(ctx, session, clock):
    world = build_world(session)
    world.branch_b.is_active = False
    session.flush()
    with pytest.raises(DomainError) as refused:
        grant_role(session, world.admin, world.member_b, world.branch_b, Role.REVIEWER, clock())
    assert refused.value.field == "unit_id"
    assert _count(session, unit_id=world.branch_b.id) == 0


def test_the_grant_route_flashes_the_refusal_for_a_probationary_member(auth, session):
    world = build_world(session)
    auth.client.set_cookie("learnapp_lang", "en")
    auth.login("admin")
    response = auth.post(
        f"/admin/users/{world.member_a.id}/roles",
        {"role": "committee_member", "unit_id": world.branch_a.id},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Only a full party member can be Committee member" in page
    assert "Probationary member" in page
    reload(session)
    assert _count(session, user_id=world.member_a.id) == 0
