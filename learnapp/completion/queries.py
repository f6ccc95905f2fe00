"""Completion of the annual requirement over an organisation subtree, computed in SQL.

One aggregate over the year's ledger (GROUP BY member, restricted to the subtree's members)
joined to the members gives each member's counted hours, target and status; the dashboard then
groups those rows by unit in SQL, so the database returns one row per unit and status, never one
per ledger entry. The ledger is read through its rollup plus the entries after the rollup's
watermark (completion.models), so a 党委's dashboard reads one row per member rather than
millions of entries. As in hours.queries.year_summary, which this mirrors in SQL, an entry counts
toward the target by the rule set it was credited with, and the target comes from the rule set
of hours.queries.target_day (in force today while the year runs, at its end once it is over).

A year's report (`in_year`) lists the people who belonged to the subtree in that year: each member
in the unit they were in at the end of a finished year (read back from the transfer history), or
now for the current year; accounts created after a finished year ended are left out. A finished
year's targets follow each member's standing at its end (category, 年老体弱, 书记/委员; read back
from orgs.standing), today's where the platform holds no record of it (`standing_recorded`).
"""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.clock import org_timezone
from learnapp.completion.models import (
    CATEGORY_COLUMNS,
    COUNTED_COLUMN,
    MemberYearHours,
    RollupState,
)
from learnapp.completion.status import STATUS_ORDER, WITHOUT_TARGET, Status, cents
from learnapp.completion.year import Frame, in_scope, standing_columns
from learnapp.db import within_path
from learnapp.hours.models import HoursCategory, LedgerEntry
from learnapp.orgs.models import MemberCategory, Unit

PARTY = (MemberCategory.FULL.value, MemberCategory.PROBATIONARY.value)
# A tail of at most this many entries is read by id range (the refresh job runs every 5 min).
SHORT_TAIL = 20_000


@dataclass(frozen=True)
class Filters:
    member_category: MemberCategory | None = None
    hours_category: HoursCategory | None = None  # the "hours" column shows only this category
    status: Status | None = None  # member lists only


def first_year(session: Session) -> int | None:
    """The first year the platform holds anything for: that of the oldest account or of the
    earliest ledger entry, whichever is earlier (None while both are empty). One query, each
    minimum read from an index: the ledger as the rollup's years and the entries after its
    watermark."""
    mark = sa.select(RollupState.last_entry_id).where(RollupState.id == 1).scalar_subquery()
    oldest_account, rolled, tail = session.execute(
        sa.select(
            sa.select(sa.func.min(User.created_at)).scalar_subquery(),
            sa.select(sa.func.min(MemberYearHours.year)).scalar_subquery(),
            sa.select(sa.func.min(LedgerEntry.year))
            .where(LedgerEntry.id > sa.func.coalesce(mark, 0))
            .scalar_subquery(),
        )
    ).one()
    years = [year for year in (rolled, tail) if year is not None]
    if oldest_account is not None:
        years.append(oldest_account.astimezone(org_timezone()).year)
    return min(years, default=None)


def _num(value) -> sa.BindParameter:
    return sa.literal(Decimal(value), sa.Numeric(10, 2))


def _scope_members(unit: Unit, frame: Frame, in_year: bool):
    """The members the tail is read for: all of the scope's (the member-category filter applies
    to the category of the year, which member_table reads)."""
    query, _unit_id = in_scope(sa.select(User.id), unit, frame, in_year)
    return query


def _tail(unit: Unit, frame: Frame, in_year: bool):
    """Per member of the subtree: hours per category of the year's ledger entries after the
    rollup's watermark (few, once the refresh job has run; see completion.models).

    A short tail is read as a range of ids and restricted to the subtree by the caller's join;
    a long one (the rollup not built yet) through the members' index, subtree first.
    """
    short = frame.tail_size is not None and frame.tail_size <= SHORT_TAIL
    # Grouping by `member_id + 0` keeps SQLite from walking the whole (member, year) index to
    # avoid a sort; the short id range is read and sorted instead.
    member = (LedgerEntry.member_id + 0) if short else LedgerEntry.member_id
    query = (
        sa.select(
            member.label("member_id"),
            *(
                sa.func.sum(
                    sa.case((LedgerEntry.category == category, LedgerEntry.hours), else_=0)
                ).label(column)
                for category, column in CATEGORY_COLUMNS.items()
            ),
            sa.func.sum(sa.case((frame.counted, LedgerEntry.hours), else_=0)).label(COUNTED_COLUMN),
        )
        .where(LedgerEntry.id > frame.watermark, LedgerEntry.year == frame.year)
        .group_by(member)
    )
    if not short:
        query = query.where(LedgerEntry.member_id.in_(_scope_members(unit, frame, in_year)))
    return query.subquery("tail")


