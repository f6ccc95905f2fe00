"""Read functions of organisational life: expected attendees, quorum, meetings, the calendar."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from learnapp.accounts.models import User
from learnapp.authz import unit_in_scope_clause
from learnapp.clock import org_timezone
from learnapp.db import pinyin_order, tree_order, within_path
from learnapp.orglife.models import (
    Attendance,
    Meeting,
    MeetingAttachment,
    MeetingAttendance,
    MeetingKind,
)
from learnapp.orgs.models import BRANCH_KINDS, MemberCategory, Role, RoleAssignment, Unit, UnitKind
from learnapp.orgs.queries import party_members_in, role_terms

PARTY_CATEGORIES = (MemberCategory.FULL, MemberCategory.PROBATIONARY)
# A branch with at least this many full members has a committee (支委会).
COMMITTEE_THRESHOLD = 7


COMMITTEE_ROLES = (Role.SECRETARY, Role.COMMITTEE_MEMBER)


def committee_members(session: Session, unit: Unit) -> list[User]:
    """The branch committee (支委会): active party members holding the secretary's or a
    committee member's role in the unit itself (roles held in the units above do not count)."""
    return list(
        session.scalars(
            sa.select(User)
            .where(
                User.is_active.is_(True),
                User.category.in_(PARTY_CATEGORIES),
                User.id.in_(
                    sa.select(RoleAssignment.user_id).where(
                        RoleAssignment.unit_id == unit.id,
                        RoleAssignment.role.in_(COMMITTEE_ROLES),
                    )
                ),
            )
            .order_by(pinyin_order(User.display_name), User.id)
        )
    )


def expected_members(session: Session, unit: Unit, kind: MeetingKind | None = None) -> list[User]:
    """Who is expected at a meeting of `kind` in `unit`: for a 支委会 the branch committee; for
    every other kind (and with no kind: the people of the unit) its active party members, the
    subtree included."""
    if kind == MeetingKind.COMMITTEE:
        return committee_members(session, unit)
    return list(session.scalars(party_members_in(unit)))


@dataclass(frozen=True)
class Roster:
    """Who was expected at a meeting (应到), and who is expected now but was not recorded."""

    members: list[User]
    newcomers: list[User]  # expected now, holding no attendance of the recorded meeting
    is_recorded: bool


def meeting_roster(session: Session, meeting: Meeting) -> Roster:
    """Who was expected at `meeting`, by name.

    Once its attendance has been recorded the roster is fixed by the recorded rows: a member
    who has since moved out or been deactivated keeps their place, and the members expected
    now without a row (who joined since, or became committee members) are `newcomers`,
    marked only if the secretary marks them. Before anything is recorded: the members
    expected now (expected_members).
    """
    current = expected_members(session, meeting.unit, meeting.kind)
    if not meeting.attendances:
        return Roster(members=current, newcomers=[], is_recorded=False)
    members = list(
        session.scalars(
            sa.select(User)
            .join(MeetingAttendance, MeetingAttendance.member_id == User.id)
            .where(MeetingAttendance.meeting_id == meeting.id)
            .order_by(pinyin_order(User.display_name), User.id)
        )
    )
    recorded = {m.id for m in members}
    return Roster(
        members=members,
        newcomers=[m for m in current if m.id not in recorded],
        is_recorded=True,
    )


@dataclass(frozen=True)
class Quorum:
    voting_members: int
    present_voting: int

    @property
    def needed(self) -> int:
        return self.voting_members // 2 + 1

    @property
    def reached(self) -> bool:
        """More than half of the members with voting rights are present (预备党员 have none)."""
        return self.voting_members > 0 and self.present_voting * 2 > self.voting_members

    def vote_issue(self, cast: int) -> str | None:
        """Why a recorded vote does not stand: "no_quorum", or "too_many" when more votes were
        cast than members with voting rights were present; None when it stands."""
        if not self.reached:
            return "no_quorum"
        if cast > self.present_voting:
            return "too_many"
        return None


def quorum(session: Session, meeting: Meeting) -> Quorum:
    """The members with voting rights expected at `meeting` (full members: 预备党员 have none),
    and how many of them were present. Once attendance is recorded, by the recorded rows and
    each member's category when recorded, so that a later change of membership or category
    leaves a past vote's quorum as it was; before, the full members expected now."""
    if meeting.attendances:
        voting = [row for row in meeting.attendances if row.category == MemberCategory.FULL]
        present = sum(1 for row in voting if row.status == Attendance.PRESENT)
        return Quorum(voting_members=len(voting), present_voting=present)
    expected = expected_members(session, meeting.unit, meeting.kind)
    voting_count = sum(1 for m in expected if m.category == MemberCategory.FULL)
    return Quorum(voting_members=voting_count, present_voting=0)


