"""The unit page's move, delete, deactivate and reactivate routes, for each role."""

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.orgs.models import MemberTransfer, Role, Unit, UnitKind
from tests.conftest import reload
from tests.factories import make_unit, make_user
from tests.world import build_world


def _second_general(session, world):
    general = make_unit(session, parent=world.root, name="第二党总支", kind=UnitKind.GENERAL_BRANCH)
    branch = make_unit(session, parent=general, name="丙支部")
    session.commit()
    return general, branch


def _unit(session, unit_id) -> Unit | None:
    reload(session)
    return session.get(Unit, unit_id)


def _audited(session) -> list[str]:
    reload(session)
    return list(session.scalars(sa.select(AuditEntry.action)))


# --- move -----------------------------------------------------------------------------------


def test_an_admin_moves_a_branch_to_another_general_branch(auth, session):
    world = build_world(session)
    general2, _ = _second_general(session, world)
    auth.login("admin")
    page = auth.client.get(f"/units/{world.branch_b.id}/move")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    size = text[text.index('data-testid="move-size"') :]
    size = size[: size.index("</div>")]
    # 乙支部 alone, with its one member: no unit below it is counted.
    assert "1名成员" in size and "没有下级组织" in size and "个组织" not in size
    assert f'value="{general2.id}"' in text
    assert f'value="{world.general.id}"' not in text  # where it already is
    response = auth.post(f"/units/{world.branch_b.id}/move", {"target_id": general2.id})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/units/{world.branch_b.id}")
    moved = _unit(session, world.branch_b.id)
    assert moved.parent_id == general2.id
    assert moved.path == f"{general2.path}{moved.id}/"
    detail = auth.client.get(f"/units/{general2.id}").get_data(as_text=True)
    assert world.branch_b.name in detail
    assert _audited(session) == ["unit.moved"]


def test_confirming_a_unit_move_without_choosing_a_target_moves_nothing(auth, session):
    world = build_world(session)
    _second_general(session, world)  # somewhere 乙支部 could go
    auth.login("admin")
    page = auth.client.get(f"/units/{world.branch_b.id}/move").get_data(as_text=True)
    first = page[page.index('data-testid="move-target"') :]
    first = first[first.index("<option") : first.index("</option>")]
    assert 'value=""' in first and "selected" in first  # the placeholder, not 第二党总支
    response = auth.post(f"/units/{world.branch_b.id}/move", {"target_id": ""})
    assert response.status_code == 400
    assert "is-invalid" in response.get_data(as_text=True)
    assert _unit(session, world.branch_b.id).parent_id == world.general.id
    assert "unit.moved" not in _audited(session)


def test_a_target_that_is_not_offered_is_refused_and_nothing_changes(auth, session):
    world = build_world(session)
    other = make_unit(session, name="另一党委", kind=UnitKind.COMMITTEE)
    session.commit()
    auth.login("admin")
    before = _unit(session, world.general.id).path
    page = auth.client.get(f"/units/{world.general.id}/move").get_data(as_text=True)
    assert f'value="{other.id}"' in page
    # Its own branch: a cycle; the root: already its parent.
    for target in (world.branch_a, world.root):
        response = auth.post(f"/units/{world.general.id}/move", {"target_id": target.id})
        assert response.status_code == 400
        assert "is-invalid" in response.get_data(as_text=True)
    assert _unit(session, world.general.id).path == before
    assert _audited(session) == []


def test_a_general_secretary_moves_a_group_within_their_general_branch(auth, session):
    world = build_world(session)
    auth.login("gsec")
    response = auth.post(f"/units/{world.group_a.id}/move", {"target_id": world.branch_b.id})
    assert response.status_code == 302
    assert _unit(session, world.group_a.id).parent_id == world.branch_b.id


def test_a_secretary_cannot_move_their_own_unit_nor_reach_another(auth, session):
    world = build_world(session)
    _, branch_c = _second_general(session, world)
    auth.login("seca")
    assert auth.client.get(f"/units/{world.branch_a.id}/move").status_code == 403
    assert auth.client.get(f"/units/{world.branch_b.id}/move").status_code == 404
    page = auth.client.get(f"/units/{world.group_a.id}/move")
    assert page.status_code == 200
    # Nowhere in their scope can take the group but its own branch: no choice is offered.
    assert 'data-testid="no-move-target"' in page.get_data(as_text=True)
    response = auth.post(f"/units/{world.group_a.id}/move", {"target_id": branch_c.id})
    assert response.status_code == 400
    assert _unit(session, world.group_a.id).parent_id == world.branch_a.id


