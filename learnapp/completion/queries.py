"""Completion of the annual requirement over an organisation subtree, computed in SQL.

One aggregate over the year's ledger (GROUP BY member, restricted to the subtree's members)
joined to the members gives each member's counted hours, target and status; the dashboard then
groups those rows by unit in SQL, so the database returns one row per unit and status, never one
per ledger entry. The ledger is read through its rollup plus the entries after the rollup's
watermark (completion.models), so a 党委's dashboard reads one row per member rather than
millions of entries. Targets come from the rule set in force on the year's last day, as in
hours.queries.target_for, which this mirrors in SQL.

A year's report (`in_year`) lists the people who belonged to the subtree in that year: each member
in the unit they were in at the end of a finished year (read back from the transfer history), or
now for the current year; accounts created after a finished year ended are left out. Member
category, exemption and roles have no history, so a past year's targets use today's.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.clock import org_timezone
from learnapp.completion.models import CATEGORY_COLUMNS, MemberYearHours, RollupState
from learnapp.completion.rollup import watermark
from learnapp.completion.status import (
    STATUS_ORDER,
    WITHOUT_TARGET,
    Status,
    cents,
    elapsed_share,
    year_finished,
)
from learnapp.db import within_path
from learnapp.hours.models import HoursCategory, LedgerEntry
from learnapp.hours.queries import rules_for
from learnapp.hours.rules import Rules
from learnapp.orgs.models import MemberCategory, MemberTransfer, Role, RoleAssignment, Unit

PARTY = (MemberCategory.FULL.value, MemberCategory.PROBATIONARY.value)
LEADER_ROLES = (Role.SECRETARY.value, Role.COMMITTEE_MEMBER.value)
# A tail of at most this many entries is read by id range (the refresh job runs every 5 min).
SHORT_TAIL = 20_000


@dataclass(frozen=True)
class Filters:
    member_category: MemberCategory | None = None
    hours_category: HoursCategory | None = None  # the "hours" column shows only this category
    status: Status | None = None  # member lists only


@dataclass(frozen=True)
class Frame:
    """What a computation for one year depends on, fixed once per request."""

    year: int
    share: Decimal
    rules: Rules
    watermark: int = 0  # the rollup holds the ledger up to this entry id
    tail_size: int | None = None  # entries after the watermark (at most); None: unknown
    dialect: str = ""  # the database's, for the one plan choice that differs (member_table)
    ends_at: datetime | None = None  # the first instant after the year, organisation's time

    @property
    def finished(self) -> bool:
        """The year is over: statuses are final and nothing is projected."""
        return year_finished(self.share)

    @classmethod
    def of(cls, session: Session, year: int, now: datetime) -> "Frame":
        mark = watermark(session)
        newest = session.scalar(sa.select(sa.func.max(LedgerEntry.id))) or 0
        tz = org_timezone()
        return cls(
            year,
            elapsed_share(now, year, tz),
            rules_for(session, date(year, 12, 31)),
            mark,
            max(newest - mark, 0),
            session.get_bind().dialect.name,
            datetime(year + 1, 1, 1, tzinfo=tz),
        )


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


def _in_scope(query, unit: Unit, frame: Frame, in_year: bool):
    """`query` (over users) narrowed to the active members of `unit`'s subtree, and the column
    of the unit each is counted in: their unit now, or with `in_year` for a finished year the
    unit they were in when it ended (the `from_unit` of their first transfer after that; none,
    and so not listed, when that transfer placed them for the first time), leaving out accounts
    created after it. The history is read in the same statement, one aggregate over the few
    transfers since the year ended."""
    query = query.where(User.is_active.is_(True))
    if not (in_year and frame.finished):
        return query.join(Unit, User.unit_id == Unit.id).where(
            within_path(Unit.path, unit.path)
        ), User.unit_id
    later = (
        sa.select(MemberTransfer.user_id, sa.func.min(MemberTransfer.id).label("id"))
        .where(MemberTransfer.moved_at >= frame.ends_at)
        .group_by(MemberTransfer.user_id)
        .subquery("later")
    )
    moved = MemberTransfer.__table__.alias("moved")
    unit_id = sa.case((later.c.id.is_not(None), moved.c.from_unit_id), else_=User.unit_id)
    subtree = sa.select(Unit.id).where(within_path(Unit.path, unit.path))
    # Whoever was in the subtree then is in it now or left it since: the candidates are read
    # through the members' unit index and the transfers, never all users for every unit.
    moved_out = sa.select(MemberTransfer.user_id).where(
        MemberTransfer.moved_at >= frame.ends_at, MemberTransfer.from_unit_id.in_(subtree)
    )
    query = (
        query.outerjoin(later, later.c.user_id == User.id)
        .outerjoin(moved, moved.c.id == later.c.id)
        .where(
            sa.or_(User.unit_id.in_(subtree), User.id.in_(moved_out)),
            unit_id.in_(subtree),
            User.created_at < frame.ends_at,
        )
    )
    return query, unit_id


def _scope_members(unit: Unit, frame: Frame, filters: Filters, in_year: bool):
    query, _unit_id = _in_scope(sa.select(User.id), unit, frame, in_year)
    if filters.member_category is not None:
        query = query.where(User.category == filters.member_category)
    return query


def _tail(unit: Unit, frame: Frame, filters: Filters, in_year: bool):
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
        )
        .where(LedgerEntry.id > frame.watermark, LedgerEntry.year == frame.year)
        .group_by(member)
    )
    if not short:
        query = query.where(
            LedgerEntry.member_id.in_(_scope_members(unit, frame, filters, in_year))
        )
    return query.subquery("tail")


def _hours_sum(table, categories) -> sa.ColumnElement:
    """The sum of some category columns of a left-joined row: one COALESCE, not one each
    (the rollup's and the tail's columns are never NULL when their row exists)."""
    columns = [table.c[CATEGORY_COLUMNS[c]] for c in sorted(categories)]
    if not columns:
        return sa.literal(0)
    return sa.func.coalesce(sum(columns[1:], columns[0]), 0)


def member_table(
    unit: Unit, frame: Frame, filters: Filters, *, detail: bool = True, in_year: bool = False
):
    """A subquery: one row per active member of the subtree with counted hours, shown hours,
    per-category hours, target and status. Each member's hours are their rollup row (joined by
    primary key) plus their tail. `unit_id` is the unit the member is counted in: with
    `in_year`, the year's report's (see _in_scope); else their unit now.

    Two stages: the first computes each member's sums once; the second classifies from those
    columns. On PostgreSQL the first stage is kept apart (OFFSET 0) so that the planner does
    not inline it and evaluate the numeric sums again for every comparison; SQLite's own
    flattening is faster there. `detail=False` leaves out the per-category columns, which
    counts by status do not need.
    """
    tail = _tail(unit, frame, filters, in_year)
    rolled = MemberYearHours.__table__
    counted_categories = frame.rules.target_categories
    shown_categories = {filters.hours_category} if filters.hours_category else counted_categories
    leaders = (
        sa.select(RoleAssignment.user_id)
        .where(RoleAssignment.role.in_(LEADER_ROLES))
        .distinct()
        .subquery("leaders")
    )
    base = sa.select(
        User.id.label("member_id"),
        User.unit_id.label("current_unit_id"),
        User.display_name,
        User.category,
        sa.func.round(
            _hours_sum(rolled, counted_categories) + _hours_sum(tail, counted_categories), 2
        ).label("counted"),
        sa.func.round(
            _hours_sum(rolled, shown_categories) + _hours_sum(tail, shown_categories), 2
        ).label("shown"),
        *(
            sa.func.round(_hours_sum(rolled, {c}) + _hours_sum(tail, {c}), 2).label(column)
            for c, column in (CATEGORY_COLUMNS.items() if detail else ())
        ),
        User.category.in_(PARTY).label("is_party"),
        User.is_elderly_exempt.label("is_exempt"),
        leaders.c.user_id.is_not(None).label("is_leader"),
    )
    base, unit_id = _in_scope(base, unit, frame, in_year)
    base = (
        base.add_columns(unit_id.label("unit_id"))
        .outerjoin(rolled, sa.and_(rolled.c.member_id == User.id, rolled.c.year == frame.year))
        .outerjoin(tail, tail.c.member_id == User.id)
        .outerjoin(leaders, leaders.c.user_id == User.id)
    )
    if filters.member_category is not None:
        base = base.where(User.category == filters.member_category)
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
    over the subtree's units (a few thousand at most) by their materialised paths."""
    tallies = unit_tallies(session, unit, frame, filters)
    children = [c for c in unit.children if c.is_active]
    child_by_prefix = {c.path: ChildRow(c, Tally()) for c in children}
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
    return Overview(unit, frame, total, list(child_by_prefix.values()), direct)
