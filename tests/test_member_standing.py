"""A member's standing (category and the 流动党员, 离退休, 年老体弱 flags) and unit are recorded by
someone else, never by the member themselves; a 书记 or 委员 stays a full party member, and a
member of the unit they hold the role in or of a unit under it, until the role is withdrawn."""

import re

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.orgs.models import MemberCategory, MemberTransfer, Role, RoleAssignment, UnitKind
from learnapp.orgs.roles import revoke_role
from learnapp.orgs.services import move_member, update_member
from tests.conftest import reload
from tests.factories import make_unit, make_user
from tests.world import build_world

STANDING = {
    "category": MemberCategory.FULL,
    "is_mobile": False,
    "is_retired": False,
    "is_elderly_exempt": False,
}


def _update(session, clock, actor, member, **changes):
    values = {
        "display_name": member.display_name,
        "phone": member.phone,
        **{name: getattr(member, name) for name in STANDING},
        **changes,
    }
    update_member(session, actor, member, now=clock(), **values)


def _audited(session) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "member.updated")
    )


def _transfers(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(MemberTransfer))


def _moves_audited(session) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "member.moved")
    )


def _second_general(session, world):
    """Another 党总支 under the same 党委, with one branch."""
    general = make_unit(session, parent=world.root, name="第二党总支", kind=UnitKind.GENERAL_BRANCH)
    branch = make_unit(session, parent=general, name="丙支部")
    session.commit()
    return general, branch


def _field_tag(page: str, name: str) -> str:
    return re.search(rf'<(?:input|select)\b[^>]*\bname="{name}"[^>]*>', page).group(0)


# --- services: one's own standing -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("category", MemberCategory.MASSES),
        ("is_elderly_exempt", True),
        ("is_retired", True),
        ("is_mobile", True),
    ],
)
def test_a_secretary_cannot_change_his_own_standing(ctx, session, clock, name, value):
    world = build_world(session)
    before = {field: getattr(world.secretary_a, field) for field in STANDING}
    with pytest.raises(DomainError) as refused:
        _update(session, clock, world.secretary_a, world.secretary_a, **{name: value})
    assert refused.value.field == name
    assert {field: getattr(world.secretary_a, field) for field in STANDING} == before
    assert _audited(session) == 0


