"""Passwords: changing one's own, an administrator's reset, and initial passwords issued in
bulk. A password someone else handed over is initial: the account must replace it at its next
login (User.must_change_password), and no password ever reaches the audit log."""

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import AuthSession, User
from learnapp.accounts.passwords import hash_password, password_problem, verify_password
from learnapp.accounts.services.logins import clear_login_lock
from learnapp.accounts.services.sessions import revoke_all_sessions, start_session
from learnapp.audit.services import record
from learnapp.errors import DomainError

# No 0/O, 1/l/I: an initial password is read off a sheet and typed. Groups of four joined by
# hyphens: never a leading character a spreadsheet would take for a formula. 55**12 ≈ 2**69.
GENERATED_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_GROUPS = 3
# Hashing is deliberately slow (Argon2id, ~0.1 s each): a request stays well under a minute.
ISSUE_LIMIT = 100


def generate_password(username: str = "") -> str:
    """A random password, drawn again in the rare case it breaks a password rule (one that
    happens to contain `username`, the account's name)."""
    while True:
        password = "-".join(
            "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(4))
            for _ in range(GENERATED_GROUPS)
        )
        if password_problem(password, username) is None:
            return password


def change_password(
    session: Session, user: User, current: str, new: str, now: datetime, hours: int
) -> AuthSession:
    """Change one's own password: every other login session of the account ends, and an
    initial password's flag clears. The new password must differ from the current one, so an
    initial password cannot be kept by typing it twice."""
    if not verify_password(user.password_hash, current):
        raise DomainError("current_password", _l("The current password is wrong."))
    problem = password_problem(new, user.username)
    if problem:
        raise DomainError("new_password", problem)
    if new == current:
        raise DomainError("new_password", _l("Choose a password different from the current one."))
    replaced_initial = user.must_change_password
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    user.must_change_password = False
    revoke_all_sessions(session, user, now)
    record(
        session,
        user,
        "user.password_changed",
        "user",
        user.id,
        now=now,
        before={"must_change_password": True} if replaced_initial else None,
        after={"must_change_password": False} if replaced_initial else None,
    )
    return start_session(session, user, now, hours)


def _give_initial_password(
    session: Session, actor: User | None, user: User, action: str, now: datetime
) -> str:
    password = generate_password(user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.must_change_password = True
    revoke_all_sessions(session, user, now)
    session.flush()
    record(session, actor, action, "user", user.id, now=now, after={"must_change_password": True})
    # The login page sends a locked-out member to an administrator for exactly this.
    clear_login_lock(session, actor, user, now, action.removeprefix("user."))
    session.flush()
    return password


def reset_password(session: Session, actor: User | None, user: User, now: datetime) -> str:
    """Give an account a new random password (shown once), end its sessions and lift any login
    lock. The password is initial: the person must replace it at their next login."""
    return _give_initial_password(session, actor, user, "user.password_reset", now)


def issue_initial_passwords(
    session: Session, actor: User, users: list[User], now: datetime
) -> list[tuple[User, str]]:
    """An administrator gives each chosen account a random initial password, returned once for
    the hand-out sheet. Only accounts that await their owner's password (User.awaits_own_password)
    qualify: a password a member chose is never overwritten in bulk. One refused account refuses
    the whole batch, so nothing half-issued is left without its sheet."""
    if not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can issue passwords."))
    if not users:
        raise DomainError("user_ids", _l("Choose at least one account."))
    if len(users) > ISSUE_LIMIT:
        raise DomainError("user_ids", _l("At most %(n)d accounts at a time.", n=ISSUE_LIMIT))
    refused = [user.username for user in users if not user.awaits_own_password]
    if refused:
        raise DomainError(
            "user_ids",
            _l(
                "These accounts already have a password of their own or are disabled: "
                "%(names)s. Nothing was issued.",
                names=", ".join(refused[:10]),
            ),
        )
    return [
        (user, _give_initial_password(session, actor, user, "user.initial_password_issued", now))
        for user in users
    ]
