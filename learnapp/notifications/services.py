"""Sending notifications and marking them read."""

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.notifications.messages import BODY_CHARS, MESSAGES, Message
from learnapp.notifications.models import Notification
from learnapp.notifications.preferences import ReminderAddress, drop_muted
from learnapp.redirects import safe_next
from learnapp.sanitize import strip_bidi


def _clean(value):
    """Text parameters as the reader will see them: no direction overrides, bounded length."""
    if isinstance(value, str):
        return strip_bidi(value)[:BODY_CHARS]
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    return value


def notify(
    session: Session,
    user_ids: Iterable[int],
    message: Message,
    link: str,
    now: datetime,
    params: Mapping | None = None,
) -> int:
    """One unread notification per distinct user, except those who muted the message's kind
    (when it is a registered, non-mandatory kind: see preferences.py). The message is stored
    with its parameters and rendered when read, in the reader's language (messages.py); it must
    be declared and given exactly its parameters, JSON values with plain-text strings.
    The link must be a path on this site (anything else becomes no link). Returns how many were
    sent."""
    if not isinstance(message, Message) or MESSAGES.get(message.key) is not message:
        raise ValueError(f"{message!r} is not a declared message")
    params = dict(params or {})
    if set(params) != set(message.params):
        raise ValueError(f"message {message.key} takes {message.params}, not {sorted(params)}")
    recipients = drop_muted(session, sorted({int(user_id) for user_id in user_ids}), message.kind)
    if not recipients:
        return 0
    params = _clean(params)
    link = safe_next(link, "")
    session.execute(
        sa.insert(Notification),
        [
            {
                "user_id": user_id,
                "kind": message.kind,
                "message": message.key,
                "params": params,
                "link": link,
                "created_at": now,
                "read_at": None,
            }
            for user_id in recipients
        ],
    )
    return len(recipients)


def mark_read(session: Session, user, notification_ids: Iterable[int] | None, now: datetime) -> int:
    """Mark the user's own notifications read (all unread ones when ids is None)."""
    query = sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        ids = [int(i) for i in notification_ids]
        if not ids:
            return 0
        query = query.where(Notification.id.in_(ids))
    return session.execute(query.values(read_at=now)).rowcount


def mark_read_for_link(session: Session, user_id: int, link: str, now: datetime) -> int:
    """Mark read the user's unread notifications that lead to `link`: once the member has read
    the page a notification points at, however they got there, it is no longer news."""
    return session.execute(
        sa.update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
            Notification.link == link,
        )
        .values(read_at=now)
    ).rowcount


def retire_link(session: Session, link: str, now: datetime) -> int:
    """Mark read everyone's unread notifications that lead to `link`: what they announced was
    taken back (an announcement withdrawn), so it no longer waits to be read in anyone's bell.
    The notifications stay in each list, leading to the page that says so."""
    return session.execute(
        sa.update(Notification)
        .where(Notification.read_at.is_(None), Notification.link == link)
        .values(read_at=now)
    ).rowcount


def set_reminder_address(session: Session, user, email: str | None, now: datetime) -> None:
    """Set or clear (None/empty) the address the user's reminders are e-mailed to."""
    existing = session.scalar(sa.select(ReminderAddress).where(ReminderAddress.user_id == user.id))
    email = (email or "").strip()
    if not email:
        if existing is not None:
            session.delete(existing)
    elif existing is None:
        session.add(ReminderAddress(user_id=user.id, email=email[:254], created_at=now))
    else:
        existing.email = email[:254]
    session.flush()
