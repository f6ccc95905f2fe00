"""Attendance at a meeting: who was present, absent or on leave, among those expected (the
meeting's roster, fixed by the recorded rows once attendance is recorded). Marks bring the
attendees' 集体学习 hours in line through ledger.sync_credits."""

from datetime import datetime

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.hours.models import LedgerEntry, SourceType
from learnapp.orglife.checks import check_manager
from learnapp.orglife.ledger import check_years_open, reverse_credit, sync_credits, taking_back
from learnapp.orglife.models import Attendance, Meeting, MeetingAttendance
from learnapp.orglife.queries import meeting_roster
from learnapp.text import check_text

Mark = tuple[int, Attendance | None, str]


def absent_without_reason(marks: list[Mark]) -> list[int]:
    """The members marked absent with no reason given, in the order of `marks`."""
    return [
        member_id
        for member_id, status, reason in marks
        if status == Attendance.ABSENT and not (reason or "").strip()
    ]


def set_attendance(
    session: Session,
    actor,
    meeting: Meeting,
    marks: list[Mark],
    now: datetime,
) -> int:
    """Record who was present, absent (a reason is required) or on leave.

    Only the members on the meeting's roster (queries.meeting_roster: once attendance is
    recorded, those holding a row, and the members expected now who do not) can be marked,
    each at most once per submission. Status None leaves a member unrecorded: a mark they had
    is removed as made in error, reversing any hours it earned; without a mark nothing is
    stored. Absences without a reason are refused together, naming the members
    (absent_without_reason). Members present are credited the meeting's study hours; a member
    no longer present has theirs reversed; no change reaches a closed year
    (ledger.check_years_open). Returns how many ledger entries were added. Audited.
    """
    check_manager(actor, meeting.unit)
    roster = meeting_roster(session, meeting)
    people = {m.id: m for m in roster.members + roster.newcomers}
    existing = {row.member_id: row for row in meeting.attendances}
    seen: set[int] = set()
    for member_id, status, reason in marks:
        if member_id in seen:
            raise DomainError("attendance", _l("A member is listed twice."))
        seen.add(member_id)
        if member_id not in people:
            raise DomainError("attendance", _l("Only the unit's members can be marked."))
        if status is not None:
            check_text("attendance", reason)
    missing = absent_without_reason(marks)
    if missing:
        raise DomainError(
            "attendance",
            _l(
                "Give the reason for each absence. No reason was given for %(names)s.",
                names=format_list([people[i].display_name for i in missing], locale=get_locale()),
            ),
        )
    dropped = [
        existing[member_id]
        for member_id, status, _reason in marks
        if status is None and member_id in existing
    ]
    standing = {
        row.member_id: session.get(LedgerEntry, row.ledger_entry_id)
        for row in dropped
        if row.ledger_entry_id
    }
    check_years_open(
        session,
        [taking_back(people[i], entry) for i, entry in standing.items()],
        now,
        "attendance",
    )
    for row in dropped:
        _remove_attendance(session, actor, meeting, row, standing.get(row.member_id), now)
    used = None
    for member_id, status, reason in marks:
        if status is None:
            continue
        row = existing.get(member_id)
        if row is None:
            if used is None:
                used = _used_credit_seqs(session, meeting)
            row = MeetingAttendance(
                member_id=member_id,
                status=status,
                category=people[member_id].category,
                credit_seq=used.get(member_id, 0),
            )
            meeting.attendances.append(row)
        row.status = status
        row.reason = (reason or "").strip()[:200] if status != Attendance.PRESENT else ""
    session.flush()
    added = sync_credits(session, actor, meeting, now, field="attendance")
    record(
        session,
        actor,
        "orglife.attendance_set",
        "meeting",
        meeting.id,
        now=now,
        after={
            "present": sum(1 for _m, s, _r in marks if s == Attendance.PRESENT),
            "marked": sum(1 for _m, s, _r in marks if s is not None),
            "removed": len(dropped),
        },
    )
    return added


def _used_credit_seqs(session: Session, meeting: Meeting) -> dict[int, int]:
    """The last credit number each member was given for the meeting, for a member whose mark
    was removed and is marked again (each credit's key is used once)."""
    used: dict[int, int] = {}
    rows = session.execute(
        sa.select(LedgerEntry.member_id, LedgerEntry.source_id).where(
            LedgerEntry.source_type == SourceType.MEETING,
            LedgerEntry.source_id.like(f"{meeting.id}.%"),
        )
    )
    for member_id, source_id in rows:
        _meeting, _dot, seq = source_id.partition(".")
        if _meeting == str(meeting.id) and seq.isdigit():
            used[member_id] = max(used.get(member_id, 0), int(seq))
    return used


def _remove_attendance(
    session: Session,
    actor,
    meeting: Meeting,
    row: MeetingAttendance,
    standing: LedgerEntry | None,
    now: datetime,
) -> None:
    """Drop a mark made in error; hours it earned (`standing`) are reversed, never deleted."""
    if standing is not None:
        row.ledger_entry_id = None
        session.flush()
        reverse_credit(session, actor, standing, str(_l("Attendance marked in error")), now)
    meeting.attendances.remove(row)
    session.flush()
