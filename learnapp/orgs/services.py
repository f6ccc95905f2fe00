"""Organisation use cases: the unit tree, members, transfers and roles."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.orgs.labels import category_label, role_label
from learnapp.orgs.models import (
    ALLOWED_CHILDREN,
    LEADERSHIP_ROLES,
    MemberCategory,
    MemberTransfer,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
)
from learnapp.orgs.queries import active_sibling_named


def _unit_snapshot(unit: Unit) -> dict:
    return {
        "name": unit.name,
        "kind": unit.kind.value,
        "parent_id": unit.parent_id,
        "timezone": unit.timezone,
        "is_active": unit.is_active,
    }


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError("timezone", _l("Unknown time zone.")) from None


def require_unique_name(
    session: Session,
    parent: Unit | None,
    name: str,
    *,
    field: str | None,
    unit: Unit | None = None,
) -> None:
    """Active siblings never share a name: a member import finds its unit by name, so two
    active units of one name under one parent would make its rows ambiguous."""
    if active_sibling_named(session, parent, name, other_than=unit) is None:
        return
    if parent is None:
        raise DomainError(
            field,
            _l("There is already a top-level unit named %(name)s: choose another name.", name=name),
        )
    raise DomainError(
        field,
        _l(
            "%(parent)s already has a unit named %(name)s: choose another name.",
            parent=parent.name,
            name=name,
        ),
    )


def create_unit(
    session: Session,
    actor: User | None,
    *,
    name: str,
    kind: UnitKind,
    parent: Unit | None,
    now: datetime,
    timezone: str | None = None,
) -> Unit:
    """Add a unit under `parent` (a root only for admins); kinds must nest as DOMAIN.md says."""
    name = (name or "").strip()
    if not name:
        raise DomainError("name", _l("A name is required."))
    if parent is None:
        if actor is not None and not actor.is_admin:
            raise DomainError("parent_id", _l("Only an administrator can add a top-level unit."))
    else:
        if actor is not None and not can_manage_unit(actor, parent):
            raise DomainError("parent_id", _l("The parent unit is outside your organisation."))
        if kind not in ALLOWED_CHILDREN[parent.kind]:
            raise DomainError("kind", _l("This kind of unit cannot sit under the chosen parent."))
        if not parent.is_active:
            raise DomainError(
                "parent_id",
                _l("%(target)s is deactivated: choose another unit.", target=parent.name),
            )
    name = name[:100]
    require_unique_name(session, parent, name, field="name")
    timezone = timezone or (parent.timezone if parent else "Asia/Shanghai")
    _check_timezone(timezone)
    unit = Unit(name=name, kind=kind, parent=parent, timezone=timezone, created_at=now, path="")
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    record(session, actor, "unit.created", "unit", unit.id, now=now, after=_unit_snapshot(unit))
    return unit


def update_unit(
    session: Session, actor: User, unit: Unit, *, name: str, timezone: str, now: datetime
) -> None:
    """Rename a unit or change its time zone; an active unit's name stays unique among its
    active siblings."""
    name = (name or "").strip()[:100]
    if not name:
        raise DomainError("name", _l("A name is required."))
    if unit.is_active:
        require_unique_name(session, unit.parent, name, field="name", unit=unit)
    _check_timezone(timezone)
    before = _unit_snapshot(unit)
    unit.name, unit.timezone = name, timezone
    session.flush()
    record(
        session,
        actor,
        "unit.updated",
        "unit",
        unit.id,
        now=now,
        before=before,
        after=_unit_snapshot(unit),
    )


def _member_snapshot(member: User) -> dict:
    return {
        "display_name": member.display_name,
        "unit_id": member.unit_id,
        "category": member.category.value,
        "phone": member.phone,
        "is_mobile": member.is_mobile,
        "is_retired": member.is_retired,
        "is_elderly_exempt": member.is_elderly_exempt,
        "is_active": member.is_active,
    }


# A member's standing: their category and the flags that decide their study requirement and
# how it is met (年老体弱 exempts; 离退休 and 年老体弱 allow 送学上门). The organisation records it;
# nobody sets their own.
STANDING_FIELDS = ("category", "is_mobile", "is_retired", "is_elderly_exempt")


def _locked_leadership(session: Session, member: User) -> list[RoleAssignment]:
    """The member's 书记 and 委员 roles, read with the member's row locked as grant_role locks
    it, so that a grant and a change of the member's category or unit cannot both pass."""
    session.execute(sa.select(User.id).where(User.id == member.id).with_for_update())
    session.expire(member, ["roles"])
    return [a for a in member.roles if a.role in LEADERSHIP_ROLES]


