"""Meeting pages: a manager's units and meetings, the meeting form, attendance and attachments."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.accounts.models import User
from learnapp.authz import MANAGER, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.hours.services import org_day
from learnapp.orglife import files
from learnapp.orglife.attendance import absent_without_reason, set_attendance
from learnapp.orglife.forms import STUDY_ITEM_ROWS, AttachmentForm, MeetingForm
from learnapp.orglife.labels import meeting_kind_label
from learnapp.orglife.meetings import (
    MeetingFields,
    add_attachment,
    create_meeting,
    delete_meeting,
    earliest_meeting_day,
    meeting_kinds_for,
    update_meeting,
)
from learnapp.orglife.models import Attendance, MeetingKind
from learnapp.orglife.queries import (
    attendance_by_member,
    calendar,
    expected_members,
    meeting_roster,
    meeting_units,
    meetings_of,
    quorum,
    scoped_attachment,
    scoped_meeting,
)
from learnapp.orglife.views import bp, send_stored, unit_or_404
from learnapp.orgs.models import UnitKind

# The attendance form's status for a member left unrecorded: a mark they had is removed.
REMOVE = "remove"


def _meeting(meeting_id: int):
    meeting = scoped_meeting(get_session(), current_user, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _year() -> int:
    today = org_day(now())
    year = strict_int_arg("year") or today.year
    if not today.year - 5 <= year <= today.year:
        abort(404)
    return year


@bp.get("/meetings")
@route_policy(MANAGER)
def meetings_home():
    """The units where the user records meetings; one unit goes straight to its meetings."""
    units = meeting_units(get_session(), current_user)
    branches = [u for u in units if u.kind.is_branch]
    above = [
        u
        for u in current_user.managed_units
        if u.is_active and not u.kind.is_branch and u.kind != UnitKind.GROUP
    ]
    if len(branches) == 1 and not above:
        return redirect(url_for("orglife.meetings", unit_id=branches[0].id))
    return render_template("orglife/units.html", units=units, above=above)


@bp.get("/units/<int:unit_id>/meetings")
@route_policy(MANAGER)
def meetings(unit_id):
    session = get_session()
    unit = unit_or_404(unit_id)
    year = _year()
    today = org_day(now())
    return render_template(
        "orglife/meetings.html",
        unit=unit,
        year=year,
        today=today,
        meetings=meetings_of(session, unit, year),
        obligations=calendar(session, unit, today) if unit.kind.is_branch else [],
    )


def _kind_choices(form: MeetingForm, unit) -> None:
    """Only the kinds the unit records: a branch is not offered 党小组会, nor a group the
    branch's meetings."""
    form.kind.choices = [
        SelectChoice(kind.value, meeting_kind_label(kind)) for kind in meeting_kinds_for(unit)
    ]


def _person_choices(form: MeetingForm, members: list[User]) -> None:
    choices = [SelectChoice(0, "—")] + [SelectChoice(m.id, m.display_name) for m in members]
    form.host_id.choices = choices
    form.recorder_id.choices = list(choices)


def _fields(form: MeetingForm) -> MeetingFields:
    items = tuple(
        (row.form.title.data.strip(), row.form.minutes.data)
        for row in form.study_items
        if (row.form.title.data or "").strip() or row.form.minutes.data
    )
    return MeetingFields(
        kind=MeetingKind(form.kind.data),
        title=form.title.data,
        held_on=form.held_on.data,
        place=form.place.data,
        host_id=form.host_id.data or None,
        recorder_id=form.recorder_id.data or None,
        observers=form.observers.data,
        agenda=form.agenda.data,
        notes=form.notes.data,
        resolutions=form.resolutions.data,
        vote_subject=form.vote_subject.data,
        votes_for=form.votes_for.data,
        votes_against=form.votes_against.data,
        votes_abstain=form.votes_abstain.data,
        study_items=tuple((title, minutes or 0) for title, minutes in items),
    )


