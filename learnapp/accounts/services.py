"""Account use cases: logging in with throttling, login sessions, passwords, user admin."""

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learnapp.accounts.models import AuthSession, LoginThrottle, User
from learnapp.accounts.passwords import hash_password, password_problem, verify_password
from learnapp.audit.services import record
from learnapp.db import UTCDateTime
from learnapp.errors import DomainError
from learnapp.orgs.models import MemberCategory, Unit

# Lockout policy: per account name (whether or not it exists) and per client address.
THROTTLE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 30

USERNAME_ALLOWED = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
LOCALES = ("zh_Hans", "en")

LOGIN_FAILED = _l("Wrong user name or password.")
LOGIN_LOCKED = _l("Too many failed attempts. Wait 15 minutes and try again.")


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


@dataclass
class LoginResult:
    user: User | None
    message: str | None = None


def _throttle_row(session: Session, key: str, now: datetime) -> LoginThrottle:
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(key=key, failures=0, window_started_at=now)
            session.add(row)
    except IntegrityError:
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    return row


def _is_locked(session: Session, key: str, now: datetime) -> bool:
    row = session.get(LoginThrottle, key)
    return bool(row and row.locked_until and row.locked_until > now)


def _register_failure(session: Session, key: str, limit: int, now: datetime) -> None:
    row = _throttle_row(session, key, now)
    if row.window_started_at + THROTTLE_WINDOW < now:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    # Safe read-modify-write: the row is locked (FOR UPDATE / BEGIN IMMEDIATE).
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + LOCKOUT
    session.flush()


def authenticate(session: Session, username: str, password: str, address: str, now: datetime):
    """Check a login. Unknown name and wrong password give the same answer and cost the same;
    failures count per account name and per address, and lock both out for a while."""
    name = normalize_username(username)[:64]
    account_key, address_key = f"user:{name}", f"addr:{address}"
    if _is_locked(session, account_key, now) or _is_locked(session, address_key, now):
        verify_password(None, password)
        return LoginResult(None, LOGIN_LOCKED)
    user = session.scalar(sa.select(User).where(User.username == name))
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user.is_active:
        session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == account_key))
        return LoginResult(user)
    _register_failure(session, account_key, ACCOUNT_FAILURE_LIMIT, now)
    _register_failure(session, address_key, ADDRESS_FAILURE_LIMIT, now)
    return LoginResult(None, LOGIN_FAILED)


def start_session(session: Session, user: User, now: datetime, hours: int) -> AuthSession:
    auth = AuthSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(auth)
    session.flush()
    user._auth_session_id = auth.id
    return auth


def load_session_user(session: Session, auth_session_id: str, now: datetime) -> User | None:
    """The user of a live login session, or None (expired, revoked, disabled)."""
    auth = session.get(AuthSession, auth_session_id)
    if auth is None or auth.revoked_at is not None or auth.expires_at <= now:
        return None
    if not auth.user.is_active:
        return None
    auth.user._auth_session_id = auth.id
    return auth.user


@dataclass(frozen=True)
class SessionMember:
    """The person of a live login session as plain values, for the JSON endpoints that read
    nothing else of them (the study heartbeat, web.session_member_view): no User, unit or roles
    are loaded. Flask-Login's user protocol, like User."""

    id: int
    category: MemberCategory
    unit_path: str | None
    locale: str | None
    auth_session_id: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.auth_session_id


_auth_sessions, _users, _units = AuthSession.__table__, User.__table__, Unit.__table__
# Built once: this runs on every heartbeat. The conditions are load_session_user's.
_SESSION_MEMBER = (
    sa.select(_users.c.id, _users.c.category, _units.c.path, _users.c.locale)
    .select_from(
        _auth_sessions.join(_users, _users.c.id == _auth_sessions.c.user_id).outerjoin(
            _units, _units.c.id == _users.c.unit_id
        )
    )
    .where(
        _auth_sessions.c.id == sa.bindparam("auth_session"),
        _auth_sessions.c.revoked_at.is_(None),
        _auth_sessions.c.expires_at > sa.bindparam("at", type_=UTCDateTime()),
        _users.c.is_active.is_(True),
    )
)


def load_session_member(
    session: Session, auth_session_id: str, now: datetime
) -> SessionMember | None:
    """load_session_user's answer as a SessionMember, in one Core query."""
    row = (
        session.connection()
        .execute(_SESSION_MEMBER, {"auth_session": auth_session_id, "at": now})
        .first()
    )
    return SessionMember(*row, auth_session_id) if row is not None else None


