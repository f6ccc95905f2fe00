"""Attendance at a meeting: who was present, absent or on leave, among those expected. Marks
bring the attendees' 集体学习 hours in line through ledger.sync_credits."""

from datetime import datetime

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.hours.models import LedgerEntry, SourceType
from learnapp.hours.services import reverse_entry
from learnapp.orglife.checks import check_manager
from learnapp.orglife.ledger import sync_credits
from learnapp.orglife.models import Attendance, Meeting, MeetingAttendance
from learnapp.orglife.queries import meeting_expected
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

    Only the members expected at the meeting can be marked (for a 支委会 the branch committee,
    see queries.expected_members), each at most once per submission. A member marked before but
    not expected (status None) has the mark removed: nobody is credited for, or held to, a
    meeting they were not called to. Absences without a reason are refused together, naming
    the members (absent_without_reason). Members present are credited the meeting's study
    hours; a member no longer present has theirs reversed. Returns how many ledger entries were
    added. Audited.
    """
    check_manager(actor, meeting.unit)
    members = {m.id: m.display_name for m in meeting_expected(session, meeting)}
    existing = {row.member_id: row for row in meeting.attendances}
    seen: set[int] = set()
    for member_id, status, reason in marks:
        if member_id in seen:
            raise DomainError("attendance", _l("A member is listed twice."))
        seen.add(member_id)
        if status is None:
            if member_id in members or member_id not in existing:
                raise DomainError(
                    "attendance", _l("Only a member not expected at the meeting can be removed.")
                )
            continue
        if member_id not in members and member_id not in existing:
            raise DomainError("attendance", _l("Only the unit's members can be marked."))
        check_text("attendance", reason)
    missing = absent_without_reason(marks)
    if missing:
        names = {row.member_id: row.member.display_name for row in meeting.attendances}
        names.update(members)
        raise DomainError(
            "attendance",
            _l(
                "Give the reason for each absence. No reason was given for %(names)s.",
                names=format_list([names[i] for i in missing], locale=get_locale()),
            ),
        )
    removed = 0
    used = None
    for member_id, status, reason in marks:
        row = existing.get(member_id)
        if status is None:
            _remove_attendance(session, actor, meeting, row, now)
            removed += 1
            continue
        if row is None:
            if used is None:
                used = _used_credit_seqs(session, meeting)
            row = MeetingAttendance(
                member_id=member_id, status=status, credit_seq=used.get(member_id, 0)
            )
            meeting.attendances.append(row)
        row.status = status
        row.reason = (reason or "").strip()[:200] if status != Attendance.PRESENT else ""
    session.flush()
    added = sync_credits(session, actor, meeting, now)
    record(
        session,
        actor,
        "orglife.attendance_set",
        "meeting",
        meeting.id,
        now=now,
        after={
            "present": sum(1 for _m, s, _r in marks if s == Attendance.PRESENT),
            "marked": len(marks) - removed,
            "removed": removed,
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
    session: Session, actor, meeting: Meeting, row: MeetingAttendance, now: datetime
) -> None:
    """Drop a mark of someone not expected; hours it earned are reversed, never deleted."""
    if row.ledger_entry_id:
        standing = session.get(LedgerEntry, row.ledger_entry_id)
        row.ledger_entry_id = None
        session.flush()
        reverse_entry(session, actor, standing, str(_l("Not expected at the meeting")), now)
    meeting.attendances.remove(row)
    session.flush()
