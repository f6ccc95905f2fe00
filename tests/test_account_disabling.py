"""Disabling an account: it cannot log in, says so, and gives up its roles (audited), so that a
disabled 书记 does not block a successor; enabling it again gives no role back."""

import html

import pytest
import sqlalchemy as sa

from learnapp.accounts.services.users import set_active
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.orgs.models import Role, RoleAssignment
from learnapp.orgs.queries import role_terms
from learnapp.orgs.roles import grant_role
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world


def _roles(session, user) -> list[tuple[Role, int]]:
    return sorted(
        session.execute(
            sa.select(RoleAssignment.role, RoleAssignment.unit_id).where(
                RoleAssignment.user_id == user.id
            )
        ).all()
    )


def test_disabling_withdraws_every_role_audited_and_a_successor_can_be_appointed(ctx, session):
    world = build_world(session)
    successor = make_user(session, username="succ", display_name="接任者", unit=world.branch_a)
    grant_role(session, world.admin, world.secretary_a, world.root, Role.REVIEWER, FIXED_NOW)

    withdrawn = set_active(session, world.admin, world.secretary_a, False, FIXED_NOW)

    assert {(a.role, a.unit_id) for a in withdrawn} == {
        (Role.SECRETARY, world.branch_a.id),
        (Role.REVIEWER, world.root.id),
    }
    assert _roles(session, world.secretary_a) == []
    revoked = session.scalars(
        sa.select(AuditEntry.before).where(
            AuditEntry.action == "role.revoked",
            AuditEntry.target_id == str(world.secretary_a.id),
            AuditEntry.actor_id == world.admin.id,
        )
    ).all()
    assert sorted(entry["role"] for entry in revoked) == ["reviewer", "secretary"]
    # The role history shows the term as ended when the account was disabled.
    [term] = role_terms(session, [world.branch_a.id], [Role.SECRETARY], [world.secretary_a.id])
    assert term.end == FIXED_NOW

    grant_role(session, world.admin, successor, world.branch_a, Role.SECRETARY, FIXED_NOW)
    assert _roles(session, successor) == [(Role.SECRETARY, world.branch_a.id)]


def test_enabling_again_gives_no_role_back(ctx, session):
    world = build_world(session)
    set_active(session, world.admin, world.secretary_a, False, FIXED_NOW)
    assert set_active(session, world.admin, world.secretary_a, True, FIXED_NOW) == []
    assert world.secretary_a.is_active
    assert _roles(session, world.secretary_a) == []


def test_a_disabled_account_is_given_no_role(ctx, session):
    world = build_world(session)
    set_active(session, world.admin, world.member_b, False, FIXED_NOW)
    with pytest.raises(DomainError) as refused:
        grant_role(session, world.admin, world.member_b, world.branch_b, Role.SECRETARY, FIXED_NOW)
    assert str(refused.value.message) == (
        f"{world.member_b.display_name}的账号已停用，请先启用该账号再授予角色。"
    )
    assert _roles(session, world.member_b) == []


def test_disabling_ones_own_account_withdraws_nothing(ctx, session):
    world = build_world(session)
    with pytest.raises(DomainError):
        set_active(session, world.admin, world.admin, False, FIXED_NOW)
    assert _roles(session, world.admin) == [(Role.ADMIN, world.root.id)]


def _confirmation(page: str) -> str:
    form = page.split('data-testid="disable-form"')[0].rsplit("<form", 1)[1]
    return html.unescape(form.split('data-confirm="')[1].split('"')[0])


def test_the_page_lists_the_roles_before_disabling_and_says_none_come_back(auth, session):
    world = build_world(session)
    auth.login("admin")
    page = auth.client.get(f"/admin/users/{world.secretary_a.id}").get_data(as_text=True)
    assert "书记 · 甲支部" in _confirmation(page)
    assert "重新启用也不会恢复" in _confirmation(page)
    plain = auth.client.get(f"/admin/users/{world.member_b.id}").get_data(as_text=True)
    assert "角色" not in _confirmation(plain)

    response = auth.post(
        f"/admin/users/{world.secretary_a.id}/active", {"active": "0"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "其角色已一并撤销：书记 · 甲支部。" in page
    assert 'data-testid="roles-not-restored"' in page
    assert 'data-testid="disable-form"' not in page
    reload(session)
    assert _roles(session, world.secretary_a) == []


def test_a_disabled_account_cannot_log_in_and_its_page_says_so(auth, session):
    world = build_world(session)
    auth.login("admin")
    auth.post(f"/admin/users/{world.member_b.id}/active", {"active": "0"})
    page = auth.client.get(f"/admin/users/{world.member_b.id}").get_data(as_text=True)
    assert 'data-testid="account-status">已停用' in page
    assert 'data-testid="can-log-in">否：账号已停用<' in page
    active = auth.client.get(f"/admin/users/{world.member_a.id}").get_data(as_text=True)
    assert 'data-testid="can-log-in">是<' in active
    auth.logout()
    assert auth.login("memb").status_code == 400


def test_only_an_administrator_disables_an_account(auth, session):
    world = build_world(session)
    auth.login("seca")
    response = auth.post(f"/admin/users/{world.member_a.id}/active", {"active": "0"})
    assert response.status_code == 403
    reload(session)
    assert session.get(type(world.member_a), world.member_a.id).is_active
