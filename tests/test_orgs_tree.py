"""Reshaping the organisation tree: moving a subtree, deleting an empty unit, deactivating."""

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

import learnapp.models  # noqa: F401  (every table, for the foreign keys to units)
from learnapp.accounts.models import User
from learnapp.audit.models import AuditEntry
from learnapp.db import Base
from learnapp.errors import DomainError
from learnapp.orglife.models import Meeting, MeetingKind
from learnapp.orgs.labels import UNIT_REFERENCE_LABELS
from learnapp.orgs.models import MemberTransfer, Role, Unit, UnitKind
from learnapp.orgs.queries import move_targets, subtree_size, unit_references
from learnapp.orgs.restructure import deactivate_unit, delete_unit, move_unit, reactivate_unit
from learnapp.orgs.services import create_unit, move_member
from tests.conftest import reload
from tests.factories import make_unit, make_user
from tests.world import build_world

CYCLE = _l("A unit cannot be moved under itself or a unit below it.")


def _paths(session) -> dict[int, str]:
    reload(session)
    return dict(session.execute(sa.select(Unit.id, Unit.path)).all())


def _second_general(session, world):
    """Another 党总支 under the same 党委, with its own secretary (a member of its branch)."""
    general = make_unit(session, parent=world.root, name="第二党总支", kind=UnitKind.GENERAL_BRANCH)
    branch = make_unit(session, parent=general, name="丙支部")
    make_user(session, username="gsec2", unit=branch, roles=((Role.SECRETARY, general),))
    session.commit()
    return general, branch


def _actions(session) -> list[str]:
    reload(session)
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- moving ---------------------------------------------------------------------------------


def test_moving_a_unit_rewrites_the_paths_of_its_whole_subtree(ctx, session, clock):
    world = build_world(session)
    inner = make_unit(session, parent=world.root, name="分党委", kind=UnitKind.COMMITTEE)
    general = make_unit(session, parent=inner, name="丁党总支", kind=UnitKind.GENERAL_BRANCH)
    branch = make_unit(session, parent=general, name="丁支部")
    group = make_unit(session, parent=branch, name="丁小组", kind=UnitKind.GROUP)
    make_user(session, unit=branch)
    make_user(session, unit=group)
    session.commit()
    before = _paths(session)
    move_unit(session, world.admin, general, world.root, now=clock())
    session.commit()
    after = _paths(session)
    prefix = f"{world.root.path}{general.id}/"
    assert after[general.id] == prefix
    assert after[branch.id] == f"{prefix}{branch.id}/"
    assert after[group.id] == f"{prefix}{branch.id}/{group.id}/"
    moved = {general.id, branch.id, group.id}
    assert {i: p for i, p in after.items() if i not in moved} == {
        i: p for i, p in before.items() if i not in moved
    }
    assert session.get(Unit, general.id).parent_id == world.root.id
    assert [c.id for c in session.get(Unit, inner.id).children] == []
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "unit.moved"))
    assert entry.before == {"parent_id": inner.id, "path": before[general.id]}
    assert entry.after["parent_id"] == world.root.id
    assert (entry.after["units"], entry.after["members"]) == (3, 2)


def test_the_move_is_one_update_whatever_the_size_of_the_subtree(ctx, session, clock):
    world = build_world(session)
    general2, _ = _second_general(session, world)
    for number in range(5):
        make_unit(session, parent=world.branch_b, name=f"小组{number}", kind=UnitKind.GROUP)
    statements = []

    @sa.event.listens_for(session.get_bind(), "before_cursor_execute")
    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE UNITS"):
            statements.append(statement)

    move_unit(session, world.admin, world.branch_b, general2, now=clock())
    sa.event.remove(session.get_bind(), "before_cursor_execute", count)
    # The subtree's paths in one statement, and the moved unit's parent in one more.
    assert len(statements) == 2


def test_a_unit_cannot_go_under_itself_or_a_unit_below_it(ctx, session, clock):
    world = build_world(session)
    inner = make_unit(session, parent=world.root, name="内党委", kind=UnitKind.COMMITTEE)
    session.commit()
    before = _paths(session)
    for target in (world.root, inner):
        with pytest.raises(DomainError) as refused:
            move_unit(
                session,
                world.admin,
                session.get(Unit, world.root.id),
                session.get(Unit, target.id),
                now=clock(),
            )
        assert refused.value.field == "target_id"
        assert str(refused.value.message) == str(CYCLE)
    session.rollback()
    assert _paths(session) == before
    assert _actions(session) == []


