"""Organisational life (组织生活, 三会一课): meetings, attendance, study items, attachments, and
members' claims of study done elsewhere (DOMAIN.md, Organisational life and Study hours)."""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.accounts.models import User
from learnapp.db import Base, enum_type
from learnapp.hours.models import HoursCategory
from learnapp.orgs.models import MemberCategory, Unit


class MeetingKind(enum.StrEnum):
    GENERAL = "general"  # 支部党员大会 (quarterly; votes need a quorum)
    COMMITTEE = "committee"  # 支委会 (monthly)
    GROUP = "group"  # 党小组会 (monthly, per group)
    LECTURE = "lecture"  # 党课 (quarterly)
    THEMED_DAY = "themed_day"  # 主题党日 (monthly)
    LIFE_MEETING = "life_meeting"  # 组织生活会 (yearly)


class Attendance(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"  # with a reason
    LEAVE = "leave"  # 请假


class Meeting(Base):
    __tablename__ = "orglife_meetings"
    __table_args__ = (sa.Index("ix_orglife_meetings_unit_held", "unit_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    kind: Mapped[MeetingKind] = mapped_column(enum_type(MeetingKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    held_on: Mapped[date] = mapped_column(sa.Date)  # the organisation's calendar day
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    host_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    observers: Mapped[str] = mapped_column(sa.Text, default="")  # 列席人员, as written
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    resolutions: Mapped[str] = mapped_column(sa.Text, default="")
    # One recorded vote per meeting: what was voted on and the show of hands.
    vote_subject: Mapped[str] = mapped_column(sa.String(200), default="")
    votes_for: Mapped[int | None]
    votes_against: Mapped[int | None]
    votes_abstain: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]

    unit: Mapped[Unit] = relationship(lazy="joined")
    host: Mapped[User | None] = relationship(foreign_keys=[host_id])
    recorder: Mapped[User | None] = relationship(foreign_keys=[recorder_id])
    study_items: Mapped[list["StudyItem"]] = relationship(
        back_populates="meeting", order_by="StudyItem.id", cascade="all, delete-orphan"
    )
    attendances: Mapped[list["MeetingAttendance"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    attachments: Mapped[list["MeetingAttachment"]] = relationship(
        order_by="MeetingAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def study_seconds(self) -> int:
        return sum(item.duration_seconds for item in self.study_items)

    @property
    def votes_cast(self) -> int:
        return sum(v or 0 for v in (self.votes_for, self.votes_against, self.votes_abstain))

    @property
    def records_vote(self) -> bool:
        """A vote is recorded: what was voted on, or a show of hands."""
        return bool(self.vote_subject) or any(
            v is not None for v in (self.votes_for, self.votes_against, self.votes_abstain)
        )


class StudyItem(Base):
    """A study item on the agenda; its duration earns attendees 集体学习 hours."""

    __tablename__ = "orglife_study_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("orglife_meetings.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    duration_seconds: Mapped[int]

    meeting: Mapped[Meeting] = relationship(back_populates="study_items")


class MeetingAttendance(Base):
    __tablename__ = "orglife_attendances"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("orglife_meetings.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[Attendance] = mapped_column(enum_type(Attendance))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    # The member's category when the attendance was recorded: whether they had a vote at the
    # meeting (预备党员 have none) does not change when they later become a full member.
    category: Mapped[MemberCategory] = mapped_column(enum_type(MemberCategory))
    # The ledger entry now standing for this attendance, and how many were made: a changed
    # attendance reverses the standing entry and credits a new one under the next number.
    ledger_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hours_ledger.id"))
    credit_seq: Mapped[int] = mapped_column(default=0)

    meeting: Mapped[Meeting] = relationship(back_populates="attendances")
    member: Mapped[User] = relationship(lazy="joined")


class MeetingAttachment(Base):
    """A file kept under a random name; the original (often Chinese) name is for display."""

    __tablename__ = "orglife_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("orglife_meetings.id"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]


class ClaimState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # by the member, while it was pending; never credits
    # Approved (or recorded on behalf), then cancelled by a secretary: the ledger keeps the
    # credit and the entry reversing it, which holds who reversed it, when and why.
    REVERSED = "reversed"


class StudyClaim(Base):
    """A member's claim of study done elsewhere; approval writes the ledger entry.

    A claim recorded by a secretary for an elderly (exempt) or retired member (送学上门) is approved on
    entry and marked `is_on_behalf`.
    """

    __tablename__ = "orglife_claims"
    __table_args__ = (
        sa.CheckConstraint("hours > 0 AND hours <= 100", name="hours_range"),
        sa.Index("ix_orglife_claims_unit_state", "unit_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The member's unit when submitted, kept up to date by the decision: the unit whose
    # managers decided (see deciding_unit).
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    category: Mapped[HoursCategory] = mapped_column(enum_type(HoursCategory))
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    studied_on: Mapped[date] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text)
    evidence_name: Mapped[str | None] = mapped_column(sa.String(64))  # stored name
    evidence_display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    evidence_content_type: Mapped[str] = mapped_column(sa.String(64), default="")
    state: Mapped[ClaimState] = mapped_column(enum_type(ClaimState))
    is_on_behalf: Mapped[bool] = mapped_column(default=False)  # 送学上门
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Who closed the claim and when: the secretary who approved or rejected it, or the member
    # who withdrew it.
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    ledger_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hours_ledger.id"))
    created_at: Mapped[datetime]

    member: Mapped[User] = relationship(foreign_keys=[member_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    unit: Mapped[Unit] = relationship()

    @property
    def deciding_unit(self) -> Unit | None:
        """The unit whose managers decide: while the claim waits, the member's unit now (a
        member who moves takes their waiting claims along); once decided, the unit it was
        decided in."""
        return self.member.unit if self.state == ClaimState.PENDING else self.unit
