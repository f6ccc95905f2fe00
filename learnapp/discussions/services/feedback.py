"""Complaints and suggestions (投诉建议): a member writes to the administrators, who reply."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.discussions import notices
from learnapp.discussions.models import Complaint, ComplaintMessage
from learnapp.discussions.services.posts import RateLimited
from learnapp.discussions.services.text import clean_title, strip_controls
from learnapp.errors import DomainError
from learnapp.notifications.services import notify
from learnapp.orgs.models import Role, RoleAssignment
from learnapp.sanitize import strip_bidi

MAX_CHARS = 5_000
# Each message notifies every administrator: a member writes at most this many an hour.
MESSAGES_PER_HOUR = 10


def _body(text: str) -> str:
    body = strip_bidi(strip_controls(text).replace("\r\n", "\n")).strip()
    if not body:
        raise DomainError("body", _l("Write something first."))
    if len(body) > MAX_CHARS:
        raise DomainError("body", _l("At most %(n)d characters.", n=MAX_CHARS))
    return body


def _check_rate(session: Session, author: User, now: datetime) -> None:
    sent = session.scalar(
        sa.select(sa.func.count())
        .select_from(ComplaintMessage)
        .where(
            ComplaintMessage.author_id == author.id,
            ComplaintMessage.from_admin.is_(False),
            ComplaintMessage.created_at > now - timedelta(hours=1),
        )
    )
    if sent >= MESSAGES_PER_HOUR:
        raise RateLimited(None, _l("You have sent many messages this hour. Try again later."))


def admin_ids(session: Session) -> set[int]:
    return set(
        session.scalars(
            sa.select(RoleAssignment.user_id)
            .join(User, User.id == RoleAssignment.user_id)
            .where(RoleAssignment.role == Role.ADMIN, User.is_active.is_(True))
        )
    )


def submit_complaint(
    session: Session, author: User, *, subject: str, body: str, now: datetime
) -> Complaint:
    """Any member may write (a few messages an hour); the administrators are notified."""
    _check_rate(session, author, now)
    body = _body(body)
    complaint = Complaint(
        author_id=author.id,
        subject=clean_title(subject, 120, "subject"),
        created_at=now,
        updated_at=now,
    )
    session.add(complaint)
    session.flush()
    session.add(
        ComplaintMessage(
            complaint_id=complaint.id,
            author_id=author.id,
            from_admin=False,
            body=body,
            created_at=now,
        )
    )
    session.flush()
    notify(
        session,
        admin_ids(session) - {author.id},
        notices.COMPLAINT_NEW,
        f"/admin/feedback/{complaint.id}",
        now,
        {"subject": complaint.subject, "complaint": complaint.id},
    )
    return complaint


def add_message(
    session: Session, actor: User, complaint: Complaint, *, body: str, now: datetime
) -> ComplaintMessage:
    """The member adds to their own complaint, or an administrator replies (and the member is
    notified). Administrators' replies are audited."""
    from_admin = actor.is_admin and actor.id != complaint.author_id
    if not from_admin and actor.id != complaint.author_id:
        raise DomainError(None, _l("This is not your conversation."))
    if not from_admin:
        _check_rate(session, actor, now)
    message = ComplaintMessage(
        complaint_id=complaint.id,
        author_id=actor.id,
        from_admin=from_admin,
        body=_body(body),
        created_at=now,
    )
    session.add(message)
    complaint.is_answered = from_admin
    complaint.updated_at = now
    session.flush()
    session.expire(complaint, ["messages"])
    if from_admin:
        notify(
            session,
            [complaint.author_id],
            notices.COMPLAINT_REPLY,
            f"/feedback/{complaint.id}",
            now,
            {"subject": complaint.subject, "complaint": complaint.id},
        )
        record(session, actor, "complaint.replied", "complaint", complaint.id, now=now)
    else:
        notify(
            session,
            admin_ids(session) - {actor.id},
            notices.COMPLAINT_MESSAGE,
            f"/admin/feedback/{complaint.id}",
            now,
            {"subject": complaint.subject, "complaint": complaint.id},
        )
    return message
