"""A notification: a message with its parameters, rendered for the reader, and a link path on
this site."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.db import Base


class Notification(Base):
    __tablename__ = "notifications"
    # The unread badge is COUNT(*) WHERE user_id = ? AND read_at IS NULL: one index range.
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    # A key of messages.MESSAGES and what fills it in; None on notifications written before
    # messages had keys, which show their stored title and body instead.
    message: Mapped[str | None] = mapped_column(sa.String(48))
    params: Mapped[dict | None] = mapped_column(sa.JSON)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
