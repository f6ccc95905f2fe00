"""Threads and replies: posting with moderation and rate limits, editing, deleting, pins, locks,
subscriptions and read markers."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.audit.services import record
from learnapp.discussions.access import can_moderate_board, can_view_board
from learnapp.discussions.models import (
    Board,
    ModerationMode,
    Post,
    PostRevision,
    PostState,
    Subscription,
    Thread,
    ThreadRead,
    WordAction,
)
from learnapp.discussions.moderation.engine import check_text
from learnapp.discussions.moderation.spam import spam_signals
from learnapp.discussions.services.text import clean_title, render_body
from learnapp.errors import DomainError
from learnapp.notifications.services import notify
from learnapp.sanitize import plain_text

MENTION = re.compile(r"@([\w.\-]{1,32})")
MAX_MENTIONS = 20


@dataclass(frozen=True)
class PostingRules:
    edit_window_seconds: int = 15 * 60
    new_member_days: int = 7
    posts_per_minute: int = 5
    posts_per_day: int = 50
    max_title_chars: int = 120
    max_body_chars: int = 20_000


def rules_from_config(config) -> PostingRules:
    defaults = PostingRules()
    return PostingRules(
        **{
            name: int(config.get(f"DISCUSSION_{name.upper()}", getattr(defaults, name)))
            for name in PostingRules.__dataclass_fields__
        }
    )


class RateLimited(DomainError):
    """Too many posts in the window; the view answers 429."""


def _check_rate(session: Session, author: User, now: datetime, rules: PostingRules) -> None:
    """Counted in the database, so every worker sees the same numbers."""

    def count_since(since):
        return session.scalar(
            sa.select(sa.func.count())
            .select_from(Post)
            .where(Post.author_id == author.id, Post.created_at > since)
        )

    if count_since(now - timedelta(minutes=1)) >= rules.posts_per_minute:
        raise RateLimited(None, _l("You are posting too fast. Wait a minute and try again."))
    if count_since(now - timedelta(days=1)) >= rules.posts_per_day:
        raise RateLimited(None, _l("You have reached today's posting limit."))


def _hold_reasons(
    session: Session, author: User, board: Board, title: str, source: str, now, rules
) -> tuple[list[str], list[str]]:
    """Why a post must wait for a moderator (先审后发), and the terms that hit."""
    verdict = check_text(session, title, source)
    reasons = []
    if verdict.action == WordAction.BLOCK:
        reasons.append("blocked")
    elif verdict.action == WordAction.REVIEW:
        reasons.append("flagged")
    if spam_signals(source):
        reasons.append("spam")
    if not can_moderate_board(author, board):
        if board.moderation_mode == ModerationMode.HOLD_ALL:
            reasons.append("board")
        elif (
            board.moderation_mode == ModerationMode.STANDARD
            and author.created_at > now - timedelta(days=rules.new_member_days)
        ):
            reasons.append("new_member")
    return reasons, verdict.terms()


def _require_view(session: Session, user: User, board: Board) -> None:
    if not can_view_board(session, user, board) or board.is_archived:
        raise DomainError(None, _l("This board is not open to you."))


def create_thread(
    session: Session,
    author: User,
    board: Board,
    *,
    title: str,
    body: str,
    now: datetime,
    rules: PostingRules,
) -> Thread:
    """Open a thread. Held (先审后发) when flagged, spam-like, by a new member on a standard board,
    or on a hold-all board; the author is subscribed."""
    _require_view(session, author, board)
    title = clean_title(title, rules.max_title_chars)
    source, html = render_body(body, rules.max_body_chars)
    _check_rate(session, author, now, rules)
    reasons, terms = _hold_reasons(session, author, board, title, source, now, rules)
    state = PostState.HELD if reasons else PostState.PUBLISHED
    thread = Thread(
        board_id=board.id,
        author_id=author.id,
        title=title,
        state=state,
        created_at=now,
        last_post_at=now,
    )
    session.add(thread)
    session.flush()
    post = Post(
        thread_id=thread.id,
        author_id=author.id,
        is_opening=True,
        body_source=source,
        body_html=html,
        state=state,
        hold_reasons=reasons,
        hit_terms=terms,
        created_at=now,
    )
    session.add(post)
    session.add(Subscription(user_id=author.id, thread_id=thread.id, created_at=now))
    session.flush()
    if state == PostState.PUBLISHED:
        on_published(session, post, now)
    return thread


def reply(
    session: Session,
    author: User,
    thread: Thread,
    *,
    body: str,
    quoted_post_id: int | None,
    now: datetime,
    rules: PostingRules,
) -> Post:
    """Reply in a published thread; a locked thread takes replies from moderators only. A quote
    must point at a published post of the same thread."""
    board = thread.board
    _require_view(session, author, board)
    if thread.state != PostState.PUBLISHED:
        raise DomainError(None, _l("This thread is not open for replies."))
    if thread.is_locked and not can_moderate_board(author, board):
        raise DomainError(None, _l("This thread is locked."))
    quoted = None
    if quoted_post_id:
        quoted = session.get(Post, quoted_post_id)
        if quoted is None or quoted.thread_id != thread.id or quoted.state != PostState.PUBLISHED:
            raise DomainError("body", _l("The quoted post is not available."))
    source, html = render_body(body, rules.max_body_chars)
    _check_rate(session, author, now, rules)
    reasons, terms = _hold_reasons(session, author, board, "", source, now, rules)
    post = Post(
        thread_id=thread.id,
        author_id=author.id,
        quoted_post_id=quoted.id if quoted else None,
        body_source=source,
        body_html=html,
        state=PostState.HELD if reasons else PostState.PUBLISHED,
        hold_reasons=reasons,
        hit_terms=terms,
        created_at=now,
    )
    session.add(post)
    session.flush()
    if post.state == PostState.PUBLISHED:
        on_published(session, post, now)
    return post


def resolve_mentions(session: Session, board: Board, text: str) -> list[User]:
    """`@username` or `@display name` (the longest name that fits), within the board's audience."""
    tokens = MENTION.findall(text)[:MAX_MENTIONS]
    if not tokens:
        return []
    prefixes = {token[:size] for token in tokens for size in range(1, len(token) + 1)}
    candidates = session.scalars(
        sa.select(User).where(
            User.is_active.is_(True),
            sa.or_(User.username.in_(prefixes), User.display_name.in_(prefixes)),
        )
    ).all()
    by_name: dict[str, list[User]] = {}
    for user in candidates:
        by_name.setdefault(user.username, []).append(user)
        if user.display_name != user.username:
            by_name.setdefault(user.display_name, []).append(user)
    found: dict[int, User] = {}
    for token in tokens:
        for size in range(len(token), 0, -1):
            users = by_name.get(token[:size])
            if users:
                for user in users:
                    found[user.id] = user
                break
    return [user for user in found.values() if can_view_board(session, user, board)]


