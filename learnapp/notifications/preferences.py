"""Reminders a member has muted. Mandatory reminders cannot be muted (see reminders.KINDS)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.db import Base


class ReminderMute(Base):
    __tablename__ = "notification_mutes"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime]
