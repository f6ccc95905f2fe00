"""Read functions of the organisation tree: scopes, members, counts, sizing warnings and the
history of roles."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.accounts.queries import name_contains_clause
from learnapp.audit.models import AuditEntry
from learnapp.authz import unit_in_scope_clause
from learnapp.db import pinyin_order, tree_order, within_path
from learnapp.orgs.models import (
    BRANCH_KINDS,
    MemberCategory,
    MemberTransfer,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
)
from learnapp.orgs.roles import GRANTED, REVOKED

PAGE_SIZE = 30


def units_in_scope(session: Session, user) -> list[Unit]:
    """Every unit the user manages, in tree order."""
    return list(
        session.scalars(
            sa.select(Unit)
            .where(unit_in_scope_clause(user, Unit.path))
            .order_by(tree_order(Unit.path))
        )
    )


def member_units_in_scope(session: Session, user) -> list[Unit]:
    """Units a member can belong to (branches and groups) within the user's scope."""
    return [
        unit
        for unit in units_in_scope(session, user)
        if unit.kind in BRANCH_KINDS or unit.kind == UnitKind.GROUP
    ]


def active_sibling_named(
    session: Session, parent: Unit | None, name: str, *, other_than: Unit | None = None
) -> Unit | None:
    """An active unit directly under `parent` (a top-level one when None) called `name`."""
    query = sa.select(Unit).where(
        Unit.name == name,
        Unit.is_active.is_(True),
        Unit.parent_id == parent.id if parent is not None else Unit.parent_id.is_(None),
    )
    if other_than is not None:
        query = query.where(Unit.id != other_than.id)
    return session.scalars(query.limit(1)).first()


def pickable_units(
    session: Session, user, *, members_only: bool = False, keep: Collection[int] = ()
) -> list[Unit]:
    """What a unit picker offers `user` (an account's unit, a role's unit, a course's or a
    quiz's owner and audience): the active units in their scope, in tree order; with
    `members_only`, the branches and groups a member can belong to. Nothing new is placed in a
    deactivated unit, but the ids in `keep` (what the record being edited holds already) stay
    offered, so that saving it unchanged still passes the form's choice check."""
    units = member_units_in_scope(session, user) if members_only else units_in_scope(session, user)
    return [unit for unit in units if unit.is_active or unit.id in keep]