def test_kinds_must_nest_where_the_unit_goes(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        # A 党支部 cannot sit under another 党支部.
        move_unit(session, world.admin, world.branch_b, world.branch_a, now=clock())
    assert refused.value.field == "target_id"
    with pytest.raises(DomainError):
        # A 党小组 only inside a branch.
        move_unit(session, world.admin, world.group_a, world.general, now=clock())
    session.rollback()
    reload(session)
    assert session.get(Unit, world.branch_b.id).parent_id == world.general.id
    assert session.get(Unit, world.group_a.id).parent_id == world.branch_a.id
    assert _actions(session) == []


def test_moving_to_where_the_unit_already_is_is_refused(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        move_unit(session, world.admin, world.branch_b, world.general, now=clock())
    assert world.branch_b.name in str(refused.value.message)
    assert world.general.name in str(refused.value.message)


def test_a_deactivated_unit_takes_no_unit_and_no_member(ctx, session, clock):
    world = build_world(session)
    _, branch_c = _second_general(session, world)
    empty = make_unit(session, parent=world.general, name="空支部")
    session.commit()
    deactivate_unit(session, world.admin, empty, now=clock())
    with pytest.raises(DomainError):
        move_unit(session, world.admin, world.group_a, empty, now=clock())
    with pytest.raises(DomainError):
        move_member(session, world.admin, world.member_b, empty, reason="调动", now=clock())
    with pytest.raises(DomainError):
        create_unit(
            session, world.admin, name="新小组", kind=UnitKind.GROUP, parent=empty, now=clock()
        )
    assert empty not in move_targets(session, world.admin, world.group_a)
    assert branch_c in move_targets(session, world.admin, world.group_a)


def test_a_leader_who_would_end_up_outside_their_unit_blocks_the_move(ctx, session, clock):
    world = build_world(session)
    general2, _ = _second_general(session, world)
    # gsec leads 测试党总支 and is a member of 甲支部: moving 甲支部 away would strand them.
    with pytest.raises(DomainError) as refused:
        move_unit(session, world.admin, world.branch_a, general2, now=clock())
    assert world.general_secretary.display_name in str(refused.value.message)
    session.rollback()
    reload(session)
    assert session.get(Unit, world.branch_a.id).parent_id == world.general.id
    # Within 测试党总支 the same leader stays above: the group may change branch.
    move_unit(session, world.admin, world.group_a, world.branch_b, now=clock())
    assert world.group_a.path == f"{world.branch_b.path}{world.group_a.id}/"


def test_the_refusal_names_every_stranded_holder_and_who_acts(ctx, session, clock):
    world = build_world(session)
    general2, _ = _second_general(session, world)
    make_user(
        session,
        display_name="委员乙",
        unit=world.group_a,
        roles=((Role.COMMITTEE_MEMBER, world.general), (Role.COMMITTEE_MEMBER, world.root)),
    )
    # The leader of 甲支部 itself moves with it, and 测试党委 stays above: neither is named.
    with pytest.raises(DomainError) as refused:
        move_unit(session, world.admin, world.branch_a, general2, now=clock())
    message = str(refused.value.message)
    assert refused.value.field == "target_id"
    assert f"{world.general_secretary.display_name}（书记 · 测试党总支）" in message
    assert "委员乙（委员 · 测试党总支）" in message
    assert world.secretary_a.display_name not in message and "测试党委" not in message
    assert "请管理员先撤销上述职务，再移动甲支部" in message
    assert " 人" not in message


def test_a_long_list_of_stranded_holders_is_cut_short_with_the_count(ctx, session, clock):
    world = build_world(session)
    general2, _ = _second_general(session, world)
    for number in range(6):
        make_user(
            session,
            display_name=f"委员{number}",
            unit=world.branch_a,
            roles=((Role.COMMITTEE_MEMBER, world.general),),
        )
    with pytest.raises(DomainError) as refused:
        move_unit(session, world.admin, world.branch_a, general2, now=clock())
    message = str(refused.value.message)
    assert message.count("（委员 · 测试党总支）") + message.count("（书记 · 测试党总支）") == 5
    assert "等 7 人" in message


def test_secretaries_reshape_only_below_their_unit_and_within_their_scope(ctx, session, clock):
    world = build_world(session)
    _, branch_c = _second_general(session, world)
    with pytest.raises(DomainError):
        # Their own unit is not theirs to move.
        move_unit(session, world.secretary_a, world.branch_a, world.general, now=clock())
    with pytest.raises(DomainError) as refused:
        # Out of their scope on the target's side.
        move_unit(session, world.general_secretary, world.group_a, branch_c, now=clock())
    assert refused.value.field == "target_id"
    assert branch_c not in move_targets(session, world.general_secretary, world.group_a)
    move_unit(session, world.general_secretary, world.group_a, world.branch_b, now=clock())
    assert world.group_a.parent_id == world.branch_b.id


def test_scopes_follow_the_moved_subtree(ctx, session, clock):
    world = build_world(session)
    general2, _ = _second_general(session, world)
    move_unit(session, world.admin, world.branch_b, general2, now=clock())
    session.commit()
    reload(session)
    from learnapp.authz import can_manage_unit

    branch_b = session.get(Unit, world.branch_b.id)
    old_leader = session.get(User, world.general_secretary.id)
    new_leader = session.scalar(sa.select(User).where(User.username == "gsec2"))
    assert not can_manage_unit(old_leader, branch_b)
    assert can_manage_unit(new_leader, branch_b)
    assert subtree_size(session, session.get(Unit, general2.id)) == (3, 2)


# --- deleting and deactivating --------------------------------------------------------------


def test_every_foreign_key_to_units_has_a_label():
    keys = {
        (table.name, fk.parent.name)
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "units"
    }
    assert keys == set(UNIT_REFERENCE_LABELS)


def test_an_empty_unit_is_deleted_and_audited(ctx, session, clock):
    world = build_world(session)
    empty = make_unit(session, parent=world.branch_a, name="空小组", kind=UnitKind.GROUP)
    session.commit()
    empty_id = empty.id
    delete_unit(session, world.admin, empty, now=clock())
    session.commit()
    reload(session)
    assert session.get(Unit, empty_id) is None
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "unit.deleted"))
    assert entry.target_id == str(empty_id) and entry.before["name"] == "空小组"