def _hours_sum(table, columns: list[str]) -> sa.ColumnElement:
    """The sum of some hours columns of a left-joined row: one COALESCE, not one each (the
    rollup's and the tail's columns are never NULL when their row exists)."""
    if not columns:
        return sa.literal(0)
    values = [table.c[column] for column in columns]
    return sa.func.coalesce(sum(values[1:], values[0]), 0)


def _both(rolled, tail, columns: list[str]) -> sa.ColumnElement:
    """Rollup + tail of some hours columns, rounded to the hundredth."""
    return sa.func.round(_hours_sum(rolled, columns) + _hours_sum(tail, columns), 2)


def member_table(
    unit: Unit, frame: Frame, filters: Filters, *, detail: bool = True, in_year: bool = False
):
    """A subquery: one row per active member of the subtree with counted hours, shown hours,
    per-category hours, target and status. Each member's hours are their rollup row (joined by
    primary key) plus their tail. `unit_id` is the unit the member is counted in: with
    `in_year`, the year's report's (see year.in_scope); else their unit now. `category` and
    the target follow the year's standing (year.standing_columns; `standing_recorded` false:
    today's, for lack of a record), and so does the member-category filter.

    Two stages: the first computes each member's sums once; the second classifies from those
    columns. On PostgreSQL the first stage is kept apart (OFFSET 0) so that the planner does
    not inline it and evaluate the numeric sums again for every comparison; SQLite's own
    flattening is faster there. `detail=False` leaves out the per-category columns, which
    counts by status do not need.
    """
    tail = _tail(unit, frame, in_year)
    rolled = MemberYearHours.__table__
    shown = (
        [CATEGORY_COLUMNS[filters.hours_category]] if filters.hours_category else [COUNTED_COLUMN]
    )
    standing = standing_columns(frame)
    base = sa.select(
        User.id.label("member_id"),
        User.unit_id.label("current_unit_id"),
        User.display_name,
        standing.category.label("category"),
        _both(rolled, tail, [COUNTED_COLUMN]).label("counted"),
        _both(rolled, tail, shown).label("shown"),
        *(
            _both(rolled, tail, [column]).label(column)
            for column in (CATEGORY_COLUMNS.values() if detail else ())
        ),
        standing.category.in_(PARTY).label("is_party"),
        standing.is_elderly_exempt.label("is_exempt"),
        standing.is_leader.label("is_leader"),
        standing.recorded.label("standing_recorded"),
    )
    base, unit_id = in_scope(base, unit, frame, in_year)
    base = standing.joined(
        base.add_columns(unit_id.label("unit_id"))
        .outerjoin(rolled, sa.and_(rolled.c.member_id == User.id, rolled.c.year == frame.year))
        .outerjoin(tail, tail.c.member_id == User.id)
    )
    if filters.member_category is not None:
        base = base.where(standing.category == filters.member_category.value)
    if frame.dialect == "postgresql":
        base = base.offset(0)
    base = base.subquery("base")
    rules = frame.rules
    not_party = base.c.is_party.is_(False)
    exempt = base.c.is_exempt.is_(True)
    leader = base.c.is_leader.is_(True)
    target = sa.case(
        (not_party, sa.null()),
        (exempt, sa.null()),
        (leader, _num(rules.leader_target_hours)),
        else_=_num(rules.annual_target_hours),
    )
    pace = sa.case(
        (leader, _num(cents(rules.leader_target_hours * frame.share))),
        else_=_num(cents(rules.annual_target_hours * frame.share)),
    )
    status = sa.case(
        (not_party, Status.NOT_APPLICABLE.value),
        (exempt, Status.EXEMPT.value),
        (base.c.counted >= target, Status.DONE.value),
        (base.c.counted >= pace, Status.ON_TRACK.value),
        else_=Status.BEHIND.value,
    )
    return sa.select(
        base.c.member_id,
        base.c.unit_id,
        base.c.current_unit_id,
        base.c.display_name,
        base.c.category,
        base.c.counted,
        base.c.shown,
        *(base.c[column] for column in (CATEGORY_COLUMNS.values() if detail else ())),
        base.c.standing_recorded,
        target.label("target"),
        status.label("status"),
    ).subquery("members")


