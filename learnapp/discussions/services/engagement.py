"""Taking part beyond posting: following threads and boards, likes, read markers, and the
moderators' pins and locks."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.discussions.access import can_moderate_board
from learnapp.discussions.models import (
    Board,
    BoardSubscription,
    Post,
    PostLike,
    PostState,
    Subscription,
    Thread,
    ThreadRead,
)
from learnapp.discussions.services.posts import require_view
from learnapp.errors import DomainError


def set_thread_flags(
    session: Session,
    moderator: User,
    thread: Thread,
    *,
    now: datetime,
    pinned: bool | None = None,
    locked: bool | None = None,
) -> None:
    """Pin and lock are the board moderators' (audited)."""
    if not can_moderate_board(moderator, thread.board):
        raise DomainError(None, _l("Only the board's moderators can do this."))
    before = {"is_pinned": thread.is_pinned, "is_locked": thread.is_locked}
    if pinned is not None:
        thread.is_pinned = pinned
    if locked is not None:
        thread.is_locked = locked
    session.flush()
    record(
        session,
        moderator,
        "thread.flags",
        "thread",
        thread.id,
        now=now,
        before=before,
        after={"is_pinned": thread.is_pinned, "is_locked": thread.is_locked},
    )


def set_subscription(
    session: Session, user: User, thread: Thread, subscribed: bool, now: datetime
) -> None:
    """Follow or stop following a thread the user can see."""
    require_view(session, user, thread.board)
    existing = session.get(Subscription, (user.id, thread.id))
    if subscribed and existing is None:
        session.add(Subscription(user_id=user.id, thread_id=thread.id, created_at=now))
    elif not subscribed and existing is not None:
        session.delete(existing)
    session.flush()


def set_board_subscription(
    session: Session, user: User, board: Board, subscribed: bool, now: datetime
) -> None:
    """Follow or stop following a board the user can see (new threads are notified)."""
    require_view(session, user, board)
    existing = session.get(BoardSubscription, (user.id, board.id))
    if subscribed and existing is None:
        session.add(BoardSubscription(user_id=user.id, board_id=board.id, created_at=now))
    elif not subscribed and existing is not None:
        session.delete(existing)
    session.flush()


def mark_thread_read(session: Session, user_id: int, thread_id: int, post_id: int) -> None:
    """Move the read marker forward (never back); safe when two tabs race."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(ThreadRead).values(
        user_id=user_id, thread_id=thread_id, last_read_post_id=post_id
    )
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "thread_id"],
        set_={"last_read_post_id": statement.excluded.last_read_post_id},
        where=ThreadRead.last_read_post_id < statement.excluded.last_read_post_id,
    )
    session.execute(statement)


def set_like(session: Session, user: User, post: Post, liked: bool, now: datetime) -> None:
    """Like (点赞) or unlike a published post the user can see; not one's own. Likes are shown,
    never counted as participation."""
    require_view(session, user, post.thread.board)
    if post.state != PostState.PUBLISHED:
        raise DomainError(None, _l("This post cannot be liked."))
    if post.author_id == user.id:
        raise DomainError(None, _l("You cannot like your own post."))
    existing = session.get(PostLike, (post.id, user.id))
    if liked and existing is None:
        session.add(PostLike(post_id=post.id, user_id=user.id, created_at=now))
    elif not liked and existing is not None:
        session.delete(existing)
    session.flush()
