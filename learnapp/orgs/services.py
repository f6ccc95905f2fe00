"""Organisation use cases: the unit tree, members and transfers (roles: orgs.roles)."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.orgs.models import (
    ALLOWED_CHILDREN,
    MemberCategory,
    MemberTransfer,
    Unit,
    UnitKind,
)
from learnapp.orgs.queries import active_sibling_named
from learnapp.orgs.roles import locked_leadership, roles_text
from learnapp.orgs.standing import record_standing_change, standing_now


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
    category changes only after an administrator has withdrawn those roles. A change of category
    or 年老体弱 is kept in the standing's history (orgs.standing): it applies from now, not to
    years already over."""
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
        held = locked_leadership(session, member)
        if held:
            raise DomainError(
                "category",
                _l(
                    "%(name)s holds %(roles)s, which only a full party member can hold: an "
                    "administrator withdraws these roles first, then the category can change.",
                    name=member.display_name,
                    roles=roles_text(held),
                ),
            )
    before = _member_snapshot(member)
    standing_before = standing_now(member)
    member.display_name = display_name[:64]
    member.category = category
    member.phone = phone or None
    member.is_mobile, member.is_retired = is_mobile, is_retired
    member.is_elderly_exempt = is_elderly_exempt
    session.flush()
    record_standing_change(session, actor, member, standing_before, now)
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
    left = [a for a in locked_leadership(session, member) if not target.is_within(a.unit)]
    if left:
        raise DomainError(
            "unit_id",
            _l(
                "%(name)s holds %(roles)s, and %(target)s is outside those units: a secretary "
                "or committee member belongs to the unit they hold the role in or to a unit "
                "under it. An administrator withdraws these roles first, then the member can "
                "be moved.",
                name=member.display_name,
                roles=roles_text(left),
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
