"""Word lists of the sensitive-word engine, reports (举报) and moderators' decisions."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base, enum_type


class WordAction(enum.StrEnum):
    BLOCK = "block"  # held, with removal suggested to the moderator
    REVIEW = "review"  # held for a moderator (先审后发)
    PASS = "pass"  # noqa: S105  (recorded as a hit, published)


class ReasonCode(enum.StrEnum):
    # Approvals
    FINE = "fine"
    FALSE_POSITIVE = "false_positive"
    # Removals
    SPAM = "spam"
    ADVERTISING = "advertising"
    ILLEGAL = "illegal"
    PERSONAL_ATTACK = "personal_attack"
    PRIVACY = "privacy"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


APPROVE_REASONS = (ReasonCode.FINE, ReasonCode.FALSE_POSITIVE)
REJECT_REASONS = tuple(code for code in ReasonCode if code not in APPROVE_REASONS)


class ReportState(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the post was removed
    DISMISSED = "dismissed"  # the post stays


class WordCategory(Base):
    __tablename__ = "word_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    action: Mapped[WordAction] = mapped_column(enum_type(WordAction))


class SensitiveTerm(Base):
    __tablename__ = "sensitive_terms"
    __table_args__ = (sa.UniqueConstraint("category_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("word_categories.id"), index=True)
    # As typed by the admin; the engine matches its normalised form.
    term: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]

    category: Mapped[WordCategory] = relationship(lazy="joined")


class AllowedTerm(Base):
    """The party's own vocabulary: a match inside one of these spans is never flagged."""

    __tablename__ = "allowed_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]


class WordListVersion(Base):
    """One row: bumped by every list change, so every worker rebuilds its matcher."""

    __tablename__ = "word_list_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    # Random per change: two databases at the same version never share a cached matcher.
    stamp: Mapped[str] = mapped_column(sa.String(32))


class Report(Base):
    """A member's report (举报) of a post; it joins the review queue."""

    __tablename__ = "post_reports"
    __table_args__ = (sa.Index("ix_post_reports_state_post", "state", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"))
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    reason: Mapped[ReasonCode] = mapped_column(enum_type(ReasonCode))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    state: Mapped[ReportState] = mapped_column(enum_type(ReportState), default=ReportState.OPEN)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    reporter = relationship("User", lazy="joined")


class ModerationDecision(Base):
    """Append-only: what a moderator decided about a post, and why."""

    __tablename__ = "moderation_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"), index=True)
    moderator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approved: Mapped[bool]
    reason: Mapped[ReasonCode] = mapped_column(enum_type(ReasonCode))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    decided_at: Mapped[datetime]

    moderator = relationship("User", lazy="joined")