def subtree_units(session: Session, unit: Unit) -> list[Unit]:
    return list(
        session.scalars(
            sa.select(Unit).where(within_path(Unit.path, unit.path)).order_by(tree_order(Unit.path))
        )
    )


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The units above `unit`, top first (from its materialised path: one query)."""
    ids = unit.ancestor_ids()
    if not ids:
        return []
    found = {u.id: u for u in session.scalars(sa.select(Unit).where(Unit.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _members_in(unit: Unit):
    return (
        sa.select(User).join(Unit, User.unit_id == Unit.id).where(within_path(Unit.path, unit.path))
    )


@dataclass
class MemberPage:
    members: list[User]
    total: int  # every account listed, disabled ones included
    page: int
    pages: int
    disabled: int = 0  # how many of `total` are disabled accounts

    @property
    def active(self) -> int:
        return self.total - self.disabled


def members_page(
    session: Session,
    unit: Unit,
    *,
    page: int = 1,
    search: str = "",
    category: MemberCategory | None = None,
) -> MemberPage:
    """One page of the accounts in `unit`'s subtree: disabled ones are listed too (marked in
    the list), and counted apart, since every other member figure counts active members only."""
    query = _members_in(unit)
    search = search.strip()[:50]
    if search:
        query = query.where(name_contains_clause(search))
    if category is not None:
        query = query.where(User.category == category)
    listed = query.subquery()
    total, disabled = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((listed.c.is_active.is_(False), 1), else_=0)), 0),
        ).select_from(listed)
    ).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    members = session.scalars(
        query.order_by(tree_order(Unit.path), pinyin_order(User.display_name), User.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return MemberPage(list(members), total, page, pages, disabled)


def category_counts(session: Session, unit: Unit) -> dict[MemberCategory, int]:
    rows = session.execute(
        sa.select(User.category, sa.func.count())
        .join(Unit, User.unit_id == Unit.id)
        .where(within_path(Unit.path, unit.path), User.is_active.is_(True))
        .group_by(User.category)
    ).all()
    counts = dict.fromkeys(MemberCategory, 0)
    counts.update(dict(rows))
    return counts


def child_member_counts(session: Session, unit: Unit) -> dict[int, int]:
    """Active party members under each direct child of `unit` (one query)."""
    counts = {}
    for child in unit.children:
        counts[child.id] = 0
    if not counts:
        return counts
    rows = session.execute(
        sa.select(Unit.path, sa.func.count())
        .join(User, User.unit_id == Unit.id)
        .where(within_path(Unit.path, unit.path), User.is_active.is_(True))
        .group_by(Unit.path)
    ).all()
    for path, count in rows:
        parts = path.strip("/").split("/")
        if len(parts) > unit.depth + 1:
            child_id = int(parts[unit.depth + 1])
            if child_id in counts:
                counts[child_id] += count
    return counts


def has_committee(session: Session, unit: Unit) -> bool:
    """Three or more 书记 and 委员 hold their role in the unit; a disabled account's role (one
    disabled before disabling withdrew every role) does not count."""
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(RoleAssignment)
            .join(User, User.id == RoleAssignment.user_id)
            .where(
                RoleAssignment.unit_id == unit.id,
                RoleAssignment.role.in_([Role.SECRETARY, Role.COMMITTEE_MEMBER]),
                User.is_active.is_(True),
            )
        )
        >= 3
    )


def sizing_warnings(session: Session, unit: Unit, counts: dict | None = None) -> list[str]:
    """Warnings (never refusals) when a unit's size is outside the norms of DOMAIN.md.

    `counts` (from category_counts) may be passed in when the caller already has them.
    """
    counts = counts if counts is not None else category_counts(session, unit)
    full = counts[MemberCategory.FULL]
    party = full + counts[MemberCategory.PROBATIONARY]
    warnings = []
    if unit.kind == UnitKind.COMMITTEE and party < 100:
        warnings.append(
            _l("A party committee normally has at least 100 members; this one has %(n)d.", n=party)
        )
    elif unit.kind == UnitKind.GENERAL_BRANCH and not 50 <= party <= 100:
        warnings.append(
            _l("A general branch normally has 50 to 100 members; this one has %(n)d.", n=party)
        )
    elif unit.kind in BRANCH_KINDS:
        if full < 3:
            warnings.append(
                _l("A branch needs at least 3 full members; this one has %(n)d.", n=full)
            )
        if party > 50:
            warnings.append(
                _l(
                    "A branch normally has at most 50 members; this one has %(n)d. Consider splitting it.",
                    n=party,
                )
            )
        if full >= 7 and not has_committee(session, unit):
            warnings.append(
                _l(
                    "With %(n)d full members this branch should have a committee (支委会) of at least 3.",
                    n=full,
                )
            )
    return warnings


def transfers_of(session: Session, member: User):
    return list(
        session.scalars(
            sa.select(MemberTransfer)
            .where(MemberTransfer.user_id == member.id)
            .order_by(MemberTransfer.moved_at.desc())
        )
    )


def root_units(session: Session) -> list[Unit]:
    return list(session.scalars(sa.select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id)))


def subtree_size(session: Session, unit: Unit) -> tuple[int, int]:
    """Units in `unit`'s subtree (itself included) and the people who belong to them."""
    units = session.scalar(
        sa.select(sa.func.count()).select_from(Unit).where(within_path(Unit.path, unit.path))
    )
    people = session.scalar(sa.select(sa.func.count()).select_from(_members_in(unit).subquery()))
    return units, people


