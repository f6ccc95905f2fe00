"""Reshaping the organisation tree: moving a unit with its subtree, deleting an empty unit,
deactivating and reactivating units.

Everything that places a unit reads its materialised path at the time (scopes of secretaries
and committee members, course and quiz audiences, completion and assessment figures, branch
boards), and the tables that hold a unit keep its id, never its path; so rewriting the paths of
the moved subtree is the whole move, and the rest follows on the next read.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.db import PathString, pinyin_order, within_path
from learnapp.errors import DomainError
from learnapp.orgs.labels import unit_kind_label
from learnapp.orgs.models import LEADERSHIP_ROLES, RoleAssignment, Unit
from learnapp.orgs.queries import (
    active_sibling_named,
    category_counts,
    subtree_size,
    unit_references,
)
from learnapp.orgs.roles import roles_text
from learnapp.orgs.services import require_unique_name

PATH_LENGTH = PathString.length
# A refused move names this many holders of a stranded role, then says how many in all.
NAMED_HOLDERS = 5


def may_restructure(actor, unit: Unit) -> bool:
    """Admins reshape the whole tree; a secretary or committee member only the units strictly
    below the one they hold their role in (as they may add units there, never beside it)."""
    if actor.is_admin:
        return True
    return any(
        unit.path.startswith(managed.path) and unit.path != managed.path
        for managed in actor.managed_units
    )


def _require_restructure(actor, unit: Unit) -> None:
    if not may_restructure(actor, unit):
        raise DomainError(
            None, _l("Only units below the one you lead can be moved, removed or deactivated.")
        )


def _lock(session: Session, *units: Unit) -> None:
    """Lock the rows (PostgreSQL; SQLite writers are serialised) in id order, and re-read their
    paths, so two moves at once cannot build a cycle or work from a stale path."""
    session.execute(
        sa.select(Unit)
        .where(Unit.id.in_(sorted(u.id for u in units)))
        .order_by(Unit.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def _stranded_leaders(session: Session, unit: Unit, target: Unit) -> list[RoleAssignment]:
    """The 书记 and 委员 roles held in a unit above `unit` by a member inside its subtree, whose
    unit would no longer be above them once it sits under `target`: by holder, then role."""
    staying = {*target.ancestor_ids(), target.id}
    above = [i for i in unit.ancestor_ids() if i not in staying]
    if not above:
        return []
    return list(
        session.scalars(
            sa.select(RoleAssignment)
            .join(User, User.id == RoleAssignment.user_id)
            .join(Unit, Unit.id == User.unit_id)
            .where(
                RoleAssignment.unit_id.in_(above),
                RoleAssignment.role.in_(LEADERSHIP_ROLES),
                within_path(Unit.path, unit.path),
            )
            .order_by(pinyin_order(User.display_name), User.id, RoleAssignment.id)
        )
    )


def _stranded_refusal(session: Session, unit: Unit, stranded: list[RoleAssignment]) -> DomainError:
    """The refusal naming each stranded holder with the roles they hold (the first few, then
    how many in all), and who acts: an administrator withdraws the roles, as for one member."""
    held: dict[int, list[RoleAssignment]] = {}
    for assignment in stranded:
        held.setdefault(assignment.user_id, []).append(assignment)
    named = [
        _(
            "%(name)s (%(roles)s)",
            name=session.get(User, user_id).display_name,
            roles=roles_text(roles),
        )
        for user_id, roles in list(held.items())[:NAMED_HOLDERS]
    ]
    holders = "、".join(named)
    if len(held) > NAMED_HOLDERS:
        holders = _("%(names)s and others (%(num)d in all)", names=holders, num=len(held))
    return DomainError(
        "target_id",
        lazy_ngettext(
            "%(holders)s is a member inside %(unit)s, and the move would take %(unit)s out "
            "from under the unit of that role: a secretary or committee member belongs to "
            "the unit they hold the role in or to a unit under it. An administrator "
            "withdraws these roles first, then %(unit)s can be moved.",
            "%(holders)s are members inside %(unit)s, and the move would take %(unit)s out "
            "from under the units of those roles: a secretary or committee member belongs to "
            "the unit they hold the role in or to a unit under it. An administrator "
            "withdraws these roles first, then %(unit)s can be moved.",
            len(held),
            holders=holders,
            unit=unit.name,
        ),
    )


def move_unit(session: Session, actor, unit: Unit, target: Unit, *, now: datetime) -> None:
    """Put `unit` with its whole subtree directly under `target`.

    Both ends must be in the actor's reach; the kinds must nest (DOMAIN.md); the target must
    be active and neither the unit nor one below it, and an active unit of the same name must
    not sit there already (a member import finds units by name). A secretary or committee
    member of a unit the subtree leaves who is a member inside it would lead a unit they no
    longer belong to, so the move is refused naming every such holder and role (as when moving
    one member): an administrator withdraws those roles first. The subtree's paths are rewritten by one UPDATE."""
    _lock(session, unit, target)
    _require_restructure(actor, unit)
    if not can_manage_unit(actor, target):
        raise DomainError("target_id", _l("The target unit is outside your organisation."))
    if target.is_within(unit):
        raise DomainError(
            "target_id", _l("A unit cannot be moved under itself or a unit below it.")
        )
    if target.id == unit.parent_id:
        raise DomainError(
            "target_id",
            _l(
                "%(unit)s is already directly under %(target)s.", unit=unit.name, target=target.name
            ),
        )
    if not target.may_hold(unit):
        raise DomainError(
            "target_id",
            _l(
                "A %(kind)s cannot sit directly under a %(target_kind)s.",
                kind=unit_kind_label(unit.kind),
                target_kind=unit_kind_label(target.kind),
            ),
        )
    if not target.is_active:
        raise DomainError(
            "target_id",
            _l("%(target)s is deactivated: choose another unit.", target=target.name),
        )
    if unit.is_active and active_sibling_named(session, target, unit.name) is not None:
        raise DomainError(
            "target_id",
            _l(
                "%(target)s already has a unit named %(name)s: rename one of them first.",
                target=target.name,
                name=unit.name,
            ),
        )
    old_path, new_path = unit.path, f"{target.path}{unit.id}/"
    longest = session.scalar(
        sa.select(sa.func.max(sa.func.length(Unit.path))).where(within_path(Unit.path, old_path))
    )
    if longest - len(old_path) + len(new_path) > PATH_LENGTH:
        raise DomainError("target_id", _l("The tree would be too deep there."))
    stranded = _stranded_leaders(session, unit, target)
    if stranded:
        raise _stranded_refusal(session, unit, stranded)
    units, people = subtree_size(session, unit)
    old_parent_id = unit.parent_id
    session.execute(
        sa.update(Unit)
        .where(within_path(Unit.path, old_path))
        .values(path=sa.literal(new_path) + sa.func.substr(Unit.path, len(old_path) + 1))
        .execution_options(synchronize_session="fetch")
    )
    unit.parent = target
    session.flush()
    record(
        session,
        actor,
        "unit.moved",
        "unit",
        unit.id,
        now=now,
        before={"parent_id": old_parent_id, "path": old_path},
        after={"parent_id": target.id, "path": new_path, "units": units, "members": people},
    )


