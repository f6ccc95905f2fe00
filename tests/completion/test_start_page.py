"""The completion start page lists the outermost of the units a person manages: a unit below
one of them is reached from its dashboard, so listing it too would only repeat it."""

import re

from learnapp.orgs.models import Role, UnitKind
from tests.factories import make_unit, make_user
from tests.world import build_world


def _listed(page: str) -> list[str]:
    return re.findall(r'href="/completion/units/(\d+)"', page)


def test_the_outermost_managed_units_skip_units_inside_another(session):
    world = build_world(session)
    other = make_unit(session, parent=world.root, name="丙总支", kind=UnitKind.GENERAL_BRANCH)
    person = make_user(
        session,
        username="twohats",
        unit=world.branch_a,
        roles=(
            (Role.COMMITTEE_MEMBER, world.branch_a),
            (Role.SECRETARY, world.general),
            (Role.SECRETARY, other),
            (Role.REVIEWER, world.root),  # manages nothing
        ),
    )
    assert {unit.id for unit in person.managed_units} == {
        world.branch_a.id,
        world.general.id,
        other.id,
    }
    assert person.outermost_managed_units == [world.general, other]


def test_roles_at_a_committee_and_a_branch_below_lead_straight_to_the_committee(session, auth):
    world = build_world(session)
    make_user(
        session,
        username="chain",
        unit=world.branch_a,
        roles=((Role.SECRETARY, world.branch_a), (Role.COMMITTEE_MEMBER, world.general)),
    )
    session.commit()
    auth.login("chain")
    response = auth.client.get("/completion/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/completion/units/{world.general.id}"


def test_separate_units_are_listed_once_each_without_the_ones_below(session, auth):
    world = build_world(session)
    make_user(
        session,
        username="spread",
        unit=world.branch_a,
        roles=(
            (Role.SECRETARY, world.branch_a),
            (Role.COMMITTEE_MEMBER, world.group_a),
            (Role.COMMITTEE_MEMBER, world.branch_b),
        ),
    )
    session.commit()
    auth.login("spread")
    page = auth.client.get("/completion/")
    assert page.status_code == 200
    assert _listed(page.text) == [str(world.branch_a.id), str(world.branch_b.id)]
