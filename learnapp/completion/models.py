"""A cached rollup of the 学时 ledger per member and year, rebuildable from the ledger.

The dashboard of a 党委 sums a year of ledger entries for up to 100,000 members: millions of rows
per request. Instead it reads this rollup (one row per member and year) plus the ledger's tail,
the entries after the rollup's watermark, which the refresh job keeps short. Totals are still
sums over the ledger: rollup + tail is exactly the ledger, as long as no entry with an id at or
below the watermark commits after the refresh (see rollup.refresh).
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.db import Base
from learnapp.hours.models import HoursCategory

HOURS = sa.Numeric(10, 2)


class MemberYearHours(Base):
    __tablename__ = "completion_member_hours"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    # Indexed on its own too: the earliest year holding hours is read without a scan.
    year: Mapped[int] = mapped_column(primary_key=True, index=True)
    h_centralised: Mapped[Decimal] = mapped_column(HOURS, default=0)
    h_collective: Mapped[Decimal] = mapped_column(HOURS, default=0)
    h_online: Mapped[Decimal] = mapped_column(HOURS, default=0)
    h_self_study: Mapped[Decimal] = mapped_column(HOURS, default=0)
    h_external: Mapped[Decimal] = mapped_column(HOURS, default=0)
    # Counted toward the target, each entry by the rule set it was credited with.
    h_counted: Mapped[Decimal] = mapped_column(HOURS, default=0)


class RollupState(Base):
    """One row: the last ledger entry id the rollup includes."""

    __tablename__ = "completion_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_entry_id: Mapped[int] = mapped_column(default=0)
    refreshed_at: Mapped[datetime | None]


CATEGORY_COLUMNS = {c: f"h_{c.value}" for c in HoursCategory}
COUNTED_COLUMN = "h_counted"
HOURS_COLUMNS = (*CATEGORY_COLUMNS.values(), COUNTED_COLUMN)
