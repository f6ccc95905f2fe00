from datetime import UTC, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import LOGGED_IN, MANAGER, can_manage_unit, route_policy
from learnapp.clock import now, org_timezone
from learnapp.db import commit, get_session
from learnapp.discussions.forms import AnnouncementForm
from learnapp.discussions.labels import RECEIPT_NOTE_LABELS
from learnapp.discussions.models import Announcement
from learnapp.discussions.queries import (
    announcements_by,
    announcements_for,
    can_see_announcement,
    receipts,
    reminded_today,
)
from learnapp.discussions.services.announcements import (
    mark_announcement_read,
    publish_announcement,
    receipts_table,
    remind_unread,
    withdraw_announcement,
)
from learnapp.discussions.views import bp
from learnapp.discussions.views.common import side_write
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.forms import unit_choices
from learnapp.orgs.models import Unit
from learnapp.orgs.queries import pickable_units
from learnapp.tabular import CSV_CONTENT_TYPE, csv_bytes, download


def _load(announcement_id: int) -> Announcement:
    announcement = get_session().get(Announcement, announcement_id)
    if announcement is None or not can_see_announcement(get_session(), current_user, announcement):
        abort(404)
    return announcement


@bp.get("/announcements")
@route_policy(LOGGED_IN)
def announcements():
    session = get_session()
    return render_template(
        "discussions/announcements.html",
        rows=announcements_for(session, current_user, now(), current_only=False),
        mine=announcements_by(session, current_user) if current_user.is_manager else [],
        now=now(),
    )


@bp.route("/announcements/new", methods=["GET", "POST"])
@route_policy(MANAGER)
def announcement_new():
    session = get_session()
    form = AnnouncementForm()
    form.unit_id.choices = unit_choices(pickable_units(session, current_user))
    if form.validate_on_submit():
        expires_at = None
        if form.expires_on.data:
            end = datetime.combine(form.expires_on.data, time.min, tzinfo=org_timezone())
            expires_at = (end + timedelta(days=1)).astimezone(UTC)
        try:
            announcement = publish_announcement(
                session,
                current_user,
                session.get(Unit, form.unit_id.data),
                title=form.title.data,
                body=form.body.data,
                expires_at=expires_at,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Announcement published."), "success")
            return redirect(
                url_for("discussions.announcement_detail", announcement_id=announcement.id)
            )
    return render_template("discussions/announcement_form.html", form=form), (
        400 if form.errors or form.form_errors else 200
    )


@bp.get("/announcements/<int:announcement_id>")
@route_policy(LOGGED_IN)
def announcement_detail(announcement_id):
    announcement = _load(announcement_id)
    user_id, stamp = current_user.id, now()
    if current_user.unit is not None and current_user.unit.is_within(announcement.unit):
        side_write(lambda s: mark_announcement_read(s, user_id, announcement.id, stamp))
    return render_template(
        "discussions/announcement.html",
        announcement=announcement,
        can_manage=announcement.author_id == current_user.id
        or can_manage_unit(current_user, announcement.unit),
        form=EmptyForm(),
    )


@bp.get("/announcements/<int:announcement_id>/receipts")
@route_policy(MANAGER)
def announcement_receipts(announcement_id):
    announcement = _load(announcement_id)
    session, stamp = get_session(), now()
    found = receipts(session, current_user, announcement, stamp)
    return render_template(
        "discussions/receipts.html",
        announcement=announcement,
        receipts=found,
        note_labels=RECEIPT_NOTE_LABELS,
        # Whom a reminder would reach: the unread, the manager themselves aside.
        remindable=sum(1 for receipt in found.unread if receipt.user.id != current_user.id),
        reminded_at=reminded_today(session, announcement, stamp),
        is_shown=announcement.is_current(stamp),
        form=EmptyForm(),
    )


@bp.post("/announcements/<int:announcement_id>/remind")
@route_policy(MANAGER)
def announcement_remind(announcement_id):
    announcement = _load(announcement_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        sent = remind_unread(get_session(), current_user, announcement, now())
    except DomainError as error:
        flash(error.message, "warning")
    else:
        commit()
        flash(
            ngettext(
                "%(num)d member who has not read it yet was reminded.",
                "%(num)d members who have not read it yet were reminded.",
                sent,
            ),
            "success",
        )
    return redirect(url_for("discussions.announcement_receipts", announcement_id=announcement.id))


@bp.get("/announcements/<int:announcement_id>/receipts.csv")
@route_policy(MANAGER)
def announcement_receipts_csv(announcement_id):
    announcement = _load(announcement_id)
    stamp = now()
    header, rows = receipts_table(get_session(), current_user, announcement, stamp)
    commit()
    title = _("Read receipts")
    filename = f"{title}-{announcement.id}-{format_datetime(stamp, 'yyyyMMdd-HHmm')}.csv"
    return download(
        b"".join(csv_bytes(header, rows)),
        content_type=CSV_CONTENT_TYPE,
        filename=filename,
        ascii_filename=f"read-receipts-{announcement.id}.csv",
    )


@bp.post("/announcements/<int:announcement_id>/withdraw")
@route_policy(MANAGER)
def announcement_withdraw(announcement_id):
    announcement = _load(announcement_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        withdraw_announcement(get_session(), current_user, announcement, now())
    except DomainError:
        abort(403)
    commit()
    flash(_("Announcement withdrawn."), "info")
    return redirect(url_for("discussions.announcements"))
