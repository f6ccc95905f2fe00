"""Announcements (通知公告): published by secretaries for their subtree and by administrators,
shown to the members of the subtree, with read receipts for the author: those who have not read
it can be reminded, and the receipts exported."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.clock import org_timezone
from learnapp.db import within_path
from learnapp.discussions import notices
from learnapp.discussions.labels import RECEIPT_NOTE_LABELS
from learnapp.discussions.models import Announcement, AnnouncementRead, AnnouncementRecipient
from learnapp.discussions.queries.announcements import REMINDED, receipts, reminded_today
from learnapp.discussions.services.text import clean_title, render_body
from learnapp.errors import DomainError
from learnapp.notifications.services import mark_read_for_link, notify, retire_link
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
    """Publish to `unit`'s subtree, which the author must manage. Its active members are the
    audience, recorded as those meant to read it (receipts count them), and notified, the
    author aside."""
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
    audience = audience_ids(session, unit)
    if audience:
        session.execute(
            sa.insert(AnnouncementRecipient),
            [{"announcement_id": announcement.id, "user_id": user_id} for user_id in audience],
        )
    notify(
        session,
        set(audience) - {author.id},
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
    """The author or a manager of its unit takes it off the home pages (kept for the record).
    Its notifications still unread are marked read: nobody is left a withdrawn announcement to
    read."""
    if announcement.author_id != actor.id and not can_manage_unit(actor, announcement.unit):
        raise DomainError(None, _l("Only its author can withdraw this announcement."))
    if announcement.withdrawn_at is None:
        announcement.withdrawn_at = now
        session.flush()
        retire_link(session, _link(announcement.id), now)
        record(session, actor, "announcement.withdrawn", "announcement", announcement.id, now=now)


def _link(announcement_id: int) -> str:
    """The path its notifications link to (a path on this site, as notify requires)."""
    return f"/announcements/{announcement_id}"


def mark_announcement_read(session: Session, user_id: int, announcement_id: int, now) -> None:
    """The first read counts, in the unit the reader is in then; repeated views change
    nothing. The reader's notification of the announcement is marked read with it."""
    mark_read_for_link(session, user_id, _link(announcement_id), now)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(
        insert(AnnouncementRead)
        .values(
            announcement_id=announcement_id,
            user_id=user_id,
            read_at=now,
            unit_id=sa.select(User.unit_id).where(User.id == user_id).scalar_subquery(),
        )
        .on_conflict_do_nothing(index_elements=["announcement_id", "user_id"])
    )


def remind_unread(session: Session, actor: User, announcement: Announcement, now: datetime) -> int:
    """Notify the members of the actor's receipts (those in their scope) who have not read the
    announcement yet, the actor aside, while members still see it. An announcement's unread
    members are reminded at most once a day: a second reminder on the same day (in the
    organisation's time zone), by anyone, is refused. Returns how many were reminded."""
    if announcement.withdrawn_at is not None:
        raise DomainError(None, _l("The announcement has been withdrawn: nobody is reminded."))
    if announcement.expires_at is not None and announcement.expires_at <= now:
        raise DomainError(None, _l("The announcement has ended: nobody is reminded."))
    # Two managers pressing at once: the second waits here, then finds the first's reminder.
    session.execute(
        sa.select(Announcement.id).where(Announcement.id == announcement.id).with_for_update()
    )
    earlier = reminded_today(session, announcement, now)
    if earlier is not None:
        raise DomainError(
            None,
            _l(
                "The unread members were already reminded today at %(time)s; "
                "remind them again tomorrow.",
                time=earlier.astimezone(org_timezone()).strftime("%H:%M"),
            ),
        )
    unread = [
        receipt.user.id
        for receipt in receipts(session, actor, announcement, now).unread
        if receipt.user != actor
    ]
    if not unread:
        raise DomainError(None, _l("Everyone has read it: there is nobody to remind."))
    sent = notify(
        session,
        unread,
        notices.ANNOUNCEMENT_REMINDER,
        _link(announcement.id),
        now,
        {"title": announcement.title, "announcement": announcement.id},
    )
    record(
        session,
        actor,
        REMINDED,
        "announcement",
        announcement.id,
        now=now,
        after={"reminded": sent},
    )
    return sent


def receipts_table(
    session: Session, actor: User, announcement: Announcement, now: datetime
) -> tuple[list[str], list[list]]:
    """The actor's receipts as a table, as on the page: readers by time of reading, then the
    others; each in the unit it is counted in, with its note (disabled, moved out, joined
    later); times in the organisation's time zone. The export is audited."""
    found = receipts(session, actor, announcement, now)
    tz = org_timezone()
    header = [_("Name"), _("Unit"), _("Read"), _("Read at"), _("Status")]
    rows = [
        [
            receipt.user.display_name,
            receipt.unit.name if receipt.unit else "",
            _("yes") if receipt.read_at else _("no"),
            _stamp(receipt.read_at, tz) if receipt.read_at else "",
            str(RECEIPT_NOTE_LABELS[receipt.note]) if receipt.note else "",
        ]
        for receipt in found.read + found.unread
    ]
    record(
        session,
        actor,
        "announcement.receipts_exported",
        "announcement",
        announcement.id,
        now=now,
        after={"rows": len(rows)},
    )
    return header, rows


def _stamp(at: datetime, tz) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
