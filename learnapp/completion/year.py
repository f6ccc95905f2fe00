"""What a year's completion figures are computed against: the Frame (the year, how much of it
has passed, the target's rules, what counts), the members a year's report lists and the unit each
is counted in (in_scope), and the standing their targets follow (standing_columns)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.clock import org_timezone
from learnapp.completion.rollup import watermark
from learnapp.completion.status import elapsed_share, year_finished
from learnapp.db import within_path
from learnapp.hours.models import HoursCategory, LedgerEntry
from learnapp.hours.queries import counting_rules, counts_toward_target, rules_for, target_day
from learnapp.hours.rules import Rules
from learnapp.orgs.models import LEADERSHIP_ROLES, MemberTransfer, RoleAssignment, Unit
from learnapp.orgs.standing import first_changes_since

LEADER_ROLES = tuple(sorted(role.value for role in LEADERSHIP_ROLES))


@dataclass(frozen=True)
class Frame:
    """What a computation for one year depends on, fixed once per request."""

    year: int
    share: Decimal
    rules: Rules  # the target's (hours.queries.target_day)
    watermark: int = 0  # the rollup holds the ledger up to this entry id
    tail_size: int | None = None  # entries after the watermark (at most); None: unknown
    dialect: str = ""  # the database's, for the one plan choice that differs (member_table)
    ends_at: datetime | None = None  # the first instant after the year, organisation's time
    # What counts toward the target under each rule set (hours.queries.counting_rules), as
    # (rule set id, categories) pairs.
    counting: tuple[tuple[int, frozenset[HoursCategory]], ...] = ()

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
            rules_for(session, target_day(year, now.astimezone(tz).date())),
            mark,
            max(newest - mark, 0),
            session.get_bind().dialect.name,
            datetime(year + 1, 1, 1, tzinfo=tz),
            tuple(sorted(counting_rules(session).items())),
        )

    @property
    def counted(self) -> sa.ColumnElement[bool]:
        """SQL: a ledger entry counts toward the target (by the rule set it was credited with)."""
        return counts_toward_target(dict(self.counting))


def in_scope(query, unit: Unit, frame: Frame, in_year: bool):
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


@dataclass(frozen=True)
class StandingColumns:
    """The standing a year's targets follow, as columns of a query over users joined by
    `joined`: the standing now while the year runs; for a finished year the standing at its
    end (orgs.standing.first_changes_since), today's where there is no record of it
    (`recorded` false)."""

    category: sa.ColumnElement
    is_elderly_exempt: sa.ColumnElement
    is_leader: sa.ColumnElement
    recorded: sa.ColumnElement
    subqueries: tuple  # each with a `user_id` column, outer-joined to the user

    def joined(self, query):
        for subquery in self.subqueries:
            query = query.outerjoin(subquery, subquery.c.user_id == User.id)
        return query


def standing_columns(frame: Frame) -> StandingColumns:
    leaders = (
        sa.select(RoleAssignment.user_id)
        .where(RoleAssignment.role.in_(LEADER_ROLES))
        .distinct()
        .subquery("leaders")
    )
    leader_now = leaders.c.user_id.is_not(None)
    if not frame.finished:
        return StandingColumns(
            User.category, User.is_elderly_exempt, leader_now, sa.true(), (leaders,)
        )
    then = first_changes_since(frame.ends_at)
    return StandingColumns(
        sa.func.coalesce(then.c.category_before, User.category),
        sa.func.coalesce(then.c.is_elderly_exempt_before, User.is_elderly_exempt),
        sa.func.coalesce(then.c.is_leader_before, leader_now),
        sa.or_(then.c.user_id.is_(None), then.c.category_before.is_not(None)),
        (leaders, then),
    )
