"""Server-side login sessions: the cookie carries only a session's random id, so logging out,
changing the password or disabling the account ends it at once."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import AuthSession, User
from learnapp.db import UTCDateTime
from learnapp.orgs.models import MemberCategory, Unit


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
    must_change_password: bool
    auth_session_id: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.auth_session_id


_auth_sessions, _users, _units = AuthSession.__table__, User.__table__, Unit.__table__
# Built once: this runs on every heartbeat. The conditions are load_session_user's.
_SESSION_MEMBER = (
    sa.select(
        _users.c.id,
        _users.c.category,
        _units.c.path,
        _users.c.locale,
        _users.c.must_change_password,
    )
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
