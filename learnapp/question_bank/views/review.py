"""The reviewer's pages: a bank's review queue, approving a question or sending it back."""

from functools import partial

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import BANK_REVIEWER, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError
from learnapp.forms import EmptyForm
from learnapp.question_bank import queries, services
from learnapp.question_bank.forms import RejectForm, opened_revision
from learnapp.question_bank.views import bank_or_404, bp, question_or_404, status_action


@bp.get("/<int:bank_id>/review")
@route_policy(BANK_REVIEWER)
def review_queue(bank_id):
    bank = bank_or_404(bank_id)
    return render_template(
        "question_bank/review.html",
        bank=bank,
        questions=queries.review_queue(get_session(), bank),
        may_approve=lambda question: services.may_approve(current_user, question),
        action_form=EmptyForm(),
        reject_form=RejectForm(),
    )


@bp.post("/questions/<int:question_id>/approve")
@route_policy(BANK_REVIEWER)
def question_approve(question_id):
    # The page's approve button carries the revision the reviewer read.
    approve = partial(
        services.approve_question, revision=opened_revision(request.form.get("revision"))
    )
    return status_action(question_id, approve, _("Approved: now active."), back=_back)


@bp.post("/questions/<int:question_id>/reject")
@route_policy(BANK_REVIEWER)
def question_reject(question_id):
    question = question_or_404(question_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            services.reject_question(get_session(), current_user, question, form.reason.data, now())
        except DomainError as error:
            flash(error.message, "danger")
        else:
            commit()
            flash(_("Sent back to the author."), "success")
    else:
        flash(_("Say what needs changing."), "danger")
    return redirect(_back(question))


def _back(question) -> str:
    """Where a reviewer's decision returns: to the queue when it was taken there, so that the
    next question is at hand; else to the question."""
    if request.form.get("back") == "queue":
        return url_for("question_bank.review_queue", bank_id=question.bank_id)
    return url_for("question_bank.question_detail", question_id=question.id)