def on_published(session: Session, post: Post, now: datetime) -> None:
    """A post became visible: move the thread's last-post marker, tell the people @mentioned
    and the thread's subscribers. Nothing is sent about held posts."""
    thread = post.thread
    session.execute(
        sa.update(Thread)
        .where(
            Thread.id == thread.id,
            sa.or_(Thread.last_post_id.is_(None), Thread.last_post_id < post.id),
        )
        .values(last_post_id=post.id, last_post_at=post.created_at)
    )
    session.expire(thread, ["last_post_id", "last_post_at"])
    author = post.author
    link = f"/threads/{thread.id}/posts/{post.id}"
    excerpt = plain_text(post.body_html, 140)
    mentioned = {u.id for u in resolve_mentions(session, thread.board, post.body_source)}
    mentioned.discard(post.author_id)
    notify(
        session,
        mentioned,
        "mention",
        _l("%(name)s mentioned you in “%(title)s”", name=author.display_name, title=thread.title),
        link,
        now,
        body=excerpt,
    )
    if not post.is_opening:
        subscribers = set(
            session.scalars(
                sa.select(Subscription.user_id).where(Subscription.thread_id == thread.id)
            )
        )
        notify(
            session,
            subscribers - mentioned - {post.author_id},
            "reply",
            _l("New reply in “%(title)s”", title=thread.title),
            link,
            now,
            body=excerpt,
        )


def edit_post(
    session: Session,
    editor: User,
    post: Post,
    *,
    body: str,
    title: str | None,
    now: datetime,
    rules: PostingRules,
) -> None:
    """Only the author edits, within the edit window; the previous text is kept as a revision and
    the new text is checked again (a flagged edit takes the post back for review)."""
    if post.author_id != editor.id:
        raise DomainError(None, _l("You can only edit your own posts."))
    if post.state not in (PostState.PUBLISHED, PostState.HELD):
        raise DomainError(None, _l("This post can no longer be edited."))
    if now - post.created_at > timedelta(seconds=rules.edit_window_seconds):
        raise DomainError(
            None,
            _l(
                "Posts can be edited for %(n)d minutes after posting.",
                n=rules.edit_window_seconds // 60,
            ),
        )
    thread = post.thread
    new_title = clean_title(title, rules.max_title_chars) if post.is_opening else None
    source, html = render_body(body, rules.max_body_chars)
    session.add(
        PostRevision(
            post_id=post.id,
            title=thread.title if post.is_opening else None,
            body_source=post.body_source,
            replaced_at=now,
            editor_id=editor.id,
        )
    )
    reasons, terms = _hold_reasons(
        session, editor, thread.board, new_title or "", source, now, rules
    )
    post.body_source, post.body_html, post.edited_at = source, html, now
    if new_title is not None:
        thread.title = new_title
    content_reasons = [r for r in reasons if r in ("blocked", "flagged", "spam")]
    if content_reasons:
        post.hold_reasons = sorted(set(post.hold_reasons or []) | set(content_reasons))
        post.hit_terms = terms
        if post.state == PostState.PUBLISHED:
            post.move_to(PostState.HELD, now)
            if post.is_opening:
                thread.state = PostState.HELD
    session.flush()


def delete_post(session: Session, actor: User, post: Post, now: datetime) -> None:
    """Authors withdraw their own posts; the text stays in the database for the record. Deleting
    the opening post withdraws the thread."""
    if post.author_id != actor.id:
        raise DomainError(None, _l("You can only delete your own posts."))
    if post.state not in (PostState.PUBLISHED, PostState.HELD):
        raise DomainError(None, _l("This post is already gone."))
    post.move_to(PostState.DELETED, now)
    if post.is_opening:
        post.thread.state = PostState.DELETED
    session.flush()


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
    _require_view(session, user, thread.board)
    existing = session.get(Subscription, (user.id, thread.id))
    if subscribed and existing is None:
        session.add(Subscription(user_id=user.id, thread_id=thread.id, created_at=now))
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
