from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.authz import LOGGED_IN, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.notifications.forms import SettingsForm
from learnapp.notifications.messages import render_all
from learnapp.notifications.preferences import kinds_for, mutable_kinds, muted_kinds, set_muted
from learnapp.notifications.queries import notifications_page, own_notification
from learnapp.notifications.services import mark_read

bp = Blueprint("notifications", __name__)
# Ids are 32-bit integers: a larger one in a URL names nothing (and would overflow SQLite's
# integer binding rather than miss).
MAX_ID = 2**31 - 1


@bp.url_value_preprocessor
def ids_in_range(endpoint, values) -> None:
    if (values or {}).get("notification_id", 0) > MAX_ID:
        abort(404)


@bp.get("/notifications")
@route_policy(LOGGED_IN)
def index():
    """The user's notifications, each rendered in the language they use now."""
    page = strict_int_arg("page") or 1
    session = get_session()
    rows, pages = notifications_page(session, current_user.id, page)
    return render_template(
        "notifications/index.html",
        entries=list(zip(rows, render_all(session, rows), strict=True)),
        page=min(page, pages),
        pages=pages,
        form=EmptyForm(),
    )


@bp.post("/notifications/<int:notification_id>/open")
@route_policy(LOGGED_IN)
def open_one(notification_id):
    """Mark one read and follow its link."""
    session = get_session()
    notification = own_notification(session, current_user.id, notification_id)
    if notification is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    mark_read(session, current_user, [notification.id], now())
    commit()
    return redirect(notification.link or url_for("notifications.index"))


@bp.post("/notifications/read-all")
@route_policy(LOGGED_IN)
def read_all():
    if not EmptyForm().validate_on_submit():
        abort(400)
    mark_read(get_session(), current_user, None, now())
    commit()
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def settings():
    """Mute or unmute the kinds that are not mandatory, among those that can reach the user."""
    session = get_session()
    kinds = mutable_kinds(current_user)
    form = SettingsForm()
    form.receive.choices = [SelectChoice(kind.key, kind.label) for kind in kinds]
    if request.method == "GET":
        muted = muted_kinds(session, current_user.id)
        form.receive.data = [kind.key for kind in kinds if kind.key not in muted]
    if form.validate_on_submit():
        try:
            set_muted(
                session,
                current_user,
                [kind.key for kind in kinds if kind.key not in (form.receive.data or [])],
                now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Notification settings saved."), "success")
            return redirect(url_for("notifications.settings"))
    mandatory = [kind for kind in kinds_for(current_user) if kind.mandatory]
    return render_template("notifications/settings.html", form=form, mandatory=mandatory), (
        400 if form.errors or form.form_errors else 200
    )
