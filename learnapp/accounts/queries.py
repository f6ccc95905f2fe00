"""Read functions of accounts: the accounts list, who still awaits a password of their own, and
the disabled accounts that still hold roles."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from learnapp.accounts.models import User
from learnapp.db import escape_like, tree_order, within_path
from learnapp.orgs.models import RoleAssignment, Unit
from learnapp.orgs.roles import roles_text

AWAITING_LIST_LIMIT = 500
BATCH_LIST_LIMIT = 30


def name_contains_clause(search: str):
    """SQL: the account's user name or name contains `search`."""
    pattern = f"%{escape_like(search)}%"
    return sa.or_(
        User.username.like(pattern, escape="\\"), User.display_name.like(pattern, escape="\\")
    )


def users_matching(search: str, *, disabled_only: bool) -> sa.Select:
    """The accounts whose user name or name contains `search` (all when it is empty), only the
    disabled ones when asked."""
    query = sa.select(User)
    if search:
        query = query.where(name_contains_clause(search))
    if disabled_only:
        query = query.where(User.is_active.is_(False))
    return query


def awaiting_password_clause():
    """SQL of User.awaits_own_password: active, and no password or an initial one."""
    return sa.and_(
        User.is_active.is_(True),
        sa.or_(User.password_hash.is_(None), User.must_change_password.is_(True)),
    )


def _awaiting(unit: Unit | None):
    query = (
        sa.select(User).outerjoin(Unit, Unit.id == User.unit_id).where(awaiting_password_clause())
    )
    if unit is not None:
        query = query.where(within_path(Unit.path, unit.path))
    return query


def accounts_awaiting_password(
    session: Session, *, unit: Unit | None = None, created_at: datetime | None = None
) -> list[User]:
    """Accounts awaiting their owner's password, in `unit`'s subtree and of one creation batch
    when given; by unit, then user name."""
    query = _awaiting(unit)
    if created_at is not None:
        query = query.where(User.created_at == created_at)
    query = query.order_by(tree_order(Unit.path).nulls_first(), User.username)
    return list(session.scalars(query.limit(AWAITING_LIST_LIMIT)))


@dataclass(frozen=True)
class CreationBatch:
    """Accounts created together: a member import creates all its accounts at one instant."""

    created_at: datetime
    count: int


def awaiting_batches(session: Session, *, unit: Unit | None = None) -> list[CreationBatch]:
    """The newest creation batches that still have accounts awaiting a password."""
    subquery = _awaiting(unit).with_only_columns(User.created_at).subquery()
    rows = session.execute(
        sa.select(subquery.c.created_at, sa.func.count())
        .group_by(subquery.c.created_at)
        .order_by(subquery.c.created_at.desc())
        .limit(BATCH_LIST_LIMIT)
    )
    return [CreationBatch(created_at, count) for created_at, count in rows]


def users_by_ids(session: Session, ids: list[int]) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.username)))


def disabled_role_holders(session: Session) -> list[User]:
    """Disabled accounts that still hold a role: disabled before disabling withdrew every role.
    By user name."""
    return list(
        session.scalars(
            sa.select(User)
            .where(
                User.is_active.is_(False),
                User.id.in_(sa.select(RoleAssignment.user_id)),
            )
            .options(selectinload(User.roles))
            .order_by(User.username)
        )
    )


def disabled_holders_with_roles(session: Session) -> list[tuple[User, str]]:
    """The disabled role holders, each with the roles it still holds as text; their roles are
    read in one batch, however many holders there are."""
    return [(user, roles_text(user.roles)) for user in disabled_role_holders(session)]
