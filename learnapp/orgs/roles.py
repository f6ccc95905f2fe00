"""Roles: granting and withdrawing them (administrators only), and the 书记 and 委员 a member
holds, read under a lock by the checks that keep roles, category and unit consistent."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.orgs.labels import category_label, role_label
from learnapp.orgs.models import (
    LEADERSHIP_ROLES,
    MemberCategory,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
)
from learnapp.orgs.standing import record_standing_change, standing_now

# Withdrawing a role deletes its assignment: these audit entries are the roles' history
# (queries.role_terms reads it).
GRANTED = "role.granted"
REVOKED = "role.revoked"


def locked_leadership(session: Session, member: User) -> list[RoleAssignment]:
    """The member's 书记 and 委员 roles, read with the member's row locked as grant_role locks
    it, so that a grant and a change of the member's category or unit cannot both pass."""
    session.execute(sa.select(User.id).where(User.id == member.id).with_for_update())
    session.expire(member, ["roles"])
    return [a for a in member.roles if a.role in LEADERSHIP_ROLES]


def roles_text(assignments: list[RoleAssignment]) -> str:
    return "、".join(f"{role_label(a.role)} · {a.unit.name}" for a in assignments)


def grant_role(
    session: Session, actor: User | None, user: User, unit: Unit, role: Role, now: datetime
) -> RoleAssignment:
    """Only administrators assign roles (a secretary cannot raise anyone, themselves included).

    A role is granted only to an active account (disabling one withdraws its roles) and only
    in an active unit. A secretary or committee member (书记, 委员) is held only in a party
    committee, general branch or branch, never in a party group (党小组 has a group leader, not
    modelled here), by a full party member (正式党员: a probationary member has no right to be
    elected, DOMAIN.md) of that unit or of a unit under it; a unit has one secretary at a time,
    so granting a second is refused, naming the holder: the admin removes that role first (a
    handover is two audited steps). A disabled account does not count as the holder: one
    disabled before disabling withdrew every role may still hold it, and the accounts page
    lists it for an administrator to clear (accounts.disabled_roles). For a secretary the unit row is locked before the check, so
    two concurrent grants cannot both pass. A member's first 书记 or 委员 role is kept in their
    standing's history (orgs.standing): the higher 学时 target applies from now, not to years
    already over."""
    if actor is not None and not actor.is_admin:
        raise DomainError("role", _l("Only an administrator can assign roles."))
    if not user.is_active:
        raise DomainError(
            "role",
            _l(
                "The account of %(name)s is disabled: enable it before giving it a role.",
                name=user.display_name,
            ),
        )
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
                User.is_active.is_(True),
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
    before = standing_now(user)
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
    record_standing_change(session, actor, user, before, now)
    record(
        session,
        actor,
        GRANTED,
        "user",
        user.id,
        now=now,
        after={"role": role.value, "unit_id": unit.id},
    )
    return assignment


def revoke_role(session: Session, actor: User, assignment: RoleAssignment, now: datetime) -> None:
    """Remove a role; it stops applying on the holder's next request. Withdrawing a member's
    last 书记 or 委员 role is kept in their standing's history, as granting the first is."""
    if not actor.is_admin:
        raise DomainError("role", _l("Only an administrator can remove roles."))
    if assignment.role == Role.ADMIN and assignment.user_id == actor.id:
        raise DomainError("role", _l("You cannot remove your own administrator role."))
    user = session.get(User, assignment.user_id)
    before = standing_now(user)
    session.delete(assignment)
    session.flush()
    session.expire(user, ["roles"])
    record_standing_change(session, actor, user, before, now)
    record(
        session,
        actor,
        REVOKED,
        "user",
        user.id,
        now=now,
        before={"role": assignment.role.value, "unit_id": assignment.unit_id},
    )