@pytest.mark.parametrize("blocker", ["child", "member", "transfer", "meeting"])
def test_a_unit_with_children_members_or_history_is_not_deleted(ctx, session, clock, blocker):
    world = build_world(session)
    unit = make_unit(session, parent=world.general, name="有历史的支部")
    expected = str(
        UNIT_REFERENCE_LABELS[
            {
                "child": ("units", "parent_id"),
                "member": ("users", "unit_id"),
                "transfer": ("member_transfers", "from_unit_id"),
                "meeting": ("orglife_meetings", "unit_id"),
            }[blocker]
        ]
    )
    if blocker == "child":
        make_unit(session, parent=unit, kind=UnitKind.GROUP)
    elif blocker == "member":
        make_user(session, unit=unit)
    elif blocker == "transfer":
        session.add(
            MemberTransfer(
                user_id=world.member_b.id,
                from_unit_id=unit.id,
                to_unit_id=world.branch_b.id,
                moved_at=clock(),
            )
        )
    else:
        session.add(
            Meeting(
                unit_id=unit.id,
                kind=MeetingKind.LECTURE,
                title="党员大会",
                held_on=clock().date(),
                created_at=clock(),
                created_by_id=world.admin.id,
            )
        )
    session.commit()
    assert [str(label) for label, _ in unit_references(session, unit)] == [expected]
    with pytest.raises(DomainError) as refused:
        delete_unit(session, world.admin, unit, now=clock())
    assert f"{expected} (1)" in str(refused.value.message)
    session.rollback()
    reload(session)
    assert session.get(Unit, unit.id) is not None
    assert _actions(session) == []


def test_deactivating_waits_for_the_members_to_leave_then_covers_the_subtree(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        deactivate_unit(session, world.admin, world.branch_a, now=clock())
    assert "3" in str(refused.value.message)
    session.rollback()
    reload(session)
    assert session.get(Unit, world.branch_a.id).is_active
    for member in session.scalars(sa.select(User).where(User.unit_id == world.branch_b.id)):
        member.is_active = False
    session.commit()
    branch_b = session.get(Unit, world.branch_b.id)
    group = make_unit(session, parent=branch_b, kind=UnitKind.GROUP)
    assert deactivate_unit(session, world.admin, branch_b, now=clock()) == 2
    assert not branch_b.is_active and not group.is_active
    with pytest.raises(DomainError):
        reactivate_unit(session, world.admin, group, now=clock())
    reactivate_unit(session, world.admin, branch_b, now=clock())
    assert branch_b.is_active and not group.is_active
    session.commit()
    assert _actions(session) == ["unit.deactivated", "unit.reactivated"]
