"""Boards, threads, posts and their history; per-person read markers and subscriptions."""

import enum
import html
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base, enum_type
from learnapp.errors import DomainError
from learnapp.sanitize import plain_text

# Previews of a post (a quote, the reply box's "quoting" line) are one short line of text.
EXCERPT_CHARS = 120


class BoardKind(enum.StrEnum):
    PLATFORM = "platform"  # 全平台
    BRANCH = "branch"  # one per branch: that branch's members only
    COURSE = "course"  # one per course: the course's audience


class ModerationMode(enum.StrEnum):
    STANDARD = "standard"  # 先审后发 for new members and flagged posts
    FLAGGED_ONLY = "flagged_only"  # publish, then review: only flagged posts are held
    HOLD_ALL = "hold_all"  # 先审后发 for every post


class PostState(enum.StrEnum):
    PUBLISHED = "published"
    HELD = "held"  # waiting for a moderator (先审后发)
    REJECTED = "rejected"  # removed by a moderator; the text is kept for the record
    DELETED = "deleted"  # withdrawn by its author; the text is kept for the record


# The only moves a post makes; anything else is refused.
POST_TRANSITIONS = {
    PostState.HELD: {PostState.PUBLISHED, PostState.REJECTED, PostState.DELETED},
    PostState.PUBLISHED: {PostState.REJECTED, PostState.DELETED, PostState.HELD},
    PostState.REJECTED: set(),
    PostState.DELETED: set(),
}


class Board(Base):
    __tablename__ = "boards"
    __table_args__ = (
        # One board per branch and one per course; platform boards have neither.
        sa.Index(
            "uq_boards_branch",
            "unit_id",
            unique=True,
            sqlite_where=sa.text("kind = 'branch'"),
            postgresql_where=sa.text("kind = 'branch'"),
        ),
        sa.Index(
            "uq_boards_course",
            "course_id",
            unique=True,
            sqlite_where=sa.text("kind = 'course'"),
            postgresql_where=sa.text("kind = 'course'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BoardKind] = mapped_column(enum_type(BoardKind))
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses.id"))
    moderation_mode: Mapped[ModerationMode] = mapped_column(
        enum_type(ModerationMode), default=ModerationMode.STANDARD
    )
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    unit = relationship("Unit", lazy="joined")
    course = relationship("Course", lazy="select")


class Thread(Base):
    __tablename__ = "threads"
    __table_args__ = (
        sa.Index("ix_threads_board_listing", "board_id", "is_pinned", "last_post_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    # Follows the opening post: a held opening post hides the whole thread.
    state: Mapped[PostState] = mapped_column(enum_type(PostState), default=PostState.PUBLISHED)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_locked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    # The newest published post: the list's order and its unread markers.
    last_post_id: Mapped[int | None]
    last_post_at: Mapped[datetime]

    board: Mapped[Board] = relationship(lazy="joined")
    author = relationship("User", lazy="joined")


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        sa.Index("ix_posts_thread_id_id", "thread_id", "id"),
        sa.Index("ix_posts_author_created", "author_id", "created_at"),
        sa.Index("ix_posts_state_created", "state", "created_at"),
        sa.Index("ix_posts_review_pending", "is_review_pending", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    is_opening: Mapped[bool] = mapped_column(default=False)
    quoted_post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))
    body_source: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[PostState] = mapped_column(enum_type(PostState))
    # Why it was held (blocked, flagged, spam, board, new_member) or, when published, why a
    # moderator should look at it afterwards (recorded); the terms that hit.
    hold_reasons: Mapped[list] = mapped_column(sa.JSON, default=list)
    hit_terms: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Published at once, to be looked at by a moderator afterwards (publish-then-review).
    is_review_pending: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    state_changed_at: Mapped[datetime | None]

    thread: Mapped[Thread] = relationship(lazy="joined")
    author = relationship("User", lazy="joined")
    quoted: Mapped["Post | None"] = relationship(remote_side=[id], lazy="select")

    @property
    def excerpt(self) -> str:
        """The body as one line of plain, unescaped text, cut to EXCERPT_CHARS: templates escape
        it like any other text (the sanitised HTML's entities would otherwise show twice)."""
        text = " ".join(html.unescape(plain_text(self.body_html)).split())
        if len(text) <= EXCERPT_CHARS:
            return text
        return text[: EXCERPT_CHARS - 1].rstrip() + "…"

    def move_to(self, state: PostState, now: datetime) -> None:
        if state not in POST_TRANSITIONS[self.state]:
            raise DomainError(None, f"post cannot go from {self.state} to {state}")
        self.state = state
        self.state_changed_at = now


class PostRevision(Base):
    """The text a post had before an edit: the history is kept, never rewritten."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"), index=True)
    title: Mapped[str | None] = mapped_column(sa.String(120))
    body_source: Mapped[str] = mapped_column(sa.Text)
    replaced_at: Mapped[datetime]
    editor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))


class ThreadRead(Base):
    """How far one person has read a thread (unread markers)."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id"), primary_key=True)
    last_read_post_id: Mapped[int]


class Subscription(Base):
    __tablename__ = "thread_subscriptions"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id"), primary_key=True)
    created_at: Mapped[datetime]


class PostLike(Base):
    """One member's 赞 for a published post: shown as a count, never counted for assessments."""

    __tablename__ = "post_likes"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime]


class BoardSubscription(Base):
    """Following a board: told of every new thread in it."""

    __tablename__ = "board_subscriptions"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id"), primary_key=True)
    created_at: Mapped[datetime]
