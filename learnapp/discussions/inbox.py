"""The discussion package's items in the to-do inbox (learnapp/inbox.py): the review queue for
the boards' moderators (secretaries, committee members, administrators) and unanswered
complaints and suggestions for administrators."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.clock import now
from learnapp.discussions.models import Complaint
from learnapp.discussions.queries import queue_size
from learnapp.inbox import InboxItem, provider

# A held post is a member waiting to be heard; a complaint waits longer by nature.
HELD_OVERDUE = timedelta(hours=24)
COMPLAINT_OVERDUE = timedelta(days=3)


@provider
def review_items(session: Session, user) -> list[InboxItem]:
    if not user.is_manager:
        return []
    count = queue_size(session, user)
    if not count:
        return []
    overdue = queue_size(session, user, older_than=now() - HELD_OVERDUE, held_only=True) > 0
    return [
        InboxItem(
            kind="moderation",
            label=_l("Posts and reports to review"),
            count=count,
            url="/moderation",
            overdue=overdue,
        )
    ]


@provider
def complaint_items(session: Session, user) -> list[InboxItem]:
    if not user.is_admin:
        return []
    waiting = sa.select(sa.func.count()).select_from(Complaint).where(~Complaint.is_answered)
    count = session.scalar(waiting)
    if not count:
        return []
    overdue = session.scalar(waiting.where(Complaint.updated_at < now() - COMPLAINT_OVERDUE)) > 0
    return [
        InboxItem(
            kind="complaints",
            label=_l("Complaints and suggestions to answer"),
            count=count,
            url="/admin/feedback",
            overdue=overdue,
        )
    ]