def unit_references(session: Session, unit: Unit) -> list[tuple[str, int]]:
    """What still records the unit's id, as (label, count) for each kind found, in one query.

    Every foreign key to units counts, read from the mapped tables, so a table added later
    blocks deletion too (labelled by its name until it has a label)."""
    from learnapp.db import Base
    from learnapp.orgs.labels import UNIT_REFERENCE_LABELS

    columns = [
        foreign_key.parent
        for table in Base.metadata.sorted_tables
        for foreign_key in table.foreign_keys
        if foreign_key.column is Unit.__table__.c.id
    ]
    row = session.execute(
        sa.select(
            *(
                sa.select(sa.func.count())
                .select_from(column.table)
                .where(column == unit.id)
                .scalar_subquery()
                for column in columns
            )
        )
    ).one()
    found: dict[str, int] = {}
    for column, count in zip(columns, row, strict=True):
        if count:
            label = str(
                UNIT_REFERENCE_LABELS.get((column.table.name, column.name), column.table.name)
            )
            found[label] = found.get(label, 0) + count
    return list(found.items())


def move_targets(session: Session, user, unit: Unit) -> list[Unit]:
    """Active units in the user's scope that may take `unit` directly under them, other than
    its present parent, in tree order."""
    return [
        target
        for target in units_in_scope(session, user)
        if target.is_active and target.id != unit.parent_id and target.may_hold(unit)
    ]


def party_members_in(unit: Unit) -> sa.Select:
    """The active full and probationary members (正式党员, 预备党员) of `unit` and every unit
    below it, by name: a select, so that callers can add loader options."""
    return (
        sa.select(User)
        .join(Unit, User.unit_id == Unit.id)
        .where(
            within_path(Unit.path, unit.path),
            User.is_active.is_(True),
            User.category.in_((MemberCategory.FULL, MemberCategory.PROBATIONARY)),
        )
        .order_by(pinyin_order(User.display_name), User.id)
    )


@dataclass(frozen=True)
class RoleTerm:
    """A spell in which a user held a role in a unit."""

    user_id: int
    unit_id: int
    role: Role
    start: datetime | None  # None: granted before the audit log has it
    end: datetime | None  # None: held now


def role_terms(
    session: Session, unit_ids: Collection[int], roles: Collection[Role], user_ids: Collection[int]
) -> list[RoleTerm]:
    """When each of `user_ids` held one of `roles` in one of `unit_ids`, as far as the records
    go. A role held now runs from its grant. Withdrawing a role deletes its assignment, so a
    withdrawn one is read from the audit entries orgs.roles writes: from its grant, or from
    before the log when it holds no grant, to its withdrawal. Two queries, whatever the
    numbers."""
    units, wanted = set(unit_ids), set(roles)
    users = sorted(set(user_ids))
    if not units or not wanted or not users:
        return []
    terms = [
        RoleTerm(a.user_id, a.unit_id, a.role, a.granted_at, None)
        for a in session.scalars(
            sa.select(RoleAssignment).where(
                RoleAssignment.user_id.in_(users),
                RoleAssignment.unit_id.in_(sorted(units)),
                RoleAssignment.role.in_(sorted(wanted)),
            )
        )
    ]
    events = session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.action.in_((GRANTED, REVOKED)),
            AuditEntry.target_type == "user",
            AuditEntry.target_id.in_([str(user_id) for user_id in users]),
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    granted: dict[tuple, datetime] = {}
    for event in events:
        payload = (event.after if event.action == GRANTED else event.before) or {}
        if payload.get("unit_id") not in units or payload.get("role") not in wanted:
            continue
        key = (int(event.target_id), payload["unit_id"], Role(payload["role"]))
        if event.action == GRANTED:
            granted[key] = event.at
        else:
            terms.append(RoleTerm(*key, granted.pop(key, None), event.at))
    return terms
