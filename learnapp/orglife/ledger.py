"""How organisational life reaches the 学时 ledger: only through hours' credit() and reversals.

Attendance at a meeting's study items credits 集体学习 to each member present; a later change of
attendance or of the study items reverses the standing entry and credits a new one, so the
ledger keeps the whole history.
"""

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.hours.models import HoursCategory, LedgerEntry, SourceType
from learnapp.hours.queries import rules_for
from learnapp.hours.services import credit, reverse_entry
from learnapp.orglife.models import Attendance, Meeting

HOUR = Decimal("3600")
HALF_DAY = 4 * 3600  # a session of up to four hours is a half day at most


def session_hours(seconds: int, rates: dict[str, Decimal]) -> Decimal:
    """学时 for an organised session of `seconds` on one day, by the rule set's conversion.

    The rate per hour applies, capped by the half-day figure for up to four hours of study and
    by the full-day figure beyond (a meeting is held on one day).
    """
    cap = rates["half_day"] if seconds <= HALF_DAY else rates["full_day"]
    return min(Decimal(seconds) / HOUR * rates["per_hour"], cap).quantize(Decimal("0.01"))


def sync_credits(session: Session, actor, meeting: Meeting, now: datetime) -> int:
    """Bring attendees' 集体学习 entries in line with attendance and study items.

    Idempotent: an attendance whose standing entry already has the right hours is left alone.
    Otherwise the standing entry is reversed and, if hours are due, a new one credited under
    the attendance's next number (the ledger's unique key makes each credit happen once).
    """
    due = session_hours(meeting.study_seconds, rules_for(session, meeting.held_on).session_hours)
    added = 0
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
        if standing is not None:
            reverse_entry(
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
