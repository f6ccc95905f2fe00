"""Roles left on accounts disabled before disabling withdrew every role: they do not count as a
unit's secretary when a successor is appointed, the accounts page lists them for an
administrator, who withdraws them (each role audited as disabling withdraws one)."""

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.accounts.queries import disabled_role_holders
from learnapp.accounts.services.users import withdraw_roles_of_disabled
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.orgs.models import Role, RoleAssignment
from learnapp.orgs.queries import has_committee
from learnapp.orgs.roles import grant_role
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world


def _roles(session, user_id) -> list[tuple[Role, int]]:
    return sorted(
        session.execute(
            sa.select(RoleAssignment.role, RoleAssignment.unit_id).where(
                RoleAssignment.user_id == user_id
            )
        ).all()
    )


def _revoked(session, user_id) -> list[str]:
    return sorted(
        entry["role"]
        for entry in session.scalars(
            sa.select(AuditEntry.before).where(
                AuditEntry.action == "role.revoked", AuditEntry.target_id == str(user_id)
            )
        )
    )


def _disabled_long_ago(session, world):
    """Branch A's secretary, also a reviewer, disabled as accounts were before disabling
    withdrew roles: the account is off and the roles stay."""
    grant_role(session, world.admin, world.secretary_a, world.root, Role.REVIEWER, FIXED_NOW)
    world.secretary_a.is_active = False
    session.commit()
    return world.secretary_a


def test_a_disabled_holder_blocks_no_successor_and_an_admin_withdraws_its_roles(ctx, session):
    world = build_world(session)
    old = _disabled_long_ago(session, world)
    successor = make_user(session, username="succ", display_name="接任者", unit=world.branch_a)
    assert disabled_role_holders(session) == [old]
    grant_role(session, world.admin, successor, world.branch_a, Role.SECRETARY, FIXED_NOW)
    assert _roles(session, successor.id) == [(Role.SECRETARY, world.branch_a.id)]

    with pytest.raises(DomainError):
        withdraw_roles_of_disabled(session, world.general_secretary, old, FIXED_NOW)
    with pytest.raises(DomainError) as refused:
        withdraw_roles_of_disabled(session, world.admin, successor, FIXED_NOW)
    assert str(refused.value.message) == "接任者的账号未停用，请在该账号页面逐项撤销其角色。"
    assert _roles(session, successor.id) == [(Role.SECRETARY, world.branch_a.id)]

    withdrawn = withdraw_roles_of_disabled(session, world.admin, old, FIXED_NOW)
    assert {(a.role, a.unit_id) for a in withdrawn} == {
        (Role.SECRETARY, world.branch_a.id),
        (Role.REVIEWER, world.root.id),
    }
    assert _roles(session, old.id) == [] and disabled_role_holders(session) == []
    assert _revoked(session, old.id) == ["reviewer", "secretary"]


def test_a_disabled_holder_does_not_count_in_the_units_committee(ctx, session):
    world = build_world(session)
    members = [
        make_user(session, username=f"wy{n}", unit=world.branch_a, display_name=f"委员{n}")
        for n in range(2)
    ]
    for member in members:
        grant_role(session, world.admin, member, world.branch_a, Role.COMMITTEE_MEMBER, FIXED_NOW)
    assert has_committee(session, world.branch_a)
    _disabled_long_ago(session, world)
    assert not has_committee(session, world.branch_a)


def test_the_admins_accounts_page_lists_them_and_withdraws_on_request(auth, session):
    world = build_world(session)
    old = _disabled_long_ago(session, world)
    auth.login("admin")
    page = auth.client.get("/admin/users").get_data(as_text=True)
    card = page[page.index('data-testid="disabled-role-holders"') :]
    assert f'data-testid="disabled-holder-{old.id}"' in card
    assert "书记 · 甲支部" in card and card.count('data-testid="withdraw-roles-') == 1
    # Without the form's token: refused, nothing withdrawn.
    url = f"/admin/users/{old.id}/withdraw-roles"
    assert auth.client.post(url).status_code == 400
    reload(session)
    assert len(_roles(session, old.id)) == 2
    response = auth.post(url, {}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已撤销" in page and "书记 · 甲支部" in page
    assert 'data-testid="disabled-role-holders"' not in page
    reload(session)
    assert _roles(session, old.id) == []
    assert _revoked(session, old.id) == ["reviewer", "secretary"]


def test_an_active_account_or_an_unknown_one_keeps_everything(auth, session):
    world = build_world(session)
    auth.login("admin")
    response = auth.post(f"/admin/users/{world.general_secretary.id}/withdraw-roles", {})
    assert response.status_code == 302
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "的账号未停用，请在该账号页面逐项撤销其角色。" in page
    reload(session)
    assert _roles(session, world.general_secretary.id) == [(Role.SECRETARY, world.general.id)]
    assert auth.post("/admin/users/999999/withdraw-roles", {}).status_code == 404


@pytest.mark.parametrize("username", ["gsec", "mema"])
def test_only_an_administrator_sees_or_withdraws_them(auth, session, username):
    world = build_world(session)
    old = _disabled_long_ago(session, world)
    auth.login(username)
    assert auth.client.get("/admin/users").status_code == 403
    assert auth.post(f"/admin/users/{old.id}/withdraw-roles", {}).status_code == 403
    reload(session)
    assert len(_roles(session, old.id)) == 2
    assert session.get(User, old.id).is_active is False


def _disabled_reviewers(session, world, names):
    for name in names:
        make_user(
            session,
            username=name,
            unit=world.branch_a,
            roles=((Role.REVIEWER, world.root),),
            is_active=False,
        )
    session.commit()


def _accounts_page(app, auth) -> tuple[str, int]:
    """The accounts page, and how many SQL statements serving it sent to the database."""
    sent = []

    def count(_conn, _cursor, statement, *_args):
        sent.append(statement)

    engine = app.extensions["learnapp.db"].engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = auth.client.get("/admin/users").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return page, len(sent)


def test_the_accounts_page_reads_the_roles_of_all_holders_at_once(app, auth, session):
    world = build_world(session)
    auth.login("admin")
    _disabled_reviewers(session, world, ["old0"])
    one_page, one_holder = _accounts_page(app, auth)
    _disabled_reviewers(session, world, ["old1", "old2", "old3", "old4"])
    five_page, five_holders = _accounts_page(app, auth)
    assert one_page.count('data-testid="disabled-holder-') == 1
    assert five_page.count('data-testid="disabled-holder-') == 5
    assert five_holders == one_holder