@bp.route("/units/<int:unit_id>/meetings/new", methods=["GET", "POST"])
@route_policy(MANAGER)
def meeting_new(unit_id):
    session = get_session()
    unit = unit_or_404(unit_id)
    form = MeetingForm()
    _kind_choices(form, unit)
    _person_choices(form, expected_members(session, unit))
    if request.method == "GET":
        form.held_on.data = org_day(now())
        kind = request.args.get("kind", "")
        if kind in {str(k) for k in meeting_kinds_for(unit)}:
            form.kind.data = kind
        elif unit.kind == UnitKind.GROUP:
            form.kind.data = MeetingKind.GROUP.value
    if form.validate_on_submit():
        try:
            meeting = create_meeting(session, current_user, unit, _fields(form), now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Meeting recorded. Now mark the attendance."), "success")
            return redirect(url_for("orglife.meeting_detail", meeting_id=meeting.id))
    return render_template(
        "orglife/meeting_form.html",
        form=form,
        unit=unit,
        meeting=None,
        today=org_day(now()),
        earliest=earliest_meeting_day(org_day(now())),
    ), 400 if form.errors else 200


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@route_policy(MANAGER)
def meeting_edit(meeting_id):
    session = get_session()
    meeting = _meeting(meeting_id)
    form = MeetingForm(obj=meeting)
    _kind_choices(form, meeting.unit)
    people = expected_members(session, meeting.unit)
    # A host or recorder who has moved away since stays on the record, and so in the choices.
    for person in (meeting.host, meeting.recorder):
        if person is not None and person not in people:
            people.append(person)
    _person_choices(form, people)
    if request.method == "GET":
        form.kind.data = meeting.kind.value
        form.host_id.data = meeting.host_id or 0
        form.recorder_id.data = meeting.recorder_id or 0
        while len(form.study_items) > 0:
            form.study_items.pop_entry()
        for item in meeting.study_items:
            form.study_items.append_entry(
                {"title": item.title, "minutes": item.duration_seconds // 60}
            )
        while len(form.study_items) < STUDY_ITEM_ROWS:
            form.study_items.append_entry()
    if form.validate_on_submit():
        try:
            update_meeting(session, current_user, meeting, _fields(form), now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Meeting saved."), "success")
            return redirect(url_for("orglife.meeting_detail", meeting_id=meeting.id))
    return render_template(
        "orglife/meeting_form.html",
        form=form,
        unit=meeting.unit,
        meeting=meeting,
        today=org_day(now()),
        earliest=earliest_meeting_day(org_day(now())),
    ), 400 if form.errors else 200


def _detail(
    meeting,
    *,
    attachment_form=None,
    attendance_error=None,
    submitted=None,
    missing_reason=(),
    delete_error=None,
    status=200,
):
    """The meeting page. After a refused attendance, `submitted` ({member id: (status, reason)})
    shows every choice as it was made, and the rows in `missing_reason` ask for a reason."""
    session = get_session()
    counts_vote = meeting.kind == MeetingKind.GENERAL or meeting.records_vote
    return render_template(
        "orglife/meeting_detail.html",
        meeting=meeting,
        roster=meeting_roster(session, meeting),
        marks=attendance_by_member(meeting),
        quorum=quorum(session, meeting) if counts_vote else None,
        form=EmptyForm(),
        attachment_form=attachment_form or AttachmentForm(),
        attendance_error=attendance_error,
        submitted=submitted or {},
        missing_reason=set(missing_reason),
        delete_error=delete_error,
        statuses=list(Attendance),
        remove=REMOVE,
    ), status


@bp.get("/meetings/<int:meeting_id>")
@route_policy(MANAGER)
def meeting_detail(meeting_id):
    return _detail(_meeting(meeting_id))


@bp.post("/meetings/<int:meeting_id>/delete")
@route_policy(MANAGER)
def meeting_delete(meeting_id):
    session = get_session()
    meeting = _meeting(meeting_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    unit_id = meeting.unit_id
    try:
        stored = delete_meeting(
            session, current_user, meeting, request.form.get("reason", ""), now()
        )
    except DomainError as error:
        session.rollback()
        return _detail(_meeting(meeting_id), delete_error=error.message, status=400)
    commit()
    files.remove(stored)
    flash(_("The meeting record was deleted; its study hours were reversed."), "success")
    return redirect(url_for("orglife.meetings", unit_id=unit_id))


@bp.post("/meetings/<int:meeting_id>/attendance")
@route_policy(MANAGER)
def meeting_attendance(meeting_id):
    session = get_session()
    meeting = _meeting(meeting_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    members = request.form.getlist("member")
    if not all(raw.isdigit() for raw in members):
        abort(400)
    # As submitted, so that a refused form comes back with every choice and reason in it.
    submitted = {
        int(raw): (request.form.get(f"status-{raw}", ""), request.form.get(f"reason-{raw}", ""))
        for raw in members
    }
    marks = []
    for raw in members:
        status, reason = submitted[int(raw)]
        if status == REMOVE:
            marks.append((int(raw), None, ""))
            continue
        if status not in set(Attendance):
            return _detail(
                meeting,
                attendance_error=_("Choose present, absent or on leave."),
                submitted=submitted,
                status=400,
            )
        marks.append((int(raw), Attendance(status), reason))
    try:
        added = set_attendance(session, current_user, meeting, marks, now())
    except DomainError as error:
        session.rollback()
        return _detail(
            _meeting(meeting_id),
            attendance_error=error.message,
            submitted=submitted,
            missing_reason=absent_without_reason(marks),
            status=400,
        )
    commit()
    flash(_("Attendance saved; %(n)d study-hour entries added.", n=added), "success")
    return redirect(url_for("orglife.meeting_detail", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/attachments")
@route_policy(MANAGER)
def meeting_attachment(meeting_id):
    meeting = _meeting(meeting_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            add_attachment(
                get_session(), current_user, meeting, upload.filename or "", upload.read(), now()
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Attachment added."), "success")
            return redirect(url_for("orglife.meeting_detail", meeting_id=meeting.id))
    return _detail(meeting, attachment_form=form, status=400)


@bp.get("/attachments/<int:attachment_id>")
@route_policy(MANAGER)
def attachment(attachment_id):
    found = scoped_attachment(get_session(), current_user, attachment_id)
    if found is None:
        abort(404)
    return send_stored(
        found.stored_name, found.content_type, found.display_name, f"attachment-{found.id}"
    )