def _roles_text(assignments: list[RoleAssignment]) -> str:
    return "、".join(f"{role_label(a.role)} · {a.unit.name}" for a in assignments)


def update_member(
    session: Session,
    actor: User,
    member: User,
    *,
    display_name: str,
    category: MemberCategory,
    phone: str | None,
    is_mobile: bool,
    is_retired: bool,
    is_elderly_exempt: bool,
    now: datetime,
) -> None:
    """Correct a member's record. Nobody changes their own standing (STANDING_FIELDS), an
    administrator included: another manager of their unit or another administrator does; their
    own name and phone they may correct. A 书记 or 委员 stays a full party member (正式党员): their
    category changes only after an administrator has withdrawn those roles."""
    display_name = (display_name or "").strip()
    if not display_name:
        raise DomainError("display_name", _l("A name is required."))
    standing = {
        "category": category,
        "is_mobile": is_mobile,
        "is_retired": is_retired,
        "is_elderly_exempt": is_elderly_exempt,
    }
    if member.id == actor.id:
        changed = [name for name in STANDING_FIELDS if standing[name] != getattr(member, name)]
        if changed:
            raise DomainError(
                changed[0],
                _l(
                    "You cannot change your own category or status: another manager of your "
                    "organisation or an administrator does it."
                ),
            )
    if category not in (member.category, MemberCategory.FULL):
        held = _locked_leadership(session, member)
        if held:
            raise DomainError(
                "category",
                _l(
                    "%(name)s holds %(roles)s, which only a full party member can hold: an "
                    "administrator withdraws these roles first, then the category can change.",
                    name=member.display_name,
                    roles=_roles_text(held),
                ),
            )
    before = _member_snapshot(member)
    member.display_name = display_name[:64]
    member.category = category
    member.phone = phone or None
    member.is_mobile, member.is_retired = is_mobile, is_retired
    member.is_elderly_exempt = is_elderly_exempt
    session.flush()
    record(
        session,
        actor,
        "member.updated",
        "user",
        member.id,
        now=now,
        before=before,
        after=_member_snapshot(member),
    )