def _meetings_in(unit: Unit, year: int) -> sa.Select:
    return (
        sa.select(Meeting)
        .join(Unit, Meeting.unit_id == Unit.id)
        .where(
            within_path(Unit.path, unit.path),
            Meeting.held_on >= date(year, 1, 1),
            Meeting.held_on <= date(year, 12, 31),
        )
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
    )


def meetings_of(session: Session, unit: Unit, year: int) -> list[Meeting]:
    """Meetings of the unit and the party groups in it, in a calendar year, newest first."""
    return list(session.scalars(_meetings_in(unit, year)))


def _held_between(spells, first: date, last: date) -> bool:
    """Whether one of the spells (start, end: instants, None where open) touches the days
    [first, last] of the organisation's calendar."""
    tz = org_timezone()
    return any(
        (start is None or start.astimezone(tz).date() <= last)
        and (end is None or first <= end.astimezone(tz).date())
        for start, end in spells
    )


def counted_attendance(session: Session, unit: Unit, year: int) -> list[MeetingAttendance]:
    """The attendance rows that hold their member to a meeting of the unit or a party group
    in it in a calendar year, in a fixed number of queries.

    A meeting's rows are its roster as recorded (meeting_roster: everyone expected, absences
    included), so they count as they stand: who belongs or sits on the committee later
    changes nothing. Except a 支委会 recorded with the whole branch, before a committee
    meeting expected only the committee. Since then each row of one is saved for a holder of
    the secretary's or a committee member's role in the branch, after the meeting; so a row of
    someone who held neither at any time from the meeting day on tells the old record. Of that
    meeting only the rows of those holding one from the day it was held to the day it was
    recorded count (the roles' grants and withdrawals, orgs.queries.role_terms). Not the
    meeting day alone: a role dates from the day it was entered in the platform, and a meeting
    held before is recorded afterwards, its committee holding their roles by then; who was
    given theirs after the record was made was not on that committee."""
    meetings = session.scalars(
        _meetings_in(unit, year).options(selectinload(Meeting.attendances))
    ).all()
    committee = [m for m in meetings if m.kind == MeetingKind.COMMITTEE and m.attendances]
    spells: dict[tuple[int, int], list] = defaultdict(list)
    for term in role_terms(
        session,
        {m.unit_id for m in committee},
        COMMITTEE_ROLES,
        {row.member_id for m in committee for row in m.attendances},
    ):
        spells[(term.unit_id, term.user_id)].append((term.start, term.end))
    tz = org_timezone()
    rows = []
    for meeting in meetings:
        kept = meeting.attendances
        if meeting in committee:
            held = {row.member_id: spells[(meeting.unit_id, row.member_id)] for row in kept}
            if not all(_held_between(s, meeting.held_on, date.max) for s in held.values()):
                recorded = max(meeting.held_on, meeting.created_at.astimezone(tz).date())
                kept = [
                    row
                    for row in kept
                    if _held_between(held[row.member_id], meeting.held_on, recorded)
                ]
        rows.extend(kept)
    return rows


def scoped_meeting(session: Session, user, meeting_id: int) -> Meeting | None:
    """The meeting if its unit lies in the user's managed subtrees."""
    return session.scalar(
        sa.select(Meeting)
        .join(Unit, Meeting.unit_id == Unit.id)
        .where(Meeting.id == meeting_id, unit_in_scope_clause(user, Unit.path))
    )


def attendance_by_member(meeting: Meeting) -> dict[int, MeetingAttendance]:
    return {row.member_id: row for row in meeting.attendances}


# ---- compliance calendar (三会一课 frequencies, DOMAIN.md) ----

MONTHLY = (MeetingKind.COMMITTEE, MeetingKind.GROUP, MeetingKind.THEMED_DAY)
QUARTERLY = (MeetingKind.GENERAL, MeetingKind.LECTURE)
YEARLY = (MeetingKind.LIFE_MEETING,)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _previous_month_start(day: date) -> date:
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


def _next_month_start(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Obligation:
    kind: MeetingKind
    unit: Unit  # the branch, or the party group for 党小组会
    period: str  # "month", "quarter" or "year"
    start: date
    end: date  # exclusive
    held: int
    is_current: bool

    @property
    def state(self) -> str:
        """done, due (current period, not yet held) or overdue (a past period missed)."""
        if self.held:
            return "done"
        return "due" if self.is_current else "overdue"


def _has_committee(session: Session, branch: Unit) -> bool:
    full = session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .join(Unit, User.unit_id == Unit.id)
        .where(
            within_path(Unit.path, branch.path),
            User.is_active.is_(True),
            User.category == MemberCategory.FULL,
        )
    )
    return full >= COMMITTEE_THRESHOLD


