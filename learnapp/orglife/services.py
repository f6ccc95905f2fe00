"""Use cases of organisational life: record a meeting, its attendance, and the hours it earns.

Attendance at a meeting's study items credits 集体学习 to each member present, through the
ledger's credit(); a later change of attendance or of the study items reverses the standing
entry and credits a new one, so the ledger keeps the whole history.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.hours.models import HoursCategory, LedgerEntry, SourceType
from learnapp.hours.queries import rules_for
from learnapp.hours.services import credit, org_day, reverse_entry
from learnapp.orglife import files
from learnapp.orglife.ledger import session_hours
from learnapp.orglife.models import (
    Attendance,
    Meeting,
    MeetingAttachment,
    MeetingAttendance,
    MeetingKind,
    StudyItem,
)
from learnapp.orglife.queries import expected_members, meeting_expected
from learnapp.orgs.models import UnitKind

MAX_STUDY_ITEMS = 10
MAX_ITEM_MINUTES = 8 * 60
MAX_ATTACHMENTS = 20
# Control characters other than tab and line breaks: never typed, and PostgreSQL refuses NUL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class MeetingFields:
    kind: MeetingKind
    title: str
    held_on: date
    place: str = ""
    host_id: int | None = None
    recorder_id: int | None = None
    observers: str = ""  # 列席人员: people attending without being expected, as written
    agenda: str = ""
    notes: str = ""
    resolutions: str = ""
    vote_subject: str = ""
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
    study_items: tuple[tuple[str, int], ...] = ()  # (title, minutes)


def check_text(field: str, value: str | None) -> str:
    """`value` without surrounding spaces; DomainError on `field` if it holds control characters."""
    value = (value or "").strip()
    if CONTROL.search(value):
        raise DomainError(field, _l("The text contains control characters; please retype it."))
    return value


def earliest_meeting_day(today: date) -> date:
    """Meetings of the current and the previous year can be recorded (December's meeting in
    January); older ones would credit hours to a year long closed."""
    return date(today.year - 1, 1, 1)


def _check_manager(actor, unit) -> None:
    if actor is None or not can_manage_unit(actor, unit):
        raise DomainError(None, _l("This unit is outside your organisation."))


def meeting_kinds_for(unit) -> list[MeetingKind]:
    """The kinds of meeting recorded in `unit`: a party group holds 党小组会 only; a branch
    every other kind; units above record none themselves."""
    if unit.kind == UnitKind.GROUP:
        return [MeetingKind.GROUP]
    if unit.kind.is_branch:
        return [kind for kind in MeetingKind if kind != MeetingKind.GROUP]
    return []


def _check_fields(session: Session, unit, fields: MeetingFields, now: datetime) -> None:
    if fields.kind not in meeting_kinds_for(unit):
        if fields.kind == MeetingKind.GROUP:
            raise DomainError("kind", _l("A party group meeting is recorded in the party group."))
        raise DomainError("kind", _l("This kind of meeting is recorded in a branch."))
    for name in ("title", "place", "observers", "agenda", "notes", "resolutions", "vote_subject"):
        check_text(name, getattr(fields, name))
    if not (fields.title or "").strip():
        raise DomainError("title", _l("A title is required."))
    today = org_day(now)
    if fields.held_on > today:
        raise DomainError("held_on", _l("The date cannot be in the future."))
    if fields.held_on < earliest_meeting_day(today):
        raise DomainError(
            "held_on", _l("Only meetings of this year and last year can be recorded.")
        )
    members = {m.id for m in expected_members(session, unit)}
    for name in ("host_id", "recorder_id"):
        person = getattr(fields, name)
        if person is not None and person not in members:
            raise DomainError(name, _l("Choose a member of this unit."))
    for name in ("votes_for", "votes_against", "votes_abstain"):
        value = getattr(fields, name)
        if value is not None and not 0 <= value <= 10_000:
            raise DomainError(name, _l("Not a number of votes."))
    if len(fields.study_items) > MAX_STUDY_ITEMS:
        raise DomainError("study_items", _l("At most 10 study items."))
    for title, minutes in fields.study_items:
        check_text("study_items", title)
        if (
            not title.strip()
            or not isinstance(minutes, int)
            or not 1 <= minutes <= MAX_ITEM_MINUTES
        ):
            raise DomainError(
                "study_items", _l("Each study item needs a title and 1 to 480 minutes.")
            )


def _apply(meeting: Meeting, fields: MeetingFields) -> None:
    meeting.kind = fields.kind
    meeting.title = fields.title.strip()[:200]
    meeting.held_on = fields.held_on
    meeting.place = (fields.place or "").strip()[:200]
    meeting.host_id = fields.host_id
    meeting.recorder_id = fields.recorder_id
    meeting.observers = (fields.observers or "").strip()
    meeting.agenda = fields.agenda or ""
    meeting.notes = fields.notes or ""
    meeting.resolutions = fields.resolutions or ""
    meeting.vote_subject = (fields.vote_subject or "").strip()[:200]
    meeting.votes_for = fields.votes_for
    meeting.votes_against = fields.votes_against
    meeting.votes_abstain = fields.votes_abstain
    meeting.study_items = [
        StudyItem(title=title.strip()[:200], duration_seconds=minutes * 60)
        for title, minutes in fields.study_items
    ]


def create_meeting(session: Session, actor, unit, fields: MeetingFields, now: datetime) -> Meeting:
    """Record a meeting of `unit`: a branch (a party group for 党小组会) the actor manages, held
    today or earlier. Audited."""
    _check_manager(actor, unit)
    _check_fields(session, unit, fields, now)
    meeting = Meeting(unit_id=unit.id, created_by_id=actor.id, created_at=now)
    meeting.unit = unit
    _apply(meeting, fields)
    session.add(meeting)
    session.flush()
    record(
        session,
        actor,
        "orglife.meeting_created",
        "meeting",
        meeting.id,
        now=now,
        after={"kind": meeting.kind.value, "held_on": meeting.held_on.isoformat()},
    )
    return meeting


def update_meeting(
    session: Session, actor, meeting: Meeting, fields: MeetingFields, now: datetime
) -> Meeting:
    """Change a meeting's record; attendees' hours follow a change of the study items."""
    _check_manager(actor, meeting.unit)
    _check_fields(session, meeting.unit, fields, now)
    before = {"held_on": meeting.held_on.isoformat(), "study_seconds": meeting.study_seconds}
    _apply(meeting, fields)
    session.flush()
    sync_credits(session, actor, meeting, now)
    record(
        session,
        actor,
        "orglife.meeting_updated",
        "meeting",
        meeting.id,
        now=now,
        before=before,
        after={"held_on": meeting.held_on.isoformat(), "study_seconds": meeting.study_seconds},
    )
    return meeting


def delete_meeting(session: Session, actor, meeting: Meeting, reason: str, now: datetime) -> list:
    """Remove a meeting recorded in error, with the reason. Attendees' 集体学习 hours from it are
    reversed in the ledger (entries are never deleted), then the record, its attendance, study
    items and attachment rows go; the audit log keeps what was removed. Returns the stored names
    of the attachment files, for the caller to remove once the transaction has committed."""
    _check_manager(actor, meeting.unit)
    reason = check_text("reason", reason)
    if not reason:
        raise DomainError("reason", _l("Give the reason for deleting the record."))
    reason = reason[:200]
    for row in meeting.attendances:
        if row.ledger_entry_id:
            standing = session.get(LedgerEntry, row.ledger_entry_id)
            row.ledger_entry_id = None
            session.flush()
            reverse_entry(session, actor, standing, reason, now)
    stored = [attachment.stored_name for attachment in meeting.attachments]
    record(
        session,
        actor,
        "orglife.meeting_deleted",
        "meeting",
        meeting.id,
        now=now,
        before={
            "unit": meeting.unit_id,
            "kind": meeting.kind.value,
            "title": meeting.title,
            "held_on": meeting.held_on.isoformat(),
            "present": sum(1 for row in meeting.attendances if row.status == Attendance.PRESENT),
            "attachments": len(stored),
        },
        after={"reason": reason},
    )
    session.delete(meeting)
    session.flush()
    return stored


def set_attendance(
    session: Session,
    actor,
    meeting: Meeting,
    marks: list[tuple[int, Attendance | None, str]],
    now: datetime,
) -> int:
    """Record who was present, absent (a reason is required) or on leave.

    Only the members expected at the meeting can be marked (for a 支委会 the branch committee,
    see queries.expected_members), each at most once per submission. A member marked before but
    not expected (status None) has the mark removed: nobody is credited for, or held to, a
    meeting they were not called to. Members present are credited the meeting's study hours; a
    member no longer present has theirs reversed. Returns how many ledger entries were added.
    Audited.
    """
    _check_manager(actor, meeting.unit)
    members = {m.id for m in meeting_expected(session, meeting)}
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
        if status == Attendance.ABSENT and not (reason or "").strip():
            raise DomainError("attendance", _l("Give the reason for each absence."))
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


def add_attachment(
    session: Session, actor, meeting: Meeting, filename: str, data: bytes, now: datetime
) -> MeetingAttachment:
    """Attach a PDF, JPEG or PNG (checked by content, at most 10 MB) to a meeting record."""
    _check_manager(actor, meeting.unit)
    if len(meeting.attachments) >= MAX_ATTACHMENTS:
        raise DomainError("file", _l("At most 20 attachments per meeting."))
    content_type = files.check_file(data)
    attachment = MeetingAttachment(
        stored_name=files.store(data),
        display_name=files.clean_display_name(filename, content_type),
        content_type=content_type,
        size_bytes=len(data),
        uploaded_by_id=actor.id,
        created_at=now,
    )
    meeting.attachments.append(attachment)
    session.flush()
    record(
        session,
        actor,
        "orglife.attachment_added",
        "meeting",
        meeting.id,
        now=now,
        after={"attachment_id": attachment.id, "name": attachment.display_name},
    )
    return attachment
