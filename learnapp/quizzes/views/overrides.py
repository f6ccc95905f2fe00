"""Members' own terms for a quiz (E3, 个别延期与补考): the list of overrides of a quiz, granting
one, withdrawing one. Whoever manages the quiz, for members of its audience in their own
subtree, found by name or user name."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import MANAGER, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.quizzes import overrides as override_services
from learnapp.quizzes.forms import OverrideForm
from learnapp.quizzes.models import QuizKind
from learnapp.quizzes.views import bp
from learnapp.quizzes.views.manage import quiz_or_404


def _page(quiz, form, status=200):
    daily = quiz.kind == QuizKind.DAILY
    return (
        render_template(
            "quizzes/overrides.html",
            quiz=quiz,
            form=form,
            remove_form=EmptyForm(),
            daily=daily,
            suggestions=[]
            if daily
            else override_services.suggestions(get_session(), current_user, quiz),
        ),
        status,
    )


@bp.route("/manage/<int:quiz_id>/overrides", methods=["GET", "POST"])
@route_policy(MANAGER)
def overrides(quiz_id):
    found = quiz_or_404(quiz_id)
    form = OverrideForm()
    if request.method == "GET":
        return _page(found, form)
    if not form.validate_on_submit():
        return _page(found, form, 400)
    session = get_session()
    terms = override_services.OverrideInput(
        closes_at=form.aware(form.closes_at),
        duration_seconds=form.duration_minutes.data * 60 if form.duration_minutes.data else None,
        attempts_allowed=form.attempts_allowed.data,
        reason=form.reason.data,
    )
    try:
        member = override_services.find_member(session, current_user, found, form.username.data)
        override_services.save_override(session, current_user, found, member, terms, now())
    except DomainError as error:
        session.rollback()
        apply_domain_error(form, error)
        return _page(found, form, 400)
    commit()
    flash(_("The member's terms are saved: %(name)s.", name=member.display_name), "success")
    return redirect(url_for("quizzes.overrides", quiz_id=found.id))


@bp.post("/manage/<int:quiz_id>/overrides/<int:override_id>/delete")
@route_policy(MANAGER)
def remove_override(quiz_id, override_id):
    found = quiz_or_404(quiz_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    if not override_services.remove_override(session, current_user, found, override_id, now()):
        abort(404)
    commit()
    flash(_("The member is back on the quiz's terms."), "success")
    return redirect(url_for("quizzes.overrides", quiz_id=found.id))
