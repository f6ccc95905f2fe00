import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import ADMIN, LOGGED_IN, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.discussions.forms import ComplaintForm, MessageForm
from learnapp.discussions.models import Complaint
from learnapp.discussions.services.feedback import add_message, submit_complaint
from learnapp.discussions.views import bp
from learnapp.discussions.views.common import form_status
from learnapp.errors import DomainError, apply_domain_error


@bp.route("/feedback", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def feedback():
    session = get_session()
    form = ComplaintForm()
    error = None
    if form.validate_on_submit():
        try:
            complaint = submit_complaint(
                session, current_user, subject=form.subject.data, body=form.body.data, now=now()
            )
        except DomainError as caught:
            error = caught
            apply_domain_error(form, caught)
        else:
            commit()
            flash(_("Sent. The administrators will reply here."), "success")
            return redirect(url_for("discussions.feedback_detail", complaint_id=complaint.id))
    mine = session.scalars(
        sa.select(Complaint)
        .where(Complaint.author_id == current_user.id)
        .order_by(Complaint.updated_at.desc())
    ).all()
    return render_template("discussions/feedback.html", form=form, complaints=mine), form_status(
        form, error
    )


def _conversation(complaint: Complaint, template_admin: bool):
    form = MessageForm()
    error = None
    if form.validate_on_submit():
        try:
            add_message(get_session(), current_user, complaint, body=form.body.data, now=now())
        except DomainError as caught:
            error = caught
            apply_domain_error(form, caught)
        else:
            commit()
            flash(_("Message sent."), "success")
            return redirect(request.path)
    return render_template(
        "discussions/feedback_detail.html", complaint=complaint, form=form, admin=template_admin
    ), form_status(form, error)


@bp.route("/feedback/<int:complaint_id>", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def feedback_detail(complaint_id):
    complaint = get_session().get(Complaint, complaint_id)
    if complaint is None or complaint.author_id != current_user.id:
        abort(404)
    return _conversation(complaint, False)


@bp.get("/admin/feedback")
@route_policy(ADMIN)
def feedback_admin():
    complaints = (
        get_session()
        .scalars(
            sa.select(Complaint)
            .order_by(Complaint.is_answered, Complaint.updated_at.desc())
            .limit(200)
        )
        .all()
    )
    return render_template("discussions/feedback_admin.html", complaints=complaints)


@bp.route("/admin/feedback/<int:complaint_id>", methods=["GET", "POST"])
@route_policy(ADMIN)
def feedback_admin_detail(complaint_id):
    complaint = get_session().get(Complaint, complaint_id)
    if complaint is None:
        abort(404)
    return _conversation(complaint, True)
