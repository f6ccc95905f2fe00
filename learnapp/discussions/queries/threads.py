"""Reading boards and threads: pages, unread markers, follows, quotes, likes, history."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.discussions.models import (
    Board,
    BoardSubscription,
    Post,
    PostLike,
    PostRevision,
    PostState,
    Subscription,
    Thread,
    ThreadRead,
)

THREADS_PER_PAGE = 20
POSTS_PER_PAGE = 20


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
    # The newest published reply (its author and time), None while nobody has replied.
    last_reply: Post | None = None


def threads_page(session: Session, board: Board, user, page: int) -> Page:
    """Pinned first, then by latest activity; with reply counts, each thread's newest reply and
    unread markers."""
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
    replies, last_ids = {}, []
    for thread_id, count, last_id in session.execute(
        sa.select(Post.thread_id, sa.func.count(), sa.func.max(Post.id))
        .where(
            Post.thread_id.in_(ids),
            Post.state == PostState.PUBLISHED,
            Post.is_opening.is_(False),
        )
        .group_by(Post.thread_id)
    ):
        replies[thread_id] = count
        last_ids.append(last_id)
    # Counted from the same published replies as the count, so the two always agree.
    last_replies = (
        {p.thread_id: p for p in session.scalars(sa.select(Post).where(Post.id.in_(last_ids)))}
        if last_ids
        else {}
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
            last_replies.get(t.id),
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


def read_marker(session: Session, user_id: int, thread_id: int) -> int | None:
    """The id of the last post this user has seen in the thread."""
    return session.scalar(
        sa.select(ThreadRead.last_read_post_id).where(
            ThreadRead.user_id == user_id, ThreadRead.thread_id == thread_id
        )
    )


def first_unread_post_id(session: Session, thread: Thread, user) -> int | None:
    last = read_marker(session, user.id, thread.id)
    return session.scalar(
        sa.select(sa.func.min(Post.id)).where(
            Post.thread_id == thread.id,
            Post.state == PostState.PUBLISHED,
            Post.id > (last or 0),
        )
    )


def follows_board(session: Session, user, board: Board) -> bool:
    return session.get(BoardSubscription, (user.id, board.id)) is not None


def is_subscribed(session: Session, user, thread: Thread) -> bool:
    return session.get(Subscription, (user.id, thread.id)) is not None


def quotable_post(session: Session, thread: Thread, post_id: int | None) -> Post | None:
    """The post a reply in this thread may quote: a published post of the same thread (what
    every reader of the thread can see), else None."""
    if not post_id:
        return None
    post = session.get(Post, post_id)
    if post is None or post.thread_id != thread.id or post.state != PostState.PUBLISHED:
        return None
    return post


def quoted_posts(session: Session, posts) -> dict[int, Post]:
    ids = {p.quoted_post_id for p in posts if p.quoted_post_id}
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(sa.select(Post).where(Post.id.in_(ids)))}


@dataclass
class Likes:
    counts: dict[int, int]
    mine: set[int]


def likes_of(session: Session, posts, user) -> Likes:
    """Like counts of these posts and which of them the user has liked."""
    ids = [p.id for p in posts]
    if not ids:
        return Likes({}, set())
    counts = dict(
        session.execute(
            sa.select(PostLike.post_id, sa.func.count())
            .where(PostLike.post_id.in_(ids))
            .group_by(PostLike.post_id)
        ).all()
    )
    mine = set(
        session.scalars(
            sa.select(PostLike.post_id).where(
                PostLike.post_id.in_(ids), PostLike.user_id == user.id
            )
        )
    )
    return Likes(counts, mine)


def revisions_of(session: Session, post: Post) -> list[PostRevision]:
    return list(
        session.scalars(
            sa.select(PostRevision)
            .where(PostRevision.post_id == post.id)
            .order_by(PostRevision.id.desc())
        )
    )
