"""Units in tree order: a unit, then the units below it, siblings by id (creation order) read
as numbers, the same on SQLite and PostgreSQL: unit 9 before unit 10, which their paths as
text would put the other way round."""

import csv
import io

import sqlalchemy as sa

from learnapp.completion.summary import LineKind, UnitNode, lines_for
from learnapp.db import path_key, tree_order
from learnapp.orgs.models import Unit
from learnapp.orgs.queries import members_page, units_in_scope
from tests.completion.test_views import _credit
from tests.factories import make_unit, make_user
from tests.world import build_world

SIBLINGS = 11


def _siblings(session, world) -> list[Unit]:
    """Eleven more branches under 测试党总支, one member each, their ids across 9 and 10."""
    branches = [
        make_unit(session, parent=world.general, name=f"第{number}支部")
        for number in range(1, SIBLINGS + 1)
    ]
    for branch in branches:
        make_user(session, unit=branch, display_name=f"{branch.name}成员")
    session.commit()
    assert branches[0].id < 10 <= branches[-1].id
    # As text, the paths put the later siblings first: what the tests below must not see.
    assert sorted(b.path for b in branches) != [b.path for b in branches]
    return branches


def test_the_key_reads_the_ids_of_a_path_as_numbers():
    paths = ["/1/10/", "/1/9/3/", "/1/", "/1/9/", "/2/", "/1/10/11/"]
    assert sorted(paths, key=path_key) == ["/1/", "/1/9/", "/1/9/3/", "/1/10/", "/1/10/11/", "/2/"]
    assert path_key("") == ()


def test_the_database_orders_paths_by_the_same_key(session):
    world = build_world(session)
    _siblings(session, world)
    ordered = session.scalars(sa.select(Unit.path).order_by(tree_order(Unit.path))).all()
    assert ordered == sorted(ordered, key=path_key)
    assert ordered != sorted(ordered)


def test_the_organisation_page_lists_siblings_in_creation_order(session, auth):
    world = build_world(session)
    branches = _siblings(session, world)
    assert [u.id for u in units_in_scope(session, world.admin)][-SIBLINGS:] == [
        b.id for b in branches
    ]
    auth.login("admin")
    page = auth.client.get("/units").get_data(as_text=True)
    positions = [page.index(f">{branch.name}") for branch in branches]
    assert positions == sorted(positions)
    assert page.index(f">{world.branch_b.name}") < positions[0]


def test_member_lists_follow_the_tree_order(ctx, session):
    world = build_world(session)
    branches = _siblings(session, world)
    listed = members_page(session, world.general).members
    in_siblings = [m.display_name for m in listed if m.unit_id in {b.id for b in branches}]
    assert in_siblings == [f"{branch.name}成员" for branch in branches]


def test_the_completion_export_and_summary_follow_the_tree_order(session, auth, app):
    world = build_world(session)
    branches = _siblings(session, world)
    with app.app_context():
        _credit(session, world.member_a, "40")
    session.commit()
    auth.login("admin")
    response = auth.post(f"/completion/units/{world.general.id}/export.csv", {"year": "2026"})
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    units = [row[0] for row in rows[2:] if row[0] in {b.name for b in branches}]
    assert units == [branch.name for branch in branches]
    nodes = {
        unit.id: UnitNode(unit.id, unit.path, unit.name, True)
        for unit in [world.general, *branches]
    }
    lines = lines_for(nodes, world.general.id, {})
    assert [line.name for line in lines if line.kind == LineKind.UNIT] == [
        branch.name for branch in branches
    ]
