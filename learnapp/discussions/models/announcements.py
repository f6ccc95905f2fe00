"""Announcements (通知公告) to a unit's subtree, with read receipts; complaints (投诉建议)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base


class Announcement(Base):
    __tablename__ = "announcements"
    __table_args__ = (sa.Index("ix_announcements_unit_published", "unit_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    body_source: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    published_at: Mapped[datetime]
    # Shown on members' home pages until then (None: until withdrawn).
    expires_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    unit = relationship("Unit", lazy="joined")
    author = relationship("User", lazy="joined")

    def is_current(self, now: datetime) -> bool:
        """Shown to members as news: published, not withdrawn, not past its end."""
        return (
            self.published_at <= now
            and self.withdrawn_at is None
            and (self.expires_at is None or self.expires_at > now)
        )


class AnnouncementRecipient(Base):
    """A member of the audience when the announcement was published (active, in the unit's
    subtree): who was meant to read it, frozen, whoever joins or leaves the unit later."""

    __tablename__ = "announcement_recipients"

    announcement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("announcements.id"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)


class AnnouncementRead(Base):
    __tablename__ = "announcement_reads"

    announcement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("announcements.id"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    read_at: Mapped[datetime]
    # The reader's unit when they read it: a receipt stays in that unit's records after the
    # reader moves out or is disabled (None: read before units were recorded and unknown).
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))


class Complaint(Base):
    """A complaint or suggestion (投诉建议) from a member to the administrators."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(120))
    is_answered: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    author = relationship("User", lazy="joined")
    messages: Mapped[list["ComplaintMessage"]] = relationship(
        order_by="ComplaintMessage.id", lazy="selectin"
    )


class ComplaintMessage(Base):
    __tablename__ = "complaint_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    from_admin: Mapped[bool]
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]

    author = relationship("User", lazy="joined")
