"""Each member's row of the completion figures (counted hours, target, status, projection), one
page at a time, in batches for exports, for one member, and who is behind pace: read from
queries.member_table, the per-member aggregate the dashboard groups by unit. The pages and
exports of a year's report list the members of that year (`in_year`, see year.in_scope)."""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from learnapp.accounts.models import User
from learnapp.authz import can_manage_path
from learnapp.completion.queries import Filters, Frame, member_table
from learnapp.completion.status import (
    Status,
    projection,
)
from learnapp.db import pinyin_order, tree_order
from learnapp.hours.models import HoursCategory
from learnapp.orgs.models import MemberCategory, Unit

MEMBER_PAGE = 50


@dataclass
class MemberRow:
    member_id: int
    display_name: str
    unit_id: int  # the unit the member is counted in (for a past year: theirs at its end)
    current_unit_id: int | None
    category: MemberCategory
    counted: Decimal
    shown: Decimal
    by_category: dict[HoursCategory, Decimal]
    target: Decimal | None
    status: Status
    projection: Decimal | None
    # False: no record of the member's standing at the end of the (finished) year, so the
    # category and target are today's.
    standing_recorded: bool = True
    current_unit_path: str | None = None  # read for pages only (see `members`)

    @property
    def moved_since(self) -> bool:
        """The member has left the unit they are counted in."""
        return self.current_unit_id != self.unit_id


def _member_row(row, share: Decimal, current_unit_path: str | None = None) -> MemberRow:
    counted = Decimal(str(row.counted)).quantize(Decimal("0.01"))
    target = None if row.target is None else Decimal(str(row.target)).quantize(Decimal("0.01"))
    return MemberRow(
        member_id=row.member_id,
        display_name=row.display_name,
        unit_id=row.unit_id,
        current_unit_id=row.current_unit_id,
        category=MemberCategory(row.category),
        counted=counted,
        shown=Decimal(str(row.shown)).quantize(Decimal("0.01")),
        by_category={
            c: Decimal(str(getattr(row, f"h_{c.value}"))).quantize(Decimal("0.01"))
            for c in HoursCategory
        },
        target=target,
        status=Status(row.status),
        projection=None if target is None else projection(counted, share),  # None: year over
        standing_recorded=bool(row.standing_recorded),
        current_unit_path=current_unit_path,
    )


def members(
    session: Session, unit: Unit, frame: Frame, filters: Filters, page: int = 1
) -> tuple[list[MemberRow], int]:
    """One page of the subtree's members of the year by name (never by hours: no ranking) and
    the page count. Each row carries the path of the member's unit now, for `closed_pages`."""
    table = member_table(unit, frame, filters, in_year=True)
    query = sa.select(table)
    if filters.status is not None:
        query = query.where(table.c.status == filters.status.value)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // MEMBER_PAGE))
    page = min(max(page, 1), pages)
    now_in = aliased(Unit)
    rows = session.execute(
        query.add_columns(now_in.path.label("current_unit_path"))
        .outerjoin(now_in, now_in.id == table.c.current_unit_id)
        .order_by(pinyin_order(table.c.display_name), table.c.member_id)
        .limit(MEMBER_PAGE)
        .offset((page - 1) * MEMBER_PAGE)
    ).all()
    return [_member_row(row, frame.share, row.current_unit_path) for row in rows], pages


def closed_pages(user, rows: list[MemberRow]) -> set[int]:
    """The listed members whose page the user may not open: those of a past year who have
    moved since to a unit outside the user's scope (their page would be 404)."""
    return {
        row.member_id
        for row in rows
        if row.moved_since
        and (row.current_unit_path is None or not can_manage_path(user, row.current_unit_path))
    }


def iter_members(session: Session, unit: Unit, frame: Frame, filters: Filters, batch: int = 2000):
    """Every member row of the subtree (members now, each in their unit now), fetched in
    batches."""
    for row in iter_member_rows(session, unit, frame, filters, batch):
        yield _member_row(row, frame.share)


def iter_member_rows(
    session: Session,
    unit: Unit,
    frame: Frame,
    filters: Filters,
    batch: int = 2000,
    *,
    in_year: bool = False,
):
    """Every member of the subtree as the raw row of member_table (hours as the database
    returns them), fetched in batches: the exports' 100,000 rows skip the Decimal conversions
    of MemberRow. In tree order (by the path of the unit each is counted in: a unit, then the
    units below it), then by name; `filters.status` narrows them to one status."""
    table = member_table(unit, frame, filters, in_year=in_year)
    query = (
        sa.select(table)
        .join(Unit, Unit.id == table.c.unit_id)
        .order_by(tree_order(Unit.path), pinyin_order(table.c.display_name), table.c.member_id)
    )
    if filters.status is not None:
        query = query.where(table.c.status == filters.status.value)
    yield from session.execute(query, execution_options={"yield_per": batch})


def member_status(session: Session, member: User, frame: Frame) -> MemberRow | None:
    """One member's row (the member must be active and in a unit)."""
    if member.unit is None:
        return None
    table = member_table(member.unit, frame, Filters())
    row = session.execute(sa.select(table).where(table.c.member_id == member.id)).first()
    return _member_row(row, frame.share) if row else None


def behind_members(session: Session, unit: Unit, frame: Frame) -> list[tuple[int, str]]:
    """(id, name) of the subtree's members behind pace, by name."""
    table = member_table(unit, frame, Filters(), detail=False)
    return [
        (row.member_id, row.display_name)
        for row in session.execute(
            sa.select(table.c.member_id, table.c.display_name)
            .where(table.c.status == Status.BEHIND.value)
            .order_by(pinyin_order(table.c.display_name), table.c.member_id)
        )
    ]


def behind_count(session: Session, unit: Unit, frame: Frame) -> int:
    table = member_table(unit, frame, Filters(), detail=False)
    return session.scalar(
        sa.select(sa.func.count()).select_from(table).where(table.c.status == Status.BEHIND.value)
    )