def delete_unit(session: Session, actor, unit: Unit, *, now: datetime) -> None:
    """Remove a unit nothing records: no sub-unit, no member, no role, no history (meetings,
    transfers, claims, assessments, courses, quizzes, banks, boards, announcements). Otherwise
    refuse, naming what is there: the unit can be moved, or deactivated to keep its history."""
    _require_restructure(actor, unit)
    _lock(session, unit)
    found = unit_references(session, unit)
    if found:
        raise DomainError(
            None,
            _l(
                "%(unit)s cannot be deleted: it still has %(found)s. Move the unit or "
                "deactivate it instead; a deactivated unit keeps its history.",
                unit=unit.name,
                found=", ".join(f"{label} ({count})" for label, count in found),
            ),
        )
    unit_id = unit.id
    snapshot = {
        "name": unit.name,
        "kind": unit.kind.value,
        "parent_id": unit.parent_id,
        "path": unit.path,
    }
    if unit.parent is not None:
        unit.parent.children.remove(unit)
    session.delete(unit)
    session.flush()
    record(session, actor, "unit.deleted", "unit", unit_id, now=now, before=snapshot)


def deactivate_unit(session: Session, actor, unit: Unit, *, now: datetime) -> int:
    """Retire a unit with history instead of deleting it: it and every unit below it become
    inactive (one UPDATE) and keep their records; meeting lists skip them, dashboards list them
    only for a past year whose members they held, and nothing new is placed in them. Refused
    while active members remain in the subtree: they are moved first. Returns how many units
    were deactivated."""
    _require_restructure(actor, unit)
    _lock(session, unit)
    if not unit.is_active:
        raise DomainError(None, _l("%(unit)s is already deactivated.", unit=unit.name))
    active = sum(category_counts(session, unit).values())
    if active:
        raise DomainError(
            None,
            lazy_ngettext(
                "%(unit)s still has %(num)d active member: move them to another unit first.",
                "%(unit)s still has %(num)d active members: move them to another unit first.",
                active,
                unit=unit.name,
            ),
        )
    changed = session.execute(
        sa.update(Unit)
        .where(within_path(Unit.path, unit.path), Unit.is_active.is_(True))
        .values(is_active=False)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    record(
        session,
        actor,
        "unit.deactivated",
        "unit",
        unit.id,
        now=now,
        before={"is_active": True},
        after={"is_active": False, "units": changed},
    )
    return changed


def reactivate_unit(session: Session, actor, unit: Unit, *, now: datetime) -> None:
    """Bring one deactivated unit back (the units below it stay as they are); its parent must
    be active, and no active sibling may have taken its name meanwhile."""
    _require_restructure(actor, unit)
    _lock(session, unit)
    if unit.is_active:
        raise DomainError(None, _l("%(unit)s is active.", unit=unit.name))
    if unit.parent is not None and not unit.parent.is_active:
        raise DomainError(
            None,
            _l("%(parent)s above it is deactivated: reactivate it first.", parent=unit.parent.name),
        )
    require_unique_name(session, unit.parent, unit.name, field=None, unit=unit)
    unit.is_active = True
    session.flush()
    record(
        session,
        actor,
        "unit.reactivated",
        "unit",
        unit.id,
        now=now,
        before={"is_active": False},
        after={"is_active": True},
    )
