"""Announcements (通知公告): published by secretaries for their subtree and by administrators,
shown to the members of the subtree, with read receipts for the author."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.db import within_path
from learnapp.discussions import notices
from learnapp.discussions.models import Announcement, AnnouncementRead
from learnapp.discussions.services.text import clean_title, render_body
from learnapp.errors import DomainError
from learnapp.notifications.services import mark_read_for_link, notify
from learnapp.orgs.models import Unit

MAX_BODY_CHARS = 20_000


def audience_ids(session: Session, unit: Unit) -> list[int]:
    return list(
        session.scalars(
            sa.select(User.id)
            .join(Unit, User.unit_id == Unit.id)
            .where(within_path(Unit.path, unit.path), User.is_active.is_(True))
        )
    )


def publish_announcement(
    session: Session,
    author: User,
    unit: Unit,
    *,
    title: str,
    body: str,
    expires_at: datetime | None,
    now: datetime,
) -> Announcement:
    """Publish to `unit`'s subtree, which the author must manage; every member of it is notified."""
    if not can_manage_unit(author, unit):
        raise DomainError("unit_id", _l("The unit is outside your organisation."))
    if expires_at is not None and expires_at <= now:
        raise DomainError("expires_on", _l("The end date must be in the future."))
    source, html = render_body(body, MAX_BODY_CHARS)
    announcement = Announcement(
        unit_id=unit.id,
        author_id=author.id,
        title=clean_title(title, 120),
        body_source=source,
        body_html=html,
        published_at=now,
        expires_at=expires_at,
    )
    session.add(announcement)
    session.flush()
    notify(
        session,
        set(audience_ids(session, unit)) - {author.id},
        notices.ANNOUNCEMENT,
        _link(announcement.id),
        now,
        {"title": announcement.title, "announcement": announcement.id},
    )
    record(
        session,
        author,
        "announcement.published",
        "announcement",
        announcement.id,
        now=now,
        after={"unit_id": unit.id, "title": announcement.title},
    )
    return announcement


def withdraw_announcement(session: Session, actor: User, announcement: Announcement, now) -> None:
    """The author or a manager of its unit takes it off the home pages (kept for the record)."""
    if announcement.author_id != actor.id and not can_manage_unit(actor, announcement.unit):
        raise DomainError(None, _l("Only its author can withdraw this announcement."))
    if announcement.withdrawn_at is None:
        announcement.withdrawn_at = now
        session.flush()
        record(session, actor, "announcement.withdrawn", "announcement", announcement.id, now=now)


def _link(announcement_id: int) -> str:
    """The path its notifications link to (a path on this site, as notify requires)."""
    return f"/announcements/{announcement_id}"


def mark_announcement_read(session: Session, user_id: int, announcement_id: int, now) -> None:
    """The first read counts; repeated views change nothing. The reader's notification of the
    announcement is marked read with it."""
    mark_read_for_link(session, user_id, _link(announcement_id), now)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(
        insert(AnnouncementRead)
        .values(announcement_id=announcement_id, user_id=user_id, read_at=now)
        .on_conflict_do_nothing(index_elements=["announcement_id", "user_id"])
    )
