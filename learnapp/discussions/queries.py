"""Read functions of the discussion package; `approved_contributions` is its public read API
for assessments."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.authz import unit_in_scope_clause
from learnapp.discussions.access import moderated_boards_clause
from learnapp.discussions.models import (
    Announcement,
    AnnouncementRead,
    Board,
    ModerationDecision,
    Post,
    PostRevision,
    PostState,
    Report,
    ReportState,
    Subscription,
    Thread,
    ThreadRead,
)
from learnapp.orgs.models import Unit

THREADS_PER_PAGE = 20
POSTS_PER_PAGE = 20


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


@dataclass
class Page:
    items: list
    page: int
    pages: int
    total: int


def _pages(total: int, per_page: int, page: int) -> tuple[int, int]:
    pages = max(1, -(-total // per_page))
    return min(max(page, 1), pages), pages


@dataclass
class ThreadRow:
    thread: Thread
    replies: int
    unread: bool


def threads_page(session: Session, board: Board, user, page: int) -> Page:
    """Pinned first, then by latest activity; with reply counts and unread markers."""
    visible = sa.and_(Thread.board_id == board.id, Thread.state == PostState.PUBLISHED)
    total = session.scalar(sa.select(sa.func.count()).select_from(Thread).where(visible))
    page, pages = _pages(total, THREADS_PER_PAGE, page)
    threads = session.scalars(
        sa.select(Thread)
        .where(visible)
        .order_by(Thread.is_pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
        .limit(THREADS_PER_PAGE)
        .offset((page - 1) * THREADS_PER_PAGE)
    ).all()
    ids = [t.id for t in threads]
    replies = dict(
        session.execute(
            sa.select(Post.thread_id, sa.func.count())
            .where(
                Post.thread_id.in_(ids),
                Post.state == PostState.PUBLISHED,
                Post.is_opening.is_(False),
            )
            .group_by(Post.thread_id)
        ).all()
    )
    read = dict(
        session.execute(
            sa.select(ThreadRead.thread_id, ThreadRead.last_read_post_id).where(
                ThreadRead.user_id == user.id, ThreadRead.thread_id.in_(ids)
            )
        ).all()
    )
    rows = [
        ThreadRow(
            t,
            replies.get(t.id, 0),
            t.last_post_id is not None and read.get(t.id, 0) < t.last_post_id,
        )
        for t in threads
    ]
    return Page(rows, page, pages, total)


def _posts_visible_to(thread: Thread, user, moderator: bool):
    condition = Post.thread_id == thread.id
    if moderator:
        return condition
    return sa.and_(condition, sa.or_(Post.state != PostState.HELD, Post.author_id == user.id))


def posts_page(session: Session, thread: Thread, user, page: int, moderator: bool) -> Page:
    """Posts in order; held posts only for their author and the moderators; deleted and
    removed ones stay as placeholders so that the numbering does not move."""
    visible = _posts_visible_to(thread, user, moderator)
    total = session.scalar(sa.select(sa.func.count()).select_from(Post).where(visible))
    page, pages = _pages(total, POSTS_PER_PAGE, page)
    posts = session.scalars(
        sa.select(Post)
        .where(visible)
        .order_by(Post.id)
        .limit(POSTS_PER_PAGE)
        .offset((page - 1) * POSTS_PER_PAGE)
    ).all()
    return Page(list(posts), page, pages, total)


def page_of_post(session: Session, thread: Thread, user, post_id: int, moderator: bool) -> int:
    before = session.scalar(
        sa.select(sa.func.count())
        .select_from(Post)
        .where(_posts_visible_to(thread, user, moderator), Post.id < post_id)
    )
    return before // POSTS_PER_PAGE + 1


def first_unread_post_id(session: Session, thread: Thread, user) -> int | None:
    last = session.scalar(
        sa.select(ThreadRead.last_read_post_id).where(
            ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id
        )
    )
    return session.scalar(
        sa.select(sa.func.min(Post.id)).where(
            Post.thread_id == thread.id,
            Post.state == PostState.PUBLISHED,
            Post.id > (last or 0),
        )
    )


def is_subscribed(session: Session, user, thread: Thread) -> bool:
    return session.get(Subscription, (user.id, thread.id)) is not None


def quoted_posts(session: Session, posts) -> dict[int, Post]:
    ids = {p.quoted_post_id for p in posts if p.quoted_post_id}
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(sa.select(Post).where(Post.id.in_(ids)))}


def revisions_of(session: Session, post: Post) -> list[PostRevision]:
    return list(
        session.scalars(
            sa.select(PostRevision)
            .where(PostRevision.post_id == post.id)
            .order_by(PostRevision.id.desc())
        )
    )


# --- the review queue ------------------------------------------------------------------------


@dataclass
class QueueItem:
    post: Post
    open_reports: int


def review_queue(session: Session, moderator, limit: int = 100) -> list[QueueItem]:
    """Held posts and reported posts on the boards this person moderates, oldest first."""
    reported = (
        sa.select(Report.post_id, sa.func.count().label("n"))
        .where(Report.state == ReportState.OPEN)
        .group_by(Report.post_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Post, sa.func.coalesce(reported.c.n, 0))
        .join(Thread, Post.thread_id == Thread.id)
        .join(Board, Thread.board_id == Board.id)
        .outerjoin(reported, reported.c.post_id == Post.id)
        .where(
            moderated_boards_clause(moderator),
            sa.or_(
                Post.state == PostState.HELD,
                sa.and_(Post.state == PostState.PUBLISHED, reported.c.n > 0),
            ),
        )
        .order_by(Post.created_at, Post.id)
        .limit(limit)
    ).all()
    return [QueueItem(post, count) for post, count in rows]


def queue_size(session: Session, moderator) -> int:
    return len(review_queue(session, moderator, limit=1000))


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


def decisions_of(session: Session, post: Post) -> list[ModerationDecision]:
    return list(
        session.scalars(
            sa.select(ModerationDecision)
            .where(ModerationDecision.post_id == post.id)
            .order_by(ModerationDecision.id)
        )
    )


# --- announcements ---------------------------------------------------------------------------


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
            Unit.path.startswith(announcement.unit.path, autoescape=True),
            User.is_active.is_(True),
            unit_in_scope_clause(viewer, Unit.path),
        )
        .order_by(Unit.path, User.display_name)
    )
    rows = session.execute(audience).all()
    read = sorted(((user, at) for user, at in rows if at is not None), key=lambda pair: pair[1])
    unread = [user for user, at in rows if at is None]
    return Receipts(len(rows), read, unread)