def move_member(
    session: Session, actor: User, member: User, target: Unit, *, reason: str, now: datetime
) -> MemberTransfer:
    """Move a member to another unit; both ends must be in the actor's scope, and the move says
    why (组织关系转接 keeps its reason). History is kept. Nobody moves themselves: which unit
    one belongs to decides who records and approves one's study. A 书记 or 委员 belongs to the
    unit they hold the role in or to a unit under it (as grant_role requires): they move freely
    within it, and out of it only after an administrator has withdrawn the role."""
    if member.id == actor.id:
        raise DomainError(
            None,
            _l(
                "You cannot move yourself to another unit: another manager of your organisation "
                "or an administrator does it."
            ),
        )
    if not can_manage_unit(actor, target):
        raise DomainError("unit_id", _l("The target unit is outside your organisation."))
    if member.unit is not None and not can_manage_unit(actor, member.unit):
        raise DomainError(None, _l("This member is outside your organisation."))
    if target.kind in (UnitKind.COMMITTEE, UnitKind.GENERAL_BRANCH):
        raise DomainError("unit_id", _l("Members belong to a branch or a party group."))
    if member.unit_id == target.id:
        raise DomainError("unit_id", _l("The member is already in this unit."))
    if not target.is_active:
        raise DomainError(
            "unit_id", _l("%(target)s is deactivated: choose another unit.", target=target.name)
        )
    left = [a for a in _locked_leadership(session, member) if not target.is_within(a.unit)]
    if left:
        raise DomainError(
            "unit_id",
            _l(
                "%(name)s holds %(roles)s, and %(target)s is outside those units: a secretary "
                "or committee member belongs to the unit they hold the role in or to a unit "
                "under it. An administrator withdraws these roles first, then the member can "
                "be moved.",
                name=member.display_name,
                roles=_roles_text(left),
                target=target.name,
            ),
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason", _l("Give the reason for the move."))
    transfer = MemberTransfer(
        user_id=member.id,
        from_unit_id=member.unit_id,
        to_unit_id=target.id,
        moved_at=now,
        actor_id=actor.id,
        reason=reason[:200],
    )
    session.add(transfer)
    member.unit_id = target.id
    session.flush()
    session.refresh(member, ["unit"])
    record(
        session,
        actor,
        "member.moved",
        "user",
        member.id,
        now=now,
        before={"unit_id": transfer.from_unit_id},
        after={"unit_id": target.id},
    )
    return transfer


def grant_role(
    session: Session, actor: User | None, user: User, unit: Unit, role: Role, now: datetime
) -> RoleAssignment:
    """Only administrators assign roles (a secretary cannot raise anyone, themselves included).

    A role is granted only in an active unit. A secretary or committee member (书记, 委员) is
    held only in a party committee, general branch or branch, never in a party group (党小组 has
    a group leader, not modelled here), by a full party member (正式党员: a probationary member
    has no right to be elected, DOMAIN.md) of that unit or of a unit under it; a unit has one
    secretary at a time, so granting a
    second is refused, naming the holder: the admin removes that role first (a handover is two
    audited steps). For a secretary the unit row is locked before the check, so two concurrent
    grants cannot both pass."""
    if actor is not None and not actor.is_admin:
        raise DomainError("role", _l("Only an administrator can assign roles."))
    if not unit.is_active:
        raise DomainError(
            "unit_id", _l("%(target)s is deactivated: choose another unit.", target=unit.name)
        )
    if role in LEADERSHIP_ROLES:
        if unit.kind == UnitKind.GROUP:
            raise DomainError(
                "unit_id",
                _l(
                    "A party group has no secretary or committee: choose its branch or a "
                    "higher unit."
                ),
            )
        # Read under a lock, as update_member and move_member read the roles: a concurrent
        # change of unit or category cannot slip past.
        unit_id, category = session.execute(
            sa.select(User.unit_id, User.category).where(User.id == user.id).with_for_update()
        ).one()
        member_of = session.get(Unit, unit_id) if unit_id is not None else None
        if member_of is None or not member_of.is_within(unit):
            raise DomainError(
                "unit_id",
                _l(
                    "%(name)s is not a member of %(unit)s or of a unit under it.",
                    name=user.display_name,
                    unit=unit.name,
                ),
            )
        if category != MemberCategory.FULL:
            raise DomainError(
                "role",
                _l(
                    "Only a full party member can be %(role)s: %(name)s is recorded as %(category)s.",
                    role=role_label(role),
                    name=user.display_name,
                    category=category_label(category),
                ),
            )
    if role == Role.SECRETARY:
        session.execute(sa.select(Unit.id).where(Unit.id == unit.id).with_for_update())
        holder = session.scalar(
            sa.select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.unit_id == unit.id,
                RoleAssignment.role == Role.SECRETARY,
                User.id != user.id,
            )
        )
        if holder is not None:
            raise DomainError(
                "role",
                _l(
                    "%(unit)s already has a secretary, %(name)s. Remove that role first.",
                    unit=unit.name,
                    name=holder.display_name,
                ),
            )
    exists = session.scalar(
        sa.select(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.unit_id == unit.id,
            RoleAssignment.role == role,
        )
    )
    if exists is not None:
        raise DomainError("role", _l("This role is already held in this unit."))
    assignment = RoleAssignment(
        user_id=user.id,
        unit_id=unit.id,
        role=role,
        granted_at=now,
        granted_by_id=actor.id if actor else None,
    )
    session.add(assignment)
    session.flush()
    session.expire(user, ["roles"])
    record(
        session,
        actor,
        "role.granted",
        "user",
        user.id,
        now=now,
        after={"role": role.value, "unit_id": unit.id},
    )
    return assignment


def revoke_role(session: Session, actor: User, assignment: RoleAssignment, now: datetime) -> None:
    """Remove a role; it stops applying on the holder's next request."""
    if not actor.is_admin:
        raise DomainError("role", _l("Only an administrator can remove roles."))
    if assignment.role == Role.ADMIN and assignment.user_id == actor.id:
        raise DomainError("role", _l("You cannot remove your own administrator role."))
    user = session.get(User, assignment.user_id)
    session.delete(assignment)
    session.flush()
    session.expire(user, ["roles"])
    record(
        session,
        actor,
        "role.revoked",
        "user",
        user.id,
        now=now,
        before={"role": assignment.role.value, "unit_id": assignment.unit_id},
    )
