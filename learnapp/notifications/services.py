"""Sending notifications and marking them read."""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.notifications.models import Notification
from learnapp.notifications.preferences import ReminderAddress, drop_muted
from learnapp.redirects import safe_next
from learnapp.sanitize import strip_bidi

TITLE_CHARS = 200
BODY_CHARS = 1000


def notify(
    session: Session,
    user_ids: Iterable[int],
    kind: str,
    title: str,
    link: str,
    now: datetime,
    body: str = "",
) -> int:
    """One unread notification per distinct user, except those who muted `kind` (when it is a
    registered, non-mandatory kind: see preferences.py). Titles and bodies are plain text; the
    link must be a path on this site (anything else becomes no link). Returns how many were
    sent."""
    recipients = drop_muted(session, sorted({int(user_id) for user_id in user_ids}), kind)
    if not recipients:
        return 0
    title = strip_bidi(" ".join(str(title).split()))[:TITLE_CHARS]
    body = strip_bidi(str(body))[:BODY_CHARS]
    link = safe_next(link, "")
    session.execute(
        sa.insert(Notification),
        [
            {
                "user_id": user_id,
                "kind": kind[:32],
                "title": title,
                "body": body,
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
