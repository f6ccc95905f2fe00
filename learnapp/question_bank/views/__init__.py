"""The question bank blueprint: banks, questions, review, knowledge points and sources."""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError
from learnapp.forms import EmptyForm
from learnapp.question_bank import queries, services
from learnapp.question_bank.models import AUDIENCE_LABELS, STATUS_LABELS, Question
from learnapp.question_bank.types import TYPES, partial_credit_percent

bp = Blueprint("question_bank", __name__, url_prefix="/bank")


@bp.context_processor
def labels():
    signed_in = current_user.is_authenticated
    return {
        "TYPES": TYPES,
        "STATUS_LABELS": STATUS_LABELS,
        "AUDIENCE_LABELS": AUDIENCE_LABELS,
        "partial_credit_percent": partial_credit_percent,
        "is_bank_editor": signed_in and services.is_bank_editor(current_user),
        "is_bank_reviewer": signed_in and services.is_bank_reviewer(current_user),
    }


def bank_or_404(bank_id: int):
    bank = queries.bank_if_in_scope(get_session(), current_user, bank_id)
    if bank is None:
        abort(404)
    return bank


def question_or_404(question_id: int) -> Question:
    question = get_session().get(Question, question_id)
    if question is None:
        abort(404)
    bank_or_404(question.bank_id)
    return question


def status_action(question_id, service, message, back=None):
    """Run a status change on a question and return to it, or to `back(question)`."""
    question = question_or_404(question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        service(get_session(), current_user, question, now())
    except DomainError as error:
        flash(error.message, "danger")
    else:
        commit()
        flash(message, "success")
    if back is not None:
        return redirect(back(question))
    return redirect(url_for("question_bank.question_detail", question_id=question.id))


# The routes live in these modules; importing them registers them on `bp`.
from learnapp.question_bank.views import (  # noqa: E402, F401
    banks,
    knowledge_points,
    questions,
    review,
    sources,
)
