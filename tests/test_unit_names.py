"""Active sibling units never share a name (a member import finds its unit by name): adding,
renaming, moving and reactivating a unit are refused when an active sibling has its name."""

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.orgs.models import Unit, UnitKind
from learnapp.orgs.restructure import move_unit, reactivate_unit
from learnapp.orgs.services import create_unit, update_unit
from tests.conftest import reload
from tests.factories import make_unit
from tests.world import build_world


def _named(session, name: str) -> list[Unit]:
    return list(session.scalars(sa.select(Unit).where(Unit.name == name)))


def test_a_second_group_of_the_same_name_under_one_branch_is_refused(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        create_unit(
            session,
            world.admin,
            name=" 甲第一党小组 ",
            kind=UnitKind.GROUP,
            parent=world.branch_a,
            now=clock(),
        )
    assert refused.value.field == "name"
    assert world.branch_a.name in str(refused.value.message)
    assert len(_named(session, "甲第一党小组")) == 1


def test_the_same_name_is_allowed_under_another_parent_or_beside_a_deactivated_unit(
    ctx, session, clock
):
    world = build_world(session)
    create_unit(
        session,
        world.admin,
        name="甲第一党小组",
        kind=UnitKind.GROUP,
        parent=world.branch_b,
        now=clock(),
    )
    world.group_a.is_active = False
    session.flush()
    create_unit(
        session,
        world.admin,
        name="甲第一党小组",
        kind=UnitKind.GROUP,
        parent=world.branch_a,
        now=clock(),
    )
    assert len(_named(session, "甲第一党小组")) == 3


def test_a_second_top_level_unit_of_the_same_name_is_refused(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        create_unit(
            session,
            world.admin,
            name=world.root.name,
            kind=UnitKind.COMMITTEE,
            parent=None,
            now=clock(),
        )
    assert "已有名为测试党委的顶级组织" in str(refused.value.message)


def test_renaming_to_a_siblings_name_is_refused_and_keeping_ones_own_name_is_not(
    ctx, session, clock
):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        update_unit(
            session,
            world.admin,
            world.branch_b,
            name="甲支部",
            timezone="Asia/Shanghai",
            now=clock(),
        )
    assert refused.value.field == "name"
    assert world.branch_b.name == "乙支部"
    update_unit(session, world.admin, world.branch_b, name="乙支部", timezone="UTC", now=clock())
    assert world.branch_b.timezone == "UTC"


def test_moving_a_unit_beside_one_of_its_name_is_refused(ctx, session, clock):
    world = build_world(session)
    twin = make_unit(session, parent=world.branch_b, name="甲第一党小组", kind=UnitKind.GROUP)
    with pytest.raises(DomainError) as refused:
        move_unit(session, world.admin, twin, world.branch_a, now=clock())
    assert refused.value.field == "target_id"
    assert twin.parent_id == world.branch_b.id


def test_reactivating_a_unit_whose_name_was_taken_meanwhile_is_refused(ctx, session, clock):
    world = build_world(session)
    world.group_a.is_active = False
    session.flush()
    make_unit(session, parent=world.branch_a, name="甲第一党小组", kind=UnitKind.GROUP)
    with pytest.raises(DomainError):
        reactivate_unit(session, world.admin, world.group_a, now=clock())
    assert not world.group_a.is_active


def test_the_new_unit_form_keeps_the_input_and_says_why(auth, session):
    world = build_world(session)
    auth.client.set_cookie("learnapp_lang", "en")
    auth.login("seca")
    response = auth.post(
        f"/units/new?parent={world.branch_a.id}",
        {"name": "甲第一党小组", "kind": "group", "timezone": "Asia/Urumqi"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already has a unit named 甲第一党小组" in page
    assert 'value="甲第一党小组"' in page
    assert '<option selected value="Asia/Urumqi">' in page
    reload(session)
    assert len(_named(session, "甲第一党小组")) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_the_edit_form_refuses_a_siblings_name(auth, session):
    world = build_world(session)
    auth.login("admin")
    response = auth.post(
        f"/units/{world.branch_b.id}/edit", {"name": "甲支部", "timezone": "Asia/Shanghai"}
    )
    assert response.status_code == 400
    assert 'value="甲支部"' in response.get_data(as_text=True)
    reload(session)
    assert session.get(Unit, world.branch_b.id).name == "乙支部"


def test_the_move_form_refuses_a_parent_with_a_unit_of_that_name(auth, session):
    world = build_world(session)
    twin = make_unit(session, parent=world.branch_b, name="甲第一党小组", kind=UnitKind.GROUP)
    session.commit()
    auth.login("admin")
    response = auth.post(f"/units/{twin.id}/move", {"target_id": world.branch_a.id})
    assert response.status_code == 400
    error = response.get_data(as_text=True).split('class="invalid-feedback">', 1)[1]
    assert "甲第一党小组" in error.split("</div>", 1)[0]
    reload(session)
    assert session.get(Unit, twin.id).parent_id == world.branch_b.id
