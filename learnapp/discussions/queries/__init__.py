"""Read functions of the discussion package, its public read API for other packages.

`approved_contributions` is what assessments count (keep its name and signature stable); the
rest is re-exported from the modules below so that callers import from here.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.discussions.models import Post, PostState
from learnapp.discussions.queries.announcements import (
    AnnouncementRow,
    Receipt,
    ReceiptNote,
    Receipts,
    announcements_by,
    announcements_for,
    can_see_announcement,
    read_counts,
    receipts,
    reminded_today,
)
from learnapp.discussions.queries.moderation import (
    QueueItem,
    author_history,
    decisions_of,
    queue_size,
    reported_by,
    reports_of,
    review_queue,
    thread_context,
)
from learnapp.discussions.queries.threads import (
    POSTS_PER_PAGE,
    THREADS_PER_PAGE,
    Likes,
    Page,
    ThreadRow,
    first_unread_post_id,
    follows_board,
    is_subscribed,
    likes_of,
    page_of_post,
    posts_page,
    quotable_post,
    quoted_posts,
    read_marker,
    revisions_of,
    threads_page,
)

__all__ = [
    "POSTS_PER_PAGE",
    "THREADS_PER_PAGE",
    "AnnouncementRow",
    "Likes",
    "Page",
    "QueueItem",
    "Receipt",
    "ReceiptNote",
    "Receipts",
    "ThreadRow",
    "announcements_by",
    "announcements_for",
    "approved_contributions",
    "author_history",
    "can_see_announcement",
    "decisions_of",
    "first_unread_post_id",
    "follows_board",
    "is_subscribed",
    "likes_of",
    "page_of_post",
    "posts_page",
    "queue_size",
    "quotable_post",
    "quoted_posts",
    "read_counts",
    "read_marker",
    "receipts",
    "reminded_today",
    "reported_by",
    "reports_of",
    "review_queue",
    "revisions_of",
    "thread_context",
    "threads_page",
]


def approved_contributions(
    session: Session, member_ids, since: datetime, until: datetime
) -> dict[int, int]:
    """Published (approved or passed without review), not deleted or removed, posts and replies
    per member in [since, until). There are no likes, so none are counted."""
    ids = list(member_ids)
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    rows = session.execute(
        sa.select(Post.author_id, sa.func.count())
        .where(
            Post.author_id.in_(ids),
            Post.state == PostState.PUBLISHED,
            Post.created_at >= since,
            Post.created_at < until,
        )
        .group_by(Post.author_id)
    ).all()
    counts.update(dict(rows))
    return counts
