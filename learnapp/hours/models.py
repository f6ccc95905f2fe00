"""The 学时 ledger (学时台账) and the rule sets it is computed with (DOMAIN.md, Study hours).

The ledger is append-only: an entry is never edited or deleted. A correction is a second entry
with the opposite hours that points at the one it reverses. Every total is a sum over it.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.db import Base, enum_type


class HoursCategory(enum.StrEnum):
    CENTRALISED = "centralised"  # 集中培训
    COLLECTIVE = "collective"  # 集体学习 (三会一课 study items, 主题党日)
    ONLINE = "online"  # 在线学习 (lessons on this platform)
    SELF_STUDY = "self_study"  # 个人自学: tracked, not counted toward the target by default
    EXTERNAL = "external"  # 外部导入 (approved claims of study elsewhere)


class EntryStatus(enum.StrEnum):
    CREDITED = "credited"
    REVERSAL = "reversal"  # cancels the entry named by `reverses_id`


class SourceType(enum.StrEnum):
    """What an entry was credited for; `source_id` is that thing's id."""

    LESSON = "lesson"
    SELF_STUDY = "self_study"
    REVERSAL = "reversal"  # source_id: the reversed entry, so it can be reversed only once
    MEETING = "meeting"  # attendance at a meeting's study items (集体学习)
    CLAIM = "claim"  # an approved external study claim, or study recorded on a member's behalf
    COURSE_TEST = "course_test"  # passing a course's final test


class RuleSet(Base):
    """One version of the conversion rules, in force from `effective_from` (org timezone)."""

    __tablename__ = "hours_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(32), unique=True)
    effective_from: Mapped[date] = mapped_column(sa.Date, unique=True)
    source: Mapped[str] = mapped_column(sa.Text)  # the documents and articles it comes from
    rules: Mapped[dict] = mapped_column(sa.JSON)  # see learnapp.hours.rules.Rules
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]


class LedgerEntry(Base):
    __tablename__ = "hours_ledger"
    __table_args__ = (
        # One credit per member, source and category: crediting is idempotent.
        sa.UniqueConstraint("member_id", "source_type", "source_id", "category"),
        sa.CheckConstraint("verified_seconds >= 0", name="verified_seconds_non_negative"),
        sa.CheckConstraint("hours > -1000 AND hours < 1000", name="hours_range"),
        sa.CheckConstraint("nominal_hours >= 0", name="nominal_hours_non_negative"),
        sa.CheckConstraint(
            "(status = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_points_back"
        ),
        sa.Index("ix_hours_ledger_member_year", "member_id", "year"),
        sa.Index("ix_hours_ledger_member_day", "member_id", "credited_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    category: Mapped[HoursCategory] = mapped_column(enum_type(HoursCategory))
    source_type: Mapped[SourceType] = mapped_column(enum_type(SourceType))
    source_id: Mapped[str] = mapped_column(sa.String(64))
    verified_seconds: Mapped[int] = mapped_column(default=0)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))  # negative on a reversal
    # The most the source was worth; less was credited when the daily cap took the rest.
    nominal_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    rule_set_id: Mapped[int] = mapped_column(sa.ForeignKey("hours_rule_sets.id"))
    # The study day and its calendar year, in the organisation's timezone.
    credited_on: Mapped[date] = mapped_column(sa.Date)
    year: Mapped[int]
    status: Mapped[EntryStatus] = mapped_column(enum_type(EntryStatus))
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hours_ledger.id"), unique=True)
    approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(sa.Text, default="")

    rule_set: Mapped[RuleSet] = relationship(lazy="joined")

    @property
    def is_capped(self) -> bool:
        """A credit the daily cap cut short (shown to the member as the reason)."""
        return self.status == EntryStatus.CREDITED and self.hours < self.nominal_hours