def test_the_unit_page_offers_reshaping_only_where_it_is_allowed(auth, session):
    world = build_world(session)
    auth.login("seca")
    own = auth.client.get(f"/units/{world.branch_a.id}").get_data(as_text=True)
    assert 'data-testid="unit-move"' not in own and 'data-testid="unit-delete"' not in own
    below = auth.client.get(f"/units/{world.group_a.id}").get_data(as_text=True)
    assert 'data-testid="unit-move"' in below and 'data-testid="unit-delete"' in below
    auth.logout()
    auth.login("admin")
    root = auth.client.get(f"/units/{world.root.id}").get_data(as_text=True)
    assert 'data-testid="unit-move"' in root


@pytest.mark.parametrize(
    "path",
    ["/units/{id}/move", "/units/{id}/delete"],
)
def test_members_are_refused_the_reshaping_pages(auth, session, path):
    world = build_world(session)
    auth.login("memb")
    assert auth.client.get(path.format(id=world.branch_b.id)).status_code == 403


@pytest.mark.parametrize(
    "path",
    ["/units/{id}/move", "/units/{id}/delete", "/units/{id}/deactivate", "/units/{id}/reactivate"],
)
def test_anonymous_visitors_reshape_nothing(client, session, path):
    world = build_world(session)
    url = path.format(id=world.branch_b.id)
    if not url.endswith(("deactivate", "reactivate")):
        assert "/login" in client.get(url).headers["Location"]
    # Without a session there is no CSRF token: refused before anything else.
    assert client.post(url, data={"target_id": world.root.id}).status_code == 400
    assert _unit(session, world.branch_b.id).parent_id == world.general.id
    assert _unit(session, world.branch_b.id).is_active


# --- delete, deactivate, reactivate ---------------------------------------------------------


def test_an_admin_deletes_an_empty_unit(auth, session):
    world = build_world(session)
    empty = make_unit(session, parent=world.branch_b, name="空小组", kind=UnitKind.GROUP)
    session.commit()
    auth.login("admin")
    page = auth.client.get(f"/units/{empty.id}/delete").get_data(as_text=True)
    assert 'data-testid="delete-confirm"' in page
    response = auth.post(f"/units/{empty.id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/units/{world.branch_b.id}")
    assert _unit(session, empty.id) is None
    assert _audited(session) == ["unit.deleted"]
    flashed = auth.client.get(f"/units/{world.branch_b.id}").get_data(as_text=True)
    assert "空小组" in flashed


def test_a_unit_with_history_is_not_deleted_and_deactivation_is_offered(auth, session, clock):
    world = build_world(session)
    emptied = make_unit(session, parent=world.general, name="撤并支部")
    session.add(
        MemberTransfer(
            user_id=world.member_b.id,
            from_unit_id=emptied.id,
            to_unit_id=world.branch_b.id,
            moved_at=clock(),
        )
    )
    session.commit()
    auth.login("admin")
    page = auth.client.get(f"/units/{emptied.id}/delete").get_data(as_text=True)
    assert 'data-testid="delete-blockers"' in page and 'data-testid="unit-deactivate"' in page
    assert 'data-testid="delete-confirm"' not in page
    response = auth.post(f"/units/{emptied.id}/delete")
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.get_data(as_text=True)
    assert _unit(session, emptied.id) is not None
    response = auth.post(f"/units/{emptied.id}/deactivate")
    assert response.status_code == 302
    assert not _unit(session, emptied.id).is_active
    detail = auth.client.get(f"/units/{emptied.id}").get_data(as_text=True)
    assert 'data-testid="unit-inactive"' in detail and 'data-testid="unit-reactivate"' in detail
    assert auth.post(f"/units/{emptied.id}/reactivate").status_code == 302
    assert _unit(session, emptied.id).is_active
    assert _audited(session) == ["unit.deactivated", "unit.reactivated"]


def test_deactivating_a_unit_with_active_members_is_refused_with_a_message(auth, session):
    world = build_world(session)
    auth.login("admin")
    response = auth.post(f"/units/{world.branch_b.id}/deactivate", follow_redirects=True)
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True)
    assert _unit(session, world.branch_b.id).is_active
    assert _audited(session) == []


def test_a_secretary_deletes_an_empty_group_below_their_branch_but_not_their_branch(auth, session):
    world = build_world(session)
    empty = make_unit(session, parent=world.branch_a, name="空小组", kind=UnitKind.GROUP)
    make_user(session, username="bankeditor", roles=((Role.BANK_EDITOR, world.branch_b),))
    session.commit()
    auth.login("seca")
    assert auth.client.get(f"/units/{world.branch_a.id}/delete").status_code == 403
    assert auth.post(f"/units/{world.branch_a.id}/deactivate").status_code == 403
    assert auth.client.get(f"/units/{world.branch_b.id}/delete").status_code == 404
    assert auth.post(f"/units/{empty.id}/delete").status_code == 302
    assert _unit(session, empty.id) is None
