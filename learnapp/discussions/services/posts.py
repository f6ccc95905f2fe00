"""Threads and replies: posting with moderation (先审后发 or publish-then-review) and rate
limits, mentions and notifications, editing with history, deleting."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.discussions import notices
from learnapp.discussions.access import can_moderate_board, can_view_board
from learnapp.discussions.models import (
    Board,
    BoardSubscription,
    ModerationMode,
    Post,
    PostRevision,
    PostState,
    Subscription,
    Thread,
    WordAction,
)
from learnapp.discussions.moderation.engine import check_text
from learnapp.discussions.moderation.spam import spam_signals
from learnapp.discussions.queries.threads import quotable_post
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
    # The same text again from the same author in the same place within this time is a resend
    # (Back and post again, a double tap, a reload), not a new post.
    duplicate_window_seconds: int = 60 * 60


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


class DuplicatePost(DomainError):
    """The author posted this text here a moment ago: `post` is that post, where the view sends
    the author instead of posting it twice."""

    def __init__(self, message: str, post: Post):
        super().__init__(None, message)
        self.post = post


def _refuse_duplicate(
    session: Session, author: User, where, source: str, now: datetime, rules: PostingRules
) -> None:
    """Refuse a post whose text the author posted in the same place (`where`: a condition on
    Post and Thread) within the duplicate window and that is still there."""
    earlier = session.scalar(
        sa.select(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.author_id == author.id,
            Post.created_at > now - timedelta(seconds=rules.duplicate_window_seconds),
            Post.state.in_((PostState.PUBLISHED, PostState.HELD)),
            Post.body_source == source,
            where,
        )
        .order_by(Post.id.desc())
        .limit(1)
    )
    if earlier is not None:
        raise DuplicatePost(
            _l("You posted this a moment ago; here it is. It was not posted again."), earlier
        )


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


@dataclass(frozen=True)
class Screening:
    """What the checks found: reasons to hold the post before publishing (先审后发), reasons
    to publish it and have a moderator look afterwards (publish-then-review), the terms that hit."""

    hold: list[str]
    later: list[str]
    terms: list[str]


def _screen(
    session: Session, author: User, board: Board, title: str, source: str, now, rules
) -> Screening:
    verdict = check_text(session, title, source)
    hold, later = [], []
    if verdict.action == WordAction.BLOCK:
        hold.append("blocked")
    elif verdict.action == WordAction.REVIEW:
        hold.append("flagged")
    elif verdict.action == WordAction.PASS:
        later.append("recorded")
    if spam_signals(source):
        hold.append("spam")
    if not can_moderate_board(author, board):
        if board.moderation_mode == ModerationMode.HOLD_ALL:
            hold.append("board")
        elif (
            board.moderation_mode == ModerationMode.STANDARD
            and author.created_at > now - timedelta(days=rules.new_member_days)
        ):
            hold.append("new_member")
    return Screening(hold, later if not hold else [], verdict.terms())


def _new_post_state(screening: Screening) -> dict:
    """The columns a new post takes from its screening."""
    return {
        "state": PostState.HELD if screening.hold else PostState.PUBLISHED,
        "hold_reasons": screening.hold or screening.later,
        "hit_terms": screening.terms,
        "is_review_pending": bool(screening.later),
    }


def require_view(session: Session, user: User, board: Board) -> None:
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
    or on a hold-all board; the author is subscribed. The same title and text from the same
    author on the same board within the duplicate window is refused (DuplicatePost)."""
    require_view(session, author, board)
    title = clean_title(title, rules.max_title_chars)
    source, html = render_body(body, rules.max_body_chars)
    same_thread = sa.and_(
        Thread.board_id == board.id, Thread.title == title, Post.is_opening.is_(True)
    )
    _refuse_duplicate(session, author, same_thread, source, now, rules)
    _check_rate(session, author, now, rules)
    screening = _screen(session, author, board, title, source, now, rules)
    columns = _new_post_state(screening)
    state = columns["state"]
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
        created_at=now,
        **columns,
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
    must point at a published post of the same thread. The same text from the same author in
    the same thread within the duplicate window is refused (DuplicatePost)."""
    board = thread.board
    require_view(session, author, board)
    if thread.state != PostState.PUBLISHED:
        raise DomainError(None, _l("This thread is not open for replies."))
    if thread.is_locked and not can_moderate_board(author, board):
        raise DomainError(None, _l("This thread is locked."))
    quoted = quotable_post(session, thread, quoted_post_id)
    if quoted_post_id and quoted is None:
        raise DomainError("body", _l("The quoted post is not available."))
    source, html = render_body(body, rules.max_body_chars)
    _refuse_duplicate(session, author, Post.thread_id == thread.id, source, now, rules)
    _check_rate(session, author, now, rules)
    screening = _screen(session, author, board, "", source, now, rules)
    post = Post(
        thread_id=thread.id,
        author_id=author.id,
        quoted_post_id=quoted.id if quoted else None,
        body_source=source,
        body_html=html,
        created_at=now,
        **_new_post_state(screening),
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
    """A post became visible: move the thread's last-post marker, tell the people @mentioned,
    and the board's followers (a new thread) or the thread's (a reply). Nothing is sent about
    held posts."""
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
    about = {"title": thread.title, "thread": thread.id, "post": post.id, "excerpt": excerpt}
    notify(session, mentioned, notices.MENTION, link, now, {"name": author.display_name, **about})
    board = thread.board
    if post.is_opening:
        # Followers of the board; notified of the thread, not of each reply.
        watchers = sa.select(User).join(BoardSubscription, BoardSubscription.user_id == User.id)
        watchers = watchers.where(BoardSubscription.board_id == board.id)
        message, params = notices.NEW_THREAD, {"board": board.name, **about}
    else:
        watchers = sa.select(User).join(Subscription, Subscription.user_id == User.id)
        watchers = watchers.where(Subscription.thread_id == thread.id)
        message, params = notices.REPLY, about
    # Only those who can still see the board: members move between branches.
    recipients = {
        user.id
        for user in session.scalars(watchers.where(User.is_active.is_(True)))
        if user.id not in mentioned
        and user.id != post.author_id
        and can_view_board(session, user, board)
    }
    notify(session, recipients, message, link, now, params)


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
    """Only the author edits, within the edit window (check_editable); the previous text is kept
    as a revision and the new text is checked again (a flagged edit takes the post back for
    review)."""
    check_editable(editor, post, now, rules)
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
    screening = _screen(session, editor, thread.board, new_title or "", source, now, rules)
    post.body_source, post.body_html, post.edited_at = source, html, now
    if new_title is not None:
        thread.title = new_title
    # Only what the new text says can change the verdict; who wrote it has not changed.
    content_hold = [r for r in screening.hold if r in ("blocked", "flagged", "spam")]
    if content_hold:
        post.hold_reasons = sorted(set(post.hold_reasons or []) | set(content_hold))
        post.hit_terms = screening.terms
        post.is_review_pending = False
        if post.state == PostState.PUBLISHED:
            post.move_to(PostState.HELD, now)
            if post.is_opening:
                thread.state = PostState.HELD
    elif "recorded" in screening.later and post.state == PostState.PUBLISHED:
        post.hold_reasons = sorted(set(post.hold_reasons or []) | {"recorded"})
        post.hit_terms = screening.terms
        post.is_review_pending = True
    session.flush()


def check_editable(editor: User, post: Post, now: datetime, rules: PostingRules) -> None:
    """Only the author edits a post, only while it is published or held, and only within the
    edit window after posting: asked before the form opens and again when it is saved."""
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