def end_session(session: Session, auth_session_id: str, now: datetime) -> None:
    session.execute(
        sa.update(AuthSession)
        .where(AuthSession.id == auth_session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_all_sessions(session: Session, user: User, now: datetime) -> None:
    session.execute(
        sa.update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def change_password(
    session: Session, user: User, current: str, new: str, now: datetime, hours: int
) -> AuthSession:
    """Change one's own password: every other login session of the account ends."""
    if not verify_password(user.password_hash, current):
        raise DomainError("current_password", _l("The current password is wrong."))
    problem = password_problem(new, user.username)
    if problem:
        raise DomainError("new_password", problem)
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    revoke_all_sessions(session, user, now)
    record(session, user, "user.password_changed", "user", user.id, now=now)
    return start_session(session, user, now, hours)


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
    is_mobile: bool = False,
    is_retired: bool = False,
    is_elderly_exempt: bool = False,
) -> User:
    """Create an account; without a password it cannot log in until one is set."""
    name = normalize_username(username)
    problem = username_problem(name)
    if problem:
        raise DomainError("username", problem)
    if session.scalar(sa.select(User.id).where(User.username == name)) is not None:
        raise DomainError("username", _l("This user name is taken."))
    display_name = (display_name or "").strip()
    if not display_name:
        raise DomainError("display_name", _l("A name is required."))
    if password is not None:
        problem = password_problem(password, name)
        if problem:
            raise DomainError("password", problem)
    user = User(
        username=name,
        display_name=display_name[:64],
        password_hash=hash_password(password) if password else None,
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
    record(session, actor, "user.created", "user", user.id, now=now, after=_snapshot(user))
    return user


def set_active(session: Session, actor: User, user: User, active: bool, now: datetime) -> None:
    """Enable or disable an account; disabling ends its sessions at once."""
    if user.id == actor.id and not active:
        raise DomainError(None, _l("You cannot disable your own account."))
    before = _snapshot(user)
    user.is_active = active
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


def generate_password() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class LoginLock:
    """An account's failed-login counter as an admin sees it."""

    failures: int
    locked_until: datetime | None  # set only while the lock still holds

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None


def _account_key(user: User) -> str:
    # The key authenticate() counts under: usernames are stored normalised already.
    return f"user:{user.username}"


def login_lock(session: Session, user: User, now: datetime) -> LoginLock | None:
    """The account's failures in the current window and its lock, or None when it has none.

    Only the per-account counter: a lock on a client address is not the account's."""
    row = session.get(LoginThrottle, _account_key(user))
    if row is None:
        return None
    locked_until = row.locked_until if row.locked_until and row.locked_until > now else None
    current = row.window_started_at + THROTTLE_WINDOW >= now
    failures = row.failures if current or locked_until else 0
    if not failures and locked_until is None:
        return None
    return LoginLock(failures, locked_until)


def locked_usernames(session: Session, usernames: list[str], now: datetime) -> set[str]:
    """Which of these accounts are locked out now (one query, for a page of users)."""
    if not usernames:
        return set()
    keys = [f"user:{name}" for name in usernames]
    rows = session.scalars(
        sa.select(LoginThrottle.key).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
        )
    )
    return {key.removeprefix("user:") for key in rows}


def _clear_login_lock(
    session: Session, actor: User | None, user: User, now: datetime, via: str
) -> bool:
    """Delete the account's failure counter; audited when there was something to clear."""
    lock = login_lock(session, user, now)
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == _account_key(user)))
    if lock is None:
        return False
    record(
        session,
        actor,
        "user.unlocked",
        "user",
        user.id,
        now=now,
        before={
            "failed_logins": lock.failures,
            "locked_until": lock.locked_until.isoformat() if lock.locked_until else None,
        },
        after={"failed_logins": 0, "locked_until": None, "via": via},
    )
    return True


def unlock_account(session: Session, actor: User, user: User, now: datetime) -> None:
    """An administrator lifts a login lock (and its failure count) at once; the account's
    password is unchanged. Locks on client addresses are left alone."""
    if not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can unlock an account."))
    if not _clear_login_lock(session, actor, user, now, "unlock"):
        raise DomainError(None, _l("This account is not locked."))
    session.flush()


def reset_password(session: Session, actor: User | None, user: User, now: datetime) -> str:
    """Give an account a new random password (shown once), end its sessions and lift any login
    lock: the login page sends a locked-out member to an administrator for exactly this."""
    password = generate_password()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    revoke_all_sessions(session, user, now)
    session.flush()
    record(session, actor, "user.password_reset", "user", user.id, now=now)
    _clear_login_lock(session, actor, user, now, "password_reset")
    session.flush()
    return password


def purge_expired_logins(session: Session, now: datetime) -> tuple[int, int]:
    """Delete sessions that ended a day ago or more, and counters whose window passed."""
    cutoff = now - timedelta(days=1)
    sessions = session.execute(
        sa.delete(AuthSession).where(
            sa.or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)
        )
    ).rowcount
    throttles = session.execute(
        sa.delete(LoginThrottle).where(
            LoginThrottle.window_started_at < now - THROTTLE_WINDOW,
            sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
    ).rowcount
    return sessions, throttles
