from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from learnapp.authz import LOGGED_IN, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.forms import EmptyForm
from learnapp.notifications.queries import notifications_page, own_notification
from learnapp.notifications.services import mark_read

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@route_policy(LOGGED_IN)
def index():
    page = strict_int_arg("page") or 1
    rows, pages = notifications_page(get_session(), current_user.id, page)
    return render_template(
        "notifications/index.html",
        notifications=rows,
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
