"""How organisational life reaches the 学时 ledger: only through hours' credit() and reversals.

Attendance at a meeting's study items credits 集体学习 to each member present; a later change of
attendance or of the study items reverses the standing entry and credits a new one, so the
ledger keeps the whole history. No change reaches a year closed to it (check_years_open).
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.errors import DomainError
from learnapp.hours.corrections import latest_freeze
from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry, SourceType
from learnapp.hours.queries import rules_for
from learnapp.hours.services import credit, org_day, reverse_checked
from learnapp.orglife.models import Attendance, Meeting

HOUR = Decimal("3600")
HALF_DAY = 4 * 3600  # a session of up to four hours is a half day at most


class Change(NamedTuple):
    """A change of a member's hours in `year`: hours credited, or taken back (negative) by
    reversing the entry `reverses`."""

    member: User
    year: int
    hours: Decimal
    reverses: LedgerEntry | None = None


def taking_back(member: User, entry: LedgerEntry) -> Change:
    """The change that reversing `entry`, one of `member`'s, makes."""
    return Change(member, entry.year, -entry.hours, entry)


def _first_recorded(session: Session, entry: LedgerEntry) -> datetime:
    """When the hours `entry` carries entered the ledger. A meeting's credit replaces the
    member's earlier credits from that meeting in that year (sync_credits), so its hours go
    back to the first of them, even one reversed since; any other entry stands alone."""
    if entry.source_type != SourceType.MEETING:
        return entry.created_at
    meeting_id = entry.source_id.partition(".")[0]
    return session.scalar(
        sa.select(sa.func.min(LedgerEntry.created_at)).where(
            LedgerEntry.member_id == entry.member_id,
            LedgerEntry.source_type == SourceType.MEETING,
            LedgerEntry.source_id.like(f"{meeting_id}.%"),
            LedgerEntry.year == entry.year,
            LedgerEntry.status == EntryStatus.CREDITED,
        )
    )


def earliest_meeting_day(today: date) -> date:
    """Meetings of the current and the previous year can be recorded (December's meeting in
    January); older ones would credit hours to a year long closed."""
    return date(today.year - 1, 1, 1)


def session_hours(seconds: int, rates: dict[str, Decimal]) -> Decimal:
    """学时 for an organised session of `seconds` on one day, by the rule set's conversion.

    The rate per hour applies, capped by the half-day figure for up to four hours of study and
    by the full-day figure beyond (a meeting is held on one day).
    """
    cap = rates["half_day"] if seconds <= HALF_DAY else rates["full_day"]
    return min(Decimal(seconds) / HOUR * rates["per_hour"], cap).quantize(Decimal("0.01"))


def check_years_open(
    session: Session, changes: list[Change], now: datetime, field: str | None
) -> None:
    """DomainError(field) unless every change reaches a year still open to it.

    A meeting of this year or last year can be recorded (earliest_meeting_day), so its hours
    change in those years only. Once evidence taken from a member's year has been frozen for
    their assessment (hours.corrections.latest_freeze, the rule closing entries to
    secretaries' corrections), hours the committee saw (first recorded up to the freeze) are
    not taken back, and a past year, judged as final, gets none added; the current year goes on
    earning, as it does from online study and approved claims, and hours first recorded after
    the freeze were never part of the evidence, so reversing them takes nothing back. A
    member's changes within one year are netted: a meeting moved within its year with the same
    hours changes no total.
    """
    by_key: dict[tuple[int, int], list[Change]] = defaultdict(list)
    for change in changes:
        by_key[(change.member.id, change.year)].append(change)
    today = org_day(now)
    frozen: dict[int, list[str]] = defaultdict(list)
    for (member_id, year), group in by_key.items():
        hours = sum((change.hours for change in group), Decimal(0))
        if not hours:
            continue
        if year < earliest_meeting_day(today).year:
            raise DomainError(
                field,
                _l(
                    "Study hours of %(year)s can no longer change: only meetings of this year "
                    "and last year can be recorded.",
                    year=year,
                ),
            )
        if hours > 0 and year >= today.year:
            continue
        freeze = latest_freeze(session, member_id, year)
        if freeze is None:
            continue
        # What the changes add, less what they take back of the hours the evidence holds.
        kept = sum(
            (
                change.hours
                for change in group
                if change.reverses is None
                or freeze.holds(_first_recorded(session, change.reverses))
            ),
            Decimal(0),
        )
        if kept < 0 or (hours > 0 and year < today.year):
            frozen[year].append(group[0].member.display_name)
    if frozen:
        year = min(frozen)
        raise DomainError(
            field,
            _l(
                "The evidence of %(names)s for %(year)s has been frozen for their assessment: "
                "this change would alter their study hours of that year.",
                names=format_list(frozen[year], locale=get_locale()),
                year=year,
            ),
        )


def reverse_credit(
    session: Session, actor, entry: LedgerEntry, reason: str, now: datetime
) -> LedgerEntry:
    """Cancel a meeting's credit with a reversing entry. Who may is who manages the meeting's
    unit (the caller's check): the meeting is theirs, also for an attendee who has since moved
    to a unit outside it, where hours.services.reverse_entry would refuse."""
    return reverse_checked(session, actor, entry, reason, now)


def sync_credits(
    session: Session, actor, meeting: Meeting, now: datetime, *, field: str | None = None
) -> int:
    """Bring attendees' 集体学习 entries in line with attendance and study items.

    Idempotent: an attendance whose standing entry already has the right hours is left alone.
    Otherwise the standing entry is reversed and, if hours are due, a new one credited under
    the attendance's next number (the ledger's unique key makes each credit happen once).
    Nothing is written unless every year reached is open (check_years_open, refused on
    `field`).
    """
    due = session_hours(meeting.study_seconds, rules_for(session, meeting.held_on).session_hours)
    plan = []
    for row in meeting.attendances:
        wanted = due if row.status == Attendance.PRESENT else 0
        standing = session.get(LedgerEntry, row.ledger_entry_id) if row.ledger_entry_id else None
        if (
            standing is not None
            and standing.nominal_hours == wanted
            and standing.credited_on == meeting.held_on
        ):
            continue
        if standing is None and not wanted:
            continue
        plan.append((row, standing, wanted))
    changes: list[Change] = []
    for row, standing, wanted in plan:
        if standing is not None:
            changes.append(taking_back(row.member, standing))
        if wanted:
            changes.append(Change(row.member, meeting.held_on.year, wanted))
    check_years_open(session, changes, now, field)
    added = 0
    for row, standing, wanted in plan:
        if standing is not None:
            reverse_credit(
                session, actor, standing, str(_l("Attendance or study items changed")), now
            )
            row.ledger_entry_id = None
        if wanted:
            row.credit_seq += 1
            entry = credit(
                session,
                row.member,
                HoursCategory.COLLECTIVE,
                SourceType.MEETING,
                f"{meeting.id}.{row.credit_seq}",
                wanted,
                meeting.study_seconds,
                now,
                day=meeting.held_on,
                approver=actor,
                note=meeting.title[:200],
            )
            row.ledger_entry_id = entry.id
            added += 1
    session.flush()
    return added
