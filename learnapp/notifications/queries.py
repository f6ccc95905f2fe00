"""Reading notifications."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.notifications.models import Notification

PAGE_SIZE = 30


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def notifications_page(session: Session, user_id: int, page: int) -> tuple[list, int]:
    """Newest first by when each was sent (ids follow insertion, which a back-dated or
    late-committed notification does not); returns one page and the number of pages."""
    total = session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == user_id)
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(rows), pages


def own_notification(session: Session, user_id: int, notification_id: int) -> Notification | None:
    return session.scalar(
        sa.select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )


def muted_user_ids(session: Session, kind: str) -> set[int]:
    from learnapp.notifications.preferences import ReminderMute

    return set(session.scalars(sa.select(ReminderMute.user_id).where(ReminderMute.kind == kind)))


def notified_since(session: Session, kind: str, since) -> set[int]:
    """Users who got a notification of `kind` at or after `since` (idempotent sweeps)."""
    return set(
        session.scalars(
            sa.select(Notification.user_id)
            .where(Notification.kind == kind, Notification.created_at >= since)
            .distinct()
        )
    )


def reminder_addresses(session: Session, user_ids) -> dict[int, str]:
    from learnapp.notifications.preferences import ReminderAddress

    ids = list(user_ids)
    if not ids:
        return {}
    return dict(
        session.execute(
            sa.select(ReminderAddress.user_id, ReminderAddress.email).where(
                ReminderAddress.user_id.in_(ids)
            )
        ).all()
    )
