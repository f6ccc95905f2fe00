"""The review queue and what a moderator sees beside a post."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.discussions.access import moderated_boards_clause
from learnapp.discussions.models import (
    Board,
    ModerationDecision,
    Post,
    PostState,
    Report,
    ReportState,
    Thread,
)


@dataclass
class QueueItem:
    post: Post
    open_reports: int


def _open_report_counts():
    return (
        sa.select(Report.post_id, sa.func.count().label("n"))
        .where(Report.state == ReportState.OPEN)
        .group_by(Report.post_id)
        .subquery()
    )


def _queue_select(moderator, columns):
    """Held posts, reported posts and published posts awaiting their look afterwards, on the
    boards this person moderates, but not their own posts (another moderator decides those).
    Each of the three is an index lookup (SQLite and PostgreSQL turn the OR into a union of
    them), so the inbox count stays cheap on a large posts table."""
    return (
        sa.select(*columns)
        .select_from(Post)
        .join(Thread, Post.thread_id == Thread.id)
        .join(Board, Thread.board_id == Board.id)
        .where(
            moderated_boards_clause(moderator),
            sa.or_(
                Post.state == PostState.HELD,
                sa.and_(Post.is_review_pending.is_(True), Post.state == PostState.PUBLISHED),
                Post.id.in_(sa.select(Report.post_id).where(Report.state == ReportState.OPEN)),
            ),
            # Reports on posts removed or deleted meanwhile are not for the queue.
            Post.state.not_in((PostState.REJECTED, PostState.DELETED)),
            Post.author_id != moderator.id,
        )
    )


def review_queue(session: Session, moderator, limit: int = 100) -> list[QueueItem]:
    """The review queue, oldest first: what is held before what was published."""
    reported = _open_report_counts()
    rows = session.execute(
        _queue_select(moderator, (Post, sa.func.coalesce(reported.c.n, 0)))
        .outerjoin(reported, reported.c.post_id == Post.id)
        .order_by((Post.state != PostState.HELD), Post.created_at, Post.id)
        .limit(limit)
    ).all()
    return [QueueItem(post, count) for post, count in rows]


def queue_size(
    session: Session, moderator, *, older_than: datetime | None = None, held_only: bool = False
) -> int:
    """How many items wait in the moderator's queue (held ones only, posted before
    `older_than`, when asked)."""
    query = _queue_select(moderator, (sa.func.count(),))
    if older_than is not None:
        query = query.where(Post.created_at < older_than)
    if held_only:
        query = query.where(Post.state == PostState.HELD)
    return session.scalar(query)


def author_history(session: Session, author_id: int, limit: int = 10) -> list[Post]:
    return list(
        session.scalars(
            sa.select(Post).where(Post.author_id == author_id).order_by(Post.id.desc()).limit(limit)
        )
    )


def thread_context(session: Session, post: Post, limit: int = 5) -> list[Post]:
    """The opening post and the posts just before this one."""
    earlier = session.scalars(
        sa.select(Post)
        .where(Post.thread_id == post.thread_id, Post.id < post.id, Post.is_opening.is_(False))
        .order_by(Post.id.desc())
        .limit(limit)
    ).all()
    opening = session.scalar(
        sa.select(Post).where(Post.thread_id == post.thread_id, Post.is_opening.is_(True))
    )
    context = list(reversed(earlier))
    if opening is not None and opening.id != post.id:
        context.insert(0, opening)
    return context


def reports_of(session: Session, post: Post) -> list[Report]:
    return list(
        session.scalars(sa.select(Report).where(Report.post_id == post.id).order_by(Report.id))
    )


def reported_by(session: Session, posts: list[Post], user) -> set[int]:
    """The ids of those posts the user has an open report on (shown as reported, not offered
    for reporting again)."""
    ids = [post.id for post in posts]
    if not ids:
        return set()
    return set(
        session.scalars(
            sa.select(Report.post_id).where(
                Report.reporter_id == user.id,
                Report.state == ReportState.OPEN,
                Report.post_id.in_(ids),
            )
        )
    )


def decisions_of(session: Session, post: Post) -> list[ModerationDecision]:
    return list(
        session.scalars(
            sa.select(ModerationDecision)
            .where(ModerationDecision.post_id == post.id)
            .order_by(ModerationDecision.id)
        )
    )