def calendar(session: Session, branch: Unit, today: date) -> list[Obligation]:
    """The branch's obligations in the current and the previous month and quarter, and the year.

    Monthly: 支委会 (when the branch has a committee), 党小组会 (per party group), 主题党日;
    quarterly: 支部党员大会, 党课; yearly: 组织生活会. One query counts the meetings held.
    """
    groups = [c for c in branch.children if c.kind == UnitKind.GROUP and c.is_active]
    month = date(today.year, today.month, 1)
    quarter = _quarter_start(today)
    windows = {
        "month": [
            (_previous_month_start(month), month, False),
            (month, _next_month_start(month), True),
        ],
        "quarter": [
            (_add_months(quarter, -3), quarter, False),
            (quarter, _add_months(quarter, 3), True),
        ],
        "year": [(date(today.year, 1, 1), date(today.year + 1, 1, 1), True)],
    }
    earliest = min(start for spans in windows.values() for start, _e, _c in spans)
    held = session.execute(
        sa.select(Meeting.unit_id, Meeting.kind, Meeting.held_on)
        .join(Unit, Meeting.unit_id == Unit.id)
        .where(within_path(Unit.path, branch.path), Meeting.held_on >= earliest)
    ).all()
    wanted: list[tuple[MeetingKind, Unit, str]] = []
    if _has_committee(session, branch):
        wanted.append((MeetingKind.COMMITTEE, branch, "month"))
    wanted += [(MeetingKind.GROUP, group, "month") for group in groups]
    wanted.append((MeetingKind.THEMED_DAY, branch, "month"))
    wanted += [(kind, branch, "quarter") for kind in QUARTERLY]
    wanted += [(kind, branch, "year") for kind in YEARLY]
    result = []
    for kind, unit, period in wanted:
        for start, end, current in windows[period]:
            count = sum(
                1
                for unit_id, held_kind, day in held
                if held_kind == kind
                and start <= day < end
                and (kind != MeetingKind.GROUP or unit_id == unit.id)
            )
            result.append(Obligation(kind, unit, period, start, end, count, current))
    return result


def open_obligations(session: Session, branch: Unit, today: date) -> list[Obligation]:
    return [item for item in calendar(session, branch, today) if item.state != "done"]


@dataclass(frozen=True)
class ObligationCounts:
    overdue: int  # 逾期未开: a past period's meeting not held
    due: int  # 本期应开: the current period's meeting not held yet


def obligation_counts(session: Session, branch: Unit, today: date) -> ObligationCounts:
    """How many of the branch's meetings are overdue and how many are due this period, apart:
    a meeting due this month is not late and must not be counted as such."""
    states = [item.state for item in open_obligations(session, branch, today)]
    return ObligationCounts(overdue=states.count("overdue"), due=states.count("due"))


def scoped_attachment(session: Session, user, attachment_id: int) -> MeetingAttachment | None:
    """An attachment of a meeting in the user's managed subtrees."""
    return session.scalar(
        sa.select(MeetingAttachment)
        .join(Meeting, MeetingAttachment.meeting_id == Meeting.id)
        .join(Unit, Meeting.unit_id == Unit.id)
        .where(MeetingAttachment.id == attachment_id, unit_in_scope_clause(user, Unit.path))
    )


def meeting_units(session: Session, user) -> list[Unit]:
    """Branches and party groups in the user's scope, where meetings are recorded."""
    return list(
        session.scalars(
            sa.select(Unit)
            .where(
                unit_in_scope_clause(user, Unit.path),
                Unit.is_active.is_(True),
                Unit.kind.in_([*BRANCH_KINDS, UnitKind.GROUP]),
            )
            .order_by(tree_order(Unit.path))
        )
    )


def branches_under(session: Session, unit: Unit, *, limit: int, offset: int = 0) -> list[Unit]:
    """The active branches of a subtree in tree order (the calendar of the units above)."""
    return list(
        session.scalars(
            sa.select(Unit)
            .where(
                within_path(Unit.path, unit.path),
                Unit.is_active.is_(True),
                Unit.kind.in_(BRANCH_KINDS),
            )
            .order_by(tree_order(Unit.path))
            .limit(limit)
            .offset(offset)
        )
    )


def branch_count_under(session: Session, unit: Unit) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Unit)
        .where(
            within_path(Unit.path, unit.path),
            Unit.is_active.is_(True),
            Unit.kind.in_(BRANCH_KINDS),
        )
    )
