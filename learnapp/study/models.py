"""Study sessions, their raw heartbeats, per-lesson progress and the per-member study clock.

Raw activity (sessions, heartbeats) is append-only and keeps what each heartbeat was credited;
progress is an aggregate moved by server-computed deltas in the same transaction, and can be
rebuilt from the heartbeats (CONVENTIONS.md #9).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.db import Base


class StudySession(Base):
    """One lesson page open in one tab, identified by a random id issued by the server."""

    __tablename__ = "study_sessions"
    __table_args__ = (
        sa.CheckConstraint("verified_seconds >= 0", name="verified_seconds_non_negative"),
        sa.Index("ix_study_sessions_open", "closed_at", "last_beat_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id"), index=True)
    started_at: Mapped[datetime]
    # Server time of the last accepted heartbeat (or of the start): each interval runs from it.
    last_beat_at: Mapped[datetime]
    last_seq: Mapped[int] = mapped_column(default=0)
    verified_seconds: Mapped[int] = mapped_column(default=0)
    # The last accepted heartbeat said the page stopped counting (hidden, out of focus): the
    # interval that begins with it earns nothing, whatever the next heartbeat says.
    is_paused: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None]


class Heartbeat(Base):
    """An accepted heartbeat, as received, with what the server credited for it."""

    __tablename__ = "study_heartbeats"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "seq"),
        sa.CheckConstraint("credited_seconds >= 0", name="credited_seconds_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(sa.ForeignKey("study_sessions.id"))
    seq: Mapped[int]
    received_at: Mapped[datetime]
    elapsed_seconds: Mapped[int]  # server time since the session's previous heartbeat
    credited_seconds: Mapped[int]
    reached_end: Mapped[bool] = mapped_column(default=False)
    # The page reported that it stopped counting with this heartbeat (hidden, out of focus).
    is_paused: Mapped[bool] = mapped_column(default=False)
    # The video segment the page reported watching, whole seconds; None for text and PDFs.
    segment_start: Mapped[int | None]
    segment_end: Mapped[int | None]
    segment_accepted: Mapped[bool] = mapped_column(default=False)


class LessonProgress(Base):
    """A member's progress on a lesson, across all their sessions, devices and content versions."""

    __tablename__ = "lesson_progress"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "lesson_id"),
        sa.CheckConstraint("verified_seconds >= 0", name="verified_seconds_non_negative"),
        sa.Index("ix_lesson_progress_member_recent", "member_id", "last_studied_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id"), index=True)
    verified_seconds: Mapped[int] = mapped_column(default=0)
    reached_end: Mapped[bool] = mapped_column(default=False)
    # Video: merged [start, end) seconds watched, e.g. [[0, 120], [300, 360]].
    coverage: Mapped[list] = mapped_column(sa.JSON, default=list)
    started_at: Mapped[datetime]
    last_studied_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class StudyClock(Base):
    """Which of a member's study time has been credited, so that two tabs or devices at once
    count once: a second of wall time is credited to one page only.

    Any interval a heartbeat credits ends at the heartbeat and is at most CREDIT_CAP_SECONDS
    long, so only the recent past matters: `recent_spans` holds the credited seconds of the
    last CREDIT_CAP_SECONDS before the latest heartbeat, as merged [start, end) Unix seconds.
    A page whose report reaches the server after another page's then still earns the part of
    its interval that only it covered (its time before the other page took over)."""

    __tablename__ = "study_clocks"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    # The latest credited second.
    credited_until: Mapped[datetime]
    # None on a clock kept before the spans were: all time up to credited_until is credited.
    recent_spans: Mapped[list | None] = mapped_column(sa.JSON)
