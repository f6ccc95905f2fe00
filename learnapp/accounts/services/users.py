"""Accounts: user names, creating, enabling and disabling an account, and the account's own
settings."""

import unicodedata
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.accounts.passwords import hash_password, password_problem
from learnapp.accounts.services.sessions import revoke_all_sessions
from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.orgs.models import MemberCategory, RoleAssignment, Unit
from learnapp.orgs.roles import revoke_role

USERNAME_ALLOWED = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
LOCALES = ("zh_Hans", "en")


def normalize_username(raw: str) -> str:
    """NFKC, invisible format characters removed, lower case (security.md §6.1 #30)."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.strip().lower()


def username_problem(username: str) -> str | None:
    if not 3 <= len(username) <= 64:
        return _l("A user name has 3 to 64 characters.")
    if not set(username) <= USERNAME_ALLOWED:
        return _l("Use only letters a–z, digits, dot, hyphen and underscore.")
    return None


def set_locale(session: Session, user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise DomainError("locale", _l("Unknown language."))
    user.locale = locale
    session.flush()


def _snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_active": user.is_active,
        "unit_id": user.unit_id,
        "category": user.category.value,
    }


def create_user(
    session: Session,
    actor: User | None,
    *,
    username: str,
    display_name: str,
    now: datetime,
    unit: Unit | None = None,
    category: MemberCategory = MemberCategory.FULL,
    phone: str | None = None,
    password: str | None = None,
    must_change_password: bool = False,
    is_mobile: bool = False,
    is_retired: bool = False,
    is_elderly_exempt: bool = False,
) -> User:
    """Create an account; without a password it cannot log in until one is set. A password
    generated and handed over is an initial one (`must_change_password`): the person replaces
    it at their first login, and the account's one audit entry notes it was generated."""
    name = normalize_username(username)
    problem = username_problem(name)
    if problem:
        raise DomainError("username", problem)
    if session.scalar(sa.select(User.id).where(User.username == name)) is not None:
        raise DomainError("username", _l("This user name is taken."))
    display_name = (display_name or "").strip()
    if not display_name:
        raise DomainError("display_name", _l("A name is required."))
    if unit is not None and not unit.is_active:
        raise DomainError(
            "unit_id", _l("%(target)s is deactivated: choose another unit.", target=unit.name)
        )
    if password is not None:
        problem = password_problem(password, name)
        if problem:
            raise DomainError("password", problem)
    user = User(
        username=name,
        display_name=display_name[:64],
        password_hash=hash_password(password) if password else None,
        must_change_password=bool(password) and must_change_password,
        unit_id=unit.id if unit else None,
        category=category,
        phone=phone or None,
        is_mobile=is_mobile,
        is_retired=is_retired,
        is_elderly_exempt=is_elderly_exempt,
        created_at=now,
        password_changed_at=now if password else None,
    )
    session.add(user)
    session.flush()
    after = _snapshot(user)
    if user.must_change_password:
        after["initial_password_generated"] = True
    record(session, actor, "user.created", "user", user.id, now=now, after=after)
    return user


def set_active(
    session: Session, actor: User, user: User, active: bool, now: datetime
) -> list[RoleAssignment]:
    """Enable or disable an account; disabling ends its sessions at once and withdraws every
    role it holds, each audited as any withdrawal (orgs.roles.revoke_role), so that a disabled
    书记 no longer stands in the way of a successor. Enabling gives no role back. Returns the
    roles withdrawn."""
    if user.id == actor.id and not active:
        raise DomainError(None, _l("You cannot disable your own account."))
    before = _snapshot(user)
    user.is_active = active
    withdrawn = [] if active else list(user.roles)
    if not active:
        revoke_all_sessions(session, user, now)
    session.flush()
    record(
        session,
        actor,
        "user.enabled" if active else "user.disabled",
        "user",
        user.id,
        now=now,
        before=before,
        after=_snapshot(user),
    )
    for assignment in withdrawn:
        revoke_role(session, actor, assignment, now)
    return withdrawn


def withdraw_roles_of_disabled(
    session: Session, actor: User, user: User, now: datetime
) -> list[RoleAssignment]:
    """Withdraw the roles a disabled account still holds (one disabled before disabling
    withdrew them), each audited as disabling withdraws a role (orgs.roles.revoke_role).
    Refused for an active account: its roles are removed one by one on its page. Returns the
    roles withdrawn."""
    if not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can remove roles."))
    if user.is_active:
        raise DomainError(
            None,
            _l(
                "The account of %(name)s is active: remove its roles one by one on its page.",
                name=user.display_name,
            ),
        )
    withdrawn = list(user.roles)
    for assignment in withdrawn:
        revoke_role(session, actor, assignment, now)
    return withdrawn
