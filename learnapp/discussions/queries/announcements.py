"""Announcements for a member, by an author, and their read receipts."""

import enum
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
    AnnouncementRecipient,
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


class ReceiptNote(enum.StrEnum):
    """Why a person on the receipts is not simply a member of the audience now."""

    DISABLED = "disabled"  # 已停用: a reader whose account was disabled since
    MOVED_OUT = "moved_out"  # 已转出: a reader no longer in the announcement's unit
    JOINED_LATER = "joined_later"  # not in the audience at publication: joined since


@dataclass
class Receipt:
    user: User
    # Where the receipt is counted: a reader's unit when they read it, anyone else's unit now.
    unit: Unit | None
    read_at: datetime | None
    note: ReceiptNote | None


@dataclass
class Receipts:
    read: list[Receipt]
    unread: list[Receipt]

    @property
    def total(self) -> int:
        return len(self.read) + len(self.unread)


def _visible_reads(query, viewer):
    """`query` over AnnouncementRead, limited to the receipts the viewer may see: each counted
    in the unit its reader was in when they read it, so that it stays there when the reader
    moves out or is disabled."""
    return query.join(Unit, AnnouncementRead.unit_id == Unit.id).where(
        unit_in_scope_clause(viewer, Unit.path)
    )


def read_counts(session: Session, viewer, announcement_ids) -> dict[int, int]:
    """How many have read each announcement, among the receipts the viewer may see: the
    figure `receipts` gives as read."""
    ids = list(announcement_ids)
    counts = dict.fromkeys(ids, 0)
    if ids:
        query = sa.select(AnnouncementRead.announcement_id, sa.func.count()).where(
            AnnouncementRead.announcement_id.in_(ids)
        )
        counts.update(
            session.execute(
                _visible_reads(query, viewer).group_by(AnnouncementRead.announcement_id)
            ).all()
        )
    return counts


def announcements_by(session: Session, author, limit: int = 50) -> list[tuple[Announcement, int]]:
    """The author's announcements with their read counts, as the author's receipts count them."""
    mine = session.scalars(
        sa.select(Announcement)
        .where(Announcement.author_id == author.id)
        .order_by(Announcement.published_at.desc(), Announcement.id.desc())
        .limit(limit)
    ).all()
    counts = read_counts(session, author, [a.id for a in mine])
    return [(a, counts[a.id]) for a in mine]


def _left(user: User, announcement: Announcement) -> ReceiptNote | None:
    if not user.is_active:
        return ReceiptNote.DISABLED
    if user.unit is None or not user.unit.is_within(announcement.unit):
        return ReceiptNote.MOVED_OUT
    return None


def receipts(session: Session, viewer, announcement: Announcement, now: datetime) -> Receipts:
    """Who was meant to read the announcement and who has, limited to the viewer's scope.

    Read: everyone who has read it, by time of reading, in the unit they read it in; a reader
    since disabled or moved out of the announcement's unit stays, noted so. Not yet read: the
    members now in its audience (active, in the unit's subtree) who have not read it and were
    in the audience when it was published, and, while it is current, those who joined since
    (noted so). Someone who left the audience without reading it is no longer counted."""
    readers = _visible_reads(
        sa.select(User, Unit, AnnouncementRead.read_at)
        .select_from(AnnouncementRead)
        .join(User, AnnouncementRead.user_id == User.id)
        .where(AnnouncementRead.announcement_id == announcement.id),
        viewer,
    ).order_by(AnnouncementRead.read_at, User.id)
    read = [
        Receipt(user, unit, at, _left(user, announcement))
        for user, unit, at in session.execute(readers).all()
    ]
    was_recipient = (
        sa.exists()
        .where(
            AnnouncementRecipient.announcement_id == announcement.id,
            AnnouncementRecipient.user_id == User.id,
        )
        .correlate(User)
    )
    has_read = (
        sa.exists()
        .where(
            AnnouncementRead.announcement_id == announcement.id,
            AnnouncementRead.user_id == User.id,
        )
        .correlate(User)
    )
    others = (
        sa.select(User, Unit, was_recipient)
        .join(Unit, User.unit_id == Unit.id)
        .where(
            within_path(Unit.path, announcement.unit.path),
            User.is_active.is_(True),
            unit_in_scope_clause(viewer, Unit.path),
            ~has_read,
        )
        .order_by(tree_order(Unit.path), pinyin_order(User.display_name), User.id)
    )
    if not announcement.is_current(now):
        others = others.where(was_recipient)
    unread = [
        Receipt(user, unit, None, None if recipient else ReceiptNote.JOINED_LATER)
        for user, unit, recipient in session.execute(others).all()
    ]
    return Receipts(read, unread)


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