def test_an_administrator_cannot_change_his_own_standing(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        _update(session, clock, world.admin, world.admin, is_elderly_exempt=True)
    assert refused.value.field == "is_elderly_exempt"
    assert not world.admin.is_elderly_exempt


def test_one_corrects_ones_own_name_and_phone(ctx, session, clock):
    world = build_world(session)
    world.secretary_a.is_retired = True
    _update(
        session,
        clock,
        world.secretary_a,
        world.secretary_a,
        display_name="新名字",
        phone="13900000000",
    )
    assert (world.secretary_a.display_name, world.secretary_a.phone) == ("新名字", "13900000000")
    assert world.secretary_a.is_retired
    assert _audited(session) == 1


def test_another_manager_records_a_secretarys_exemption(ctx, session, clock):
    world = build_world(session)
    _update(session, clock, world.general_secretary, world.secretary_a, is_elderly_exempt=True)
    assert world.secretary_a.is_elderly_exempt
    _update(session, clock, world.admin, world.general_secretary, is_retired=True)
    assert world.general_secretary.is_retired


def test_nobody_moves_themselves(ctx, session, clock):
    world = build_world(session)
    for actor in (world.general_secretary, world.secretary_a):
        with pytest.raises(DomainError):
            move_member(session, actor, actor, world.group_a, reason="调动", now=clock())
        assert actor.unit_id == world.branch_a.id
    assert session.scalar(sa.select(sa.func.count()).select_from(MemberTransfer)) == 0
    move_member(
        session,
        world.general_secretary,
        world.secretary_a,
        world.group_a,
        reason="调动",
        now=clock(),
    )
    assert world.secretary_a.unit_id == world.group_a.id


# --- services: roles that need a full party member ------------------------------------------


@pytest.mark.parametrize(
    "category",
    [
        MemberCategory.PROBATIONARY,
        MemberCategory.CANDIDATE,
        MemberCategory.ACTIVIST,
        MemberCategory.MASSES,
    ],
)
def test_a_secretarys_category_stays_full_while_he_holds_the_role(ctx, session, clock, category):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        _update(session, clock, world.general_secretary, world.secretary_a, category=category)
    assert refused.value.field == "category"
    message = str(refused.value.message)
    assert world.secretary_a.display_name in message and world.branch_a.name in message
    assert world.secretary_a.category == MemberCategory.FULL
    assert _audited(session) == 0


def test_the_refusal_names_every_role_to_withdraw(ctx, session, clock):
    world = build_world(session)
    member = make_user(
        session,
        username="kong",
        display_name="孔刚文",
        unit=world.branch_a,
        roles=(
            (Role.COMMITTEE_MEMBER, world.branch_a),
            (Role.COMMITTEE_MEMBER, world.general),
            (Role.REVIEWER, world.root),
        ),
    )
    with pytest.raises(DomainError) as refused:
        _update(session, clock, world.secretary_a, member, category=MemberCategory.ACTIVIST)
    message = str(refused.value.message)
    assert world.branch_a.name in message and world.general.name in message
    assert world.root.name not in message
    assert member.category == MemberCategory.FULL


def test_the_category_changes_once_the_role_is_withdrawn(ctx, session, clock):
    world = build_world(session)
    assignment = session.scalar(
        sa.select(RoleAssignment).where(RoleAssignment.user_id == world.secretary_a.id)
    )
    revoke_role(session, world.admin, assignment, clock())
    _update(
        session,
        clock,
        world.general_secretary,
        world.secretary_a,
        category=MemberCategory.PROBATIONARY,
    )
    assert world.secretary_a.category == MemberCategory.PROBATIONARY


def test_other_roles_do_not_hold_the_category(ctx, session, clock):
    world = build_world(session)
    member = make_user(
        session, username="rev", unit=world.branch_a, roles=((Role.REVIEWER, world.root),)
    )
    _update(session, clock, world.secretary_a, member, category=MemberCategory.MASSES)
    assert member.category == MemberCategory.MASSES


def test_a_role_holder_recorded_below_full_is_still_saved_unchanged_or_raised(ctx, session, clock):
    # A record left inconsistent by an earlier version stays editable, and may go up.
    world = build_world(session)
    member = make_user(
        session,
        username="kong",
        unit=world.branch_a,
        category=MemberCategory.ACTIVIST,
        roles=((Role.COMMITTEE_MEMBER, world.branch_a),),
    )
    _update(session, clock, world.secretary_a, member, phone="13900000000")
    assert member.phone == "13900000000"
    with pytest.raises(DomainError):
        _update(session, clock, world.secretary_a, member, category=MemberCategory.MASSES)
    _update(session, clock, world.secretary_a, member, category=MemberCategory.FULL)
    assert member.category == MemberCategory.FULL


# --- services: moving a 书记 or 委员 ---------------------------------------------------------


def test_a_secretary_is_not_moved_out_of_the_unit_he_leads(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        move_member(
            session,
            world.general_secretary,
            world.secretary_a,
            world.branch_b,
            reason="调动",
            now=clock(),
        )
    assert refused.value.field == "unit_id"
    message = str(refused.value.message)
    assert world.secretary_a.display_name in message
    assert world.branch_a.name in message and world.branch_b.name in message
    assert world.secretary_a.unit_id == world.branch_a.id
    assert _transfers(session) == 0
    assert _moves_audited(session) == 0


def test_a_general_branch_secretary_is_not_moved_to_another_general_branch(ctx, session, clock):
    world = build_world(session)
    _, branch_c = _second_general(session, world)
    with pytest.raises(DomainError) as refused:
        move_member(
            session, world.admin, world.general_secretary, branch_c, reason="调动", now=clock()
        )
    assert world.general.name in str(refused.value.message)
    assert world.general_secretary.unit_id == world.branch_a.id
    assert _transfers(session) == 0


def test_a_leader_moves_freely_within_the_unit_he_leads(ctx, session, clock):
    world = build_world(session)
    move_member(
        session, world.admin, world.general_secretary, world.branch_b, reason="调动", now=clock()
    )
    assert world.general_secretary.unit_id == world.branch_b.id
    assert [(a.role, a.unit_id) for a in world.general_secretary.roles] == [
        (Role.SECRETARY, world.general.id)
    ]
    assert _transfers(session) == 1
    assert _moves_audited(session) == 1


def test_the_refusal_names_only_the_roles_the_move_would_leave(ctx, session, clock):
    world = build_world(session)
    member = make_user(
        session,
        username="kong",
        display_name="孔刚文",
        unit=world.group_a,
        roles=(
            (Role.COMMITTEE_MEMBER, world.branch_a),
            (Role.COMMITTEE_MEMBER, world.general),
            (Role.REVIEWER, world.branch_a),
        ),
    )
    with pytest.raises(DomainError) as refused:
        move_member(session, world.admin, member, world.branch_b, reason="调动", now=clock())
    message = str(refused.value.message)
    assert world.branch_a.name in message
    assert world.general.name not in message
    assert member.unit_id == world.group_a.id


def test_a_member_moves_out_once_the_role_is_withdrawn(ctx, session, clock):
    world = build_world(session)
    assignment = session.scalar(
        sa.select(RoleAssignment).where(RoleAssignment.user_id == world.secretary_a.id)
    )
    revoke_role(session, world.admin, assignment, clock())
    move_member(
        session,
        world.general_secretary,
        world.secretary_a,
        world.branch_b,
        reason="调动",
        now=clock(),
    )
    assert world.secretary_a.unit_id == world.branch_b.id


def test_roles_held_in_no_unit_of_ones_own_do_not_hold_a_member(ctx, session, clock):
    world = build_world(session)
    member = make_user(
        session,
        username="rev",
        unit=world.branch_a,
        roles=((Role.REVIEWER, world.branch_a), (Role.BANK_EDITOR, world.branch_a)),
    )
    move_member(
        session, world.general_secretary, member, world.branch_b, reason="调动", now=clock()
    )
    assert member.unit_id == world.branch_b.id


# --- views ----------------------------------------------------------------------------------


def test_ones_own_edit_page_shows_the_standing_read_only_with_a_note(auth, session):
    world = build_world(session)
    auth.login("seca")
    page = auth.client.get(f"/members/{world.secretary_a.id}/edit").get_data(as_text=True)
    assert 'data-testid="own-standing-note"' in page
    for name in STANDING:
        assert "disabled" in _field_tag(page, name), name
    for name in ("display_name", "phone"):
        assert "disabled" not in _field_tag(page, name), name
    page = auth.client.get(f"/members/{world.member_a.id}/edit").get_data(as_text=True)
    assert 'data-testid="own-standing-note"' not in page
    assert all("disabled" not in _field_tag(page, name) for name in STANDING)


def test_saving_ones_own_record_keeps_the_standing_the_page_did_not_post(auth, session):
    world = build_world(session)
    world.secretary_a.is_retired = True
    session.commit()
    auth.login("seca")
    response = auth.post(
        f"/members/{world.secretary_a.id}/edit", {"display_name": "新名字", "phone": ""}
    )
    assert response.status_code == 302
    reload(session)
    saved = session.get(User, world.secretary_a.id)
    assert saved.display_name == "新名字"
    assert saved.is_retired and saved.category == MemberCategory.FULL


@pytest.mark.parametrize(
    ("username", "changes", "field"),
    [
        ("seca", {"is_elderly_exempt": "y"}, "is_elderly_exempt"),
        ("seca", {"category": "masses"}, "category"),
        ("admin", {"is_elderly_exempt": "y"}, "is_elderly_exempt"),
    ],
)
def test_a_posted_change_of_ones_own_standing_is_refused_on_the_form(
    auth, session, username, changes, field
):
    # Needs the zh catalogue entry for the refusal.
    build_world(session)
    me = session.scalar(sa.select(User).where(User.username == username))
    auth.login(username)
    response = auth.post(
        f"/members/{me.id}/edit",
        {"display_name": me.display_name, "phone": "", "category": "full", **changes},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "is-invalid" in _field_tag(page, field)
    assert "不能更改自己的人员类别或身份标记" in page
    reload(session)
    saved = session.get(User, me.id)
    assert not saved.is_elderly_exempt and saved.category == MemberCategory.FULL
    assert _audited(session) == 0


def test_a_secretary_records_a_members_exemption_through_the_form(auth, session):
    world = build_world(session)
    auth.login("seca")
    response = auth.post(
        f"/members/{world.member_a.id}/edit",
        {
            "display_name": world.member_a.display_name,
            "category": "probationary",
            "phone": "",
            "is_elderly_exempt": "y",
        },
    )
    assert response.status_code == 302
    reload(session)
    assert session.get(User, world.member_a.id).is_elderly_exempt


def test_the_form_names_the_roles_to_withdraw_before_a_category_change(auth, session):
    # Needs the zh catalogue entry for the refusal.
    world = build_world(session)
    auth.login("gsec")
    response = auth.post(
        f"/members/{world.secretary_a.id}/edit",
        {"display_name": world.secretary_a.display_name, "category": "activist", "phone": ""},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "is-invalid" in _field_tag(page, "category")
    assert f"书记 · {world.branch_a.name}" in page
    assert "只有正式党员才能担任" in page
    reload(session)
    assert session.get(User, world.secretary_a.id).category == MemberCategory.FULL
    assert _audited(session) == 0


def test_a_secretary_cannot_move_himself_through_the_form(auth, session):
    # Needs the zh catalogue entry for the refusal.
    world = build_world(session)
    auth.login("seca")
    detail = auth.client.get(f"/members/{world.secretary_a.id}").get_data(as_text=True)
    assert f"/members/{world.secretary_a.id}/move" not in detail
    response = auth.post(
        f"/members/{world.secretary_a.id}/move", {"unit_id": world.group_a.id, "reason": "调动"}
    )
    assert response.status_code == 400
    assert "不能把自己调到其他组织" in response.get_data(as_text=True)
    reload(session)
    assert session.get(User, world.secretary_a.id).unit_id == world.branch_a.id
    assert session.scalar(sa.select(sa.func.count()).select_from(MemberTransfer)) == 0
    detail = auth.client.get(f"/members/{world.member_a.id}").get_data(as_text=True)
    assert f"/members/{world.member_a.id}/move" in detail


def test_the_move_form_names_the_roles_to_withdraw_at_the_unit(auth, session):
    # Needs the zh catalogue entry for the refusal.
    world = build_world(session)
    auth.login("gsec")
    response = auth.post(
        f"/members/{world.secretary_a.id}/move", {"unit_id": world.branch_b.id, "reason": "调动"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "is-invalid" in _field_tag(page, "unit_id")
    assert f"书记 · {world.branch_a.name}" in page
    assert "请管理员先撤销上述职务" in page
    reload(session)
    assert session.get(User, world.secretary_a.id).unit_id == world.branch_a.id
    assert _transfers(session) == 0
    assert _moves_audited(session) == 0


def test_the_move_form_moves_a_secretary_within_his_unit(auth, session):
    world = build_world(session)
    auth.login("gsec")
    response = auth.post(
        f"/members/{world.secretary_a.id}/move", {"unit_id": world.group_a.id, "reason": "调动"}
    )
    assert response.status_code == 302
    reload(session)
    assert session.get(User, world.secretary_a.id).unit_id == world.group_a.id
    assert _transfers(session) == 1
    assert _moves_audited(session) == 1
