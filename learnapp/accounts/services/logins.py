"""Checking a login: the same answer for an unknown name and a wrong password, failure
counters per account name and per client address, and the locks an administrator sees and
lifts."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learnapp.accounts.models import AuthSession, LoginThrottle, User
from learnapp.accounts.passwords import verify_password
from learnapp.accounts.services.users import normalize_username
from learnapp.audit.services import record
from learnapp.errors import DomainError

# Lockout policy: per account name (whether or not it exists) and per client address.
THROTTLE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 30

LOGIN_FAILED = _l("Wrong user name or password.")
LOGIN_LOCKED = _l("Too many failed attempts. Wait 15 minutes and try again.")


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


def clear_login_lock(
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
    if not clear_login_lock(session, actor, user, now, "unlock"):
        raise DomainError(None, _l("This account is not locked."))
    session.flush()


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
