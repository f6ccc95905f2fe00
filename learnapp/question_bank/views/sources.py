"""Source documents: the list with question counts, marking a document superseded."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import BANK_EDITOR, BANK_STAFF, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError
from learnapp.forms import EmptyForm
from learnapp.question_bank import queries, services
from learnapp.question_bank.models import SourceDocument
from learnapp.question_bank.views import bp


@bp.get("/sources")
@route_policy(BANK_STAFF)
def sources():
    session = get_session()
    return render_template(
        "question_bank/sources.html",
        sources=queries.sources(session),
        counts=queries.source_question_counts(session, current_user),
        action_form=EmptyForm(),
    )


@bp.post("/sources/<int:source_id>/supersede")
@route_policy(BANK_EDITOR)
def source_supersede(source_id):
    session = get_session()
    document = session.get(SourceDocument, source_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        flagged = services.supersede_source(session, current_user, document, now())
    except DomainError as error:
        flash(error.message, "danger")
    else:
        commit()
        flash(
            _(
                "%(title)s marked superseded; %(n)d questions flagged for review.",
                title=document.title,
                n=flagged,
            ),
            "success",
        )
    return redirect(url_for("question_bank.sources"))
