"""Announcements for a member, by an author, and their read receipts."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.models import AuditEntry
from learnapp.authz import unit_in_scope_clause
from learnapp.clock import org_timezone
from learnapp.db import pinyin_order, tree_order, within_path
from learnapp.discussions.models import (
    Announcement,
    AnnouncementRead,
)
from learnapp.orgs.models import Unit


def _current(now: datetime):
    return sa.and_(
        Announcement.published_at <= now,
        Announcement.withdrawn_at.is_(None),
        sa.or_(Announcement.expires_at.is_(None), Announcement.expires_at > now),
    )


def _addressed_to(user):
    if user.unit is None:
        return sa.false()
    return Announcement.unit_id.in_([*user.unit.ancestor_ids(), user.unit.id])


@dataclass
class AnnouncementRow:
    announcement: Announcement
    read: bool


def announcements_for(
    session: Session, user, now: datetime, *, limit: int = 50, current_only: bool = True
) -> list[AnnouncementRow]:
    """Announcements to the member's unit or a unit above it, newest first."""
    condition = _addressed_to(user)
    if current_only:
        condition = sa.and_(condition, _current(now))
    rows = session.execute(
        sa.select(Announcement, AnnouncementRead.read_at)
        .outerjoin(
            AnnouncementRead,
            sa.and_(
                AnnouncementRead.announcement_id == Announcement.id,
                AnnouncementRead.user_id == user.id,
            ),
        )
        .where(condition)
        .order_by(Announcement.published_at.desc(), Announcement.id.desc())
        .limit(limit)
    ).all()
    return [AnnouncementRow(a, read_at is not None) for a, read_at in rows]


def can_see_announcement(session: Session, user, announcement: Announcement) -> bool:
    from learnapp.authz import can_manage_unit

    if announcement.author_id == user.id or can_manage_unit(user, announcement.unit):
        return True
    unit = user.unit
    return unit is not None and unit.is_within(announcement.unit)


def announcements_by(session: Session, author, limit: int = 50) -> list[tuple[Announcement, int]]:
    """The author's announcements with their read counts."""
    reads = (
        sa.select(AnnouncementRead.announcement_id, sa.func.count().label("n"))
        .group_by(AnnouncementRead.announcement_id)
        .subquery()
    )
    return list(
        session.execute(
            sa.select(Announcement, sa.func.coalesce(reads.c.n, 0))
            .outerjoin(reads, reads.c.announcement_id == Announcement.id)
            .where(Announcement.author_id == author.id)
            .order_by(Announcement.published_at.desc())
            .limit(limit)
        ).all()
    )


@dataclass
class Receipts:
    total: int
    read: list[tuple[User, datetime]]
    unread: list[User]


def receipts(session: Session, viewer, announcement: Announcement) -> Receipts:
    """Who of the audience has read it, limited to the members inside the viewer's scope."""
    audience = (
        sa.select(User, AnnouncementRead.read_at)
        .join(Unit, User.unit_id == Unit.id)
        .outerjoin(
            AnnouncementRead,
            sa.and_(
                AnnouncementRead.announcement_id == announcement.id,
                AnnouncementRead.user_id == User.id,
            ),
        )
        .where(
            within_path(Unit.path, announcement.unit.path),
            User.is_active.is_(True),
            unit_in_scope_clause(viewer, Unit.path),
        )
        .order_by(tree_order(Unit.path), pinyin_order(User.display_name), User.id)
    )
    rows = session.execute(audience).all()
    read = sorted(((user, at) for user, at in rows if at is not None), key=lambda pair: pair[1])
    unread = [user for user, at in rows if at is None]
    return Receipts(len(rows), read, unread)


# The audit entry of a reminder is its only record: it says who reminded how many, and when.
REMINDED = "announcement.reminded"


def reminded_today(session: Session, announcement: Announcement, now: datetime) -> datetime | None:
    """When the unread members of the announcement were reminded today (the organisation's
    day), by anyone; None if they were not."""
    last = session.scalar(
        sa.select(sa.func.max(AuditEntry.at)).where(
            AuditEntry.action == REMINDED,
            AuditEntry.target_type == "announcement",
            AuditEntry.target_id == str(announcement.id),
        )
    )
    tz = org_timezone()
    if last is None or last.astimezone(tz).date() != now.astimezone(tz).date():
        return None
    return last
