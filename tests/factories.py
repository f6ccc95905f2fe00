"""Plain factories: `make_*(session, **overrides)`; they flush and never commit."""

import itertools
from datetime import UTC, datetime

from argon2 import PasswordHasher

from learnapp.accounts.models import User
from learnapp.orgs.models import MemberCategory, Role, RoleAssignment, Unit, UnitKind

FIXED_NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
_sequence = itertools.count(1)
# The same cheap parameters as the test app's ARGON2_PARAMS, usable without an app context.
_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def make_unit(
    session, *, parent: Unit | None = None, kind: UnitKind | None = None, **fields
) -> Unit:
    number = next(_sequence)
    if kind is None:
        kind = UnitKind.BRANCH if parent is not None else UnitKind.COMMITTEE
    unit = Unit(
        name=fields.pop("name", f"单位{number}"),
        kind=kind,
        parent=parent,
        created_at=fields.pop("created_at", FIXED_NOW),
        path="",
        **fields,
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    return unit


def make_user(
    session,
    *,
    unit: Unit | None = None,
    roles: tuple[tuple[Role, Unit], ...] = (),
    password: str | None = PASSWORD,
    **fields,
) -> User:
    number = next(_sequence)
    user = User(
        username=fields.pop("username", f"user{number}"),
        display_name=fields.pop("display_name", f"成员{number}"),
        password_hash=_hasher.hash(password) if password else None,
        unit_id=unit.id if unit else None,
        category=fields.pop("category", MemberCategory.FULL),
        created_at=fields.pop("created_at", FIXED_NOW),
        **fields,
    )
    session.add(user)
    session.flush()
    for role, role_unit in roles:
        session.add(
            RoleAssignment(user_id=user.id, unit_id=role_unit.id, role=role, granted_at=FIXED_NOW)
        )
    session.flush()
    session.refresh(user)
    return user
