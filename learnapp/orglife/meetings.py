"""The record of a meeting of organisational life (三会一课): its fields and study items, creating,
changing and deleting it, and its attachments. Attendance is attendance.py's; the hours it
earns, ledger.py's."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.hours.models import LedgerEntry
from learnapp.hours.services import org_day
from learnapp.orglife import files
from learnapp.orglife.checks import check_manager
from learnapp.orglife.ledger import (
    check_years_open,
    earliest_meeting_day,
    reverse_credit,
    sync_credits,
    taking_back,
)
from learnapp.orglife.models import (
    Attendance,
    Meeting,
    MeetingAttachment,
    MeetingKind,
    StudyItem,
)
from learnapp.orglife.queries import expected_members
from learnapp.orgs.models import UnitKind
from learnapp.text import check_text

MAX_STUDY_ITEMS = 10
MAX_ITEM_MINUTES = 8 * 60
MAX_ATTACHMENTS = 20


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


def meeting_kinds_for(unit) -> list[MeetingKind]:
    """The kinds of meeting recorded in `unit`: a party group holds 党小组会 only; a branch
    every other kind; units above record none themselves."""
    if unit.kind == UnitKind.GROUP:
        return [MeetingKind.GROUP]
    if unit.kind.is_branch:
        return [kind for kind in MeetingKind if kind != MeetingKind.GROUP]
    return []


def _check_fields(
    session: Session, unit, fields: MeetingFields, now: datetime, kept: frozenset = frozenset()
) -> None:
    """Refuse fields a meeting of `unit` cannot have. Host and recorder are members expected
    now, or the people in `kept`: those the record already names, whoever has moved since."""
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
    members = {m.id for m in expected_members(session, unit)} | kept
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


def recorded_people(meeting: Meeting) -> frozenset:
    """The ids of the host and recorder a meeting's record names: part of its history, so they
    stay on the record when they have moved to another unit or left since."""
    return frozenset(i for i in (meeting.host_id, meeting.recorder_id) if i is not None)


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
    check_manager(actor, unit)
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
    """Change a meeting's record; attendees' hours follow a change of the date or the study
    items, unless that would change hours in a closed year (ledger.check_years_open: refused
    on the date when it changed, else on the study items). The host and recorder it names stay
    valid after they move away (recorded_people). Once attendance is recorded, the type
    cannot cross between 支委会 and the meetings of the whole branch: the recorded roster was
    the one the first type expects."""
    check_manager(actor, meeting.unit)
    _check_fields(session, meeting.unit, fields, now, recorded_people(meeting))
    if meeting.attendances and (fields.kind == MeetingKind.COMMITTEE) != (
        meeting.kind == MeetingKind.COMMITTEE
    ):
        raise DomainError(
            "kind",
            _l(
                "Attendance is already recorded: a branch committee meeting and a meeting of "
                "the whole branch expect different members, so one cannot become the other. "
                "Delete this record and record the meeting again."
            ),
        )
    before = {"held_on": meeting.held_on.isoformat(), "study_seconds": meeting.study_seconds}
    field = "held_on" if fields.held_on != meeting.held_on else "study_items"
    _apply(meeting, fields)
    session.flush()
    sync_credits(session, actor, meeting, now, field=field)
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
    of the attachment files, for the caller to remove once the transaction has committed.
    Refused when the reversals would reach a closed year (ledger.check_years_open)."""
    check_manager(actor, meeting.unit)
    reason = check_text("reason", reason)
    if not reason:
        raise DomainError("reason", _l("Give the reason for deleting the record."))
    reason = reason[:200]
    standing = [
        (row, session.get(LedgerEntry, row.ledger_entry_id))
        for row in meeting.attendances
        if row.ledger_entry_id
    ]
    check_years_open(
        session, [taking_back(row.member, entry) for row, entry in standing], now, None
    )
    for row, entry in standing:
        row.ledger_entry_id = None
        session.flush()
        reverse_credit(session, actor, entry, reason, now)
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


def add_attachment(
    session: Session, actor, meeting: Meeting, filename: str, data: bytes, now: datetime
) -> MeetingAttachment:
    """Attach a PDF, JPEG or PNG (checked by content, at most 10 MB) to a meeting record."""
    check_manager(actor, meeting.unit)
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