@dataclass
class Tally:
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(STATUS_ORDER, 0))
    hours: Decimal = Decimal("0.00")

    def add(self, status: Status, count: int, hours) -> None:
        self.counts[status] += count
        self.hours += Decimal(str(hours or 0))

    def absorb(self, other: "Tally") -> None:
        """Add another tally's counts and hours to this one."""
        for status, count in other.counts.items():
            self.counts[status] += count
        self.hours += other.hours

    def take_out(self, other: "Tally") -> None:
        """Remove a part (a tally absorbed before) from this one."""
        for status, count in other.counts.items():
            self.counts[status] -= count
        self.hours -= other.hours

    @property
    def members(self) -> int:
        return sum(self.counts.values())

    @property
    def with_target(self) -> int:
        return self.members - sum(self.counts[s] for s in WITHOUT_TARGET)

    def share(self, status: Status) -> float | None:
        """The status's share of the members with a target: the one base of every percentage
        (None for the statuses without a target, which are counts only)."""
        if status in WITHOUT_TARGET:
            return None
        return self.counts[status] / self.with_target if self.with_target else 0.0

    @property
    def completion(self) -> float:
        """Share of members with a target who have reached it."""
        return self.share(Status.DONE)

    @property
    def average_hours(self) -> Decimal:
        return cents(self.hours / self.members) if self.members else Decimal("0.00")


@dataclass
class ChildRow:
    unit: Unit
    tally: Tally


@dataclass
class Overview:
    unit: Unit
    frame: Frame
    total: Tally
    children: list[ChildRow]
    direct: Tally  # members sitting in the unit itself, not in a child unit


def unit_tallies(session: Session, unit: Unit, frame: Frame, filters: Filters) -> dict[int, Tally]:
    """Counts by status and shown hours of the year's members (member_table, `in_year`) per
    unit they are counted in: one grouped query."""
    members = member_table(unit, frame, filters, detail=False, in_year=True)
    tallies: dict[int, Tally] = {}
    for unit_id, status, count, hours in session.execute(
        sa.select(
            members.c.unit_id, members.c.status, sa.func.count(), sa.func.sum(members.c.shown)
        ).group_by(members.c.unit_id, members.c.status)
    ):
        tallies.setdefault(unit_id, Tally()).add(Status(status), count, hours)
    return tallies


def _subtree_paths(session: Session, unit: Unit) -> dict[int, str]:
    """The path of every unit of `unit`'s subtree, by id."""
    return dict(
        session.execute(
            sa.select(Unit.id, Unit.path).where(within_path(Unit.path, unit.path))
        ).all()
    )


def overview(session: Session, unit: Unit, frame: Frame, filters: Filters) -> Overview:
    """Counts by status for the subtree and for each child unit: one grouped query, rolled up
    over the subtree's units (a few thousand at most) by their materialised paths. The child
    units are the active ones and any deactivated one that holds members of the year (a past
    year's members in the unit they were in when it ended): never counted as "directly in"."""
    tallies = unit_tallies(session, unit, frame, filters)
    child_by_prefix = {c.path: ChildRow(c, Tally()) for c in unit.children}
    unit_paths = _subtree_paths(session, unit)
    depth = unit.path.count("/")
    total, direct = Tally(), Tally()
    for unit_id, tally in tallies.items():
        total.absorb(tally)
        path = unit_paths.get(unit_id, unit.path)
        parts = path.split("/")
        child_path = (
            "/".join(parts[: depth + 1]) + "/" if parts[depth : depth + 1] != [""] else None
        )
        row = child_by_prefix.get(child_path)
        (row.tally if row is not None else direct).absorb(tally)
    children = [row for row in child_by_prefix.values() if row.unit.is_active or row.tally.members]
    return Overview(unit, frame, total, children, direct)
