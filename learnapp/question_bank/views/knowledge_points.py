"""A bank's knowledge point tree: the list with question counts, renaming, deleting."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import BANK_EDITOR, BANK_STAFF, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError
from learnapp.forms import EmptyForm
from learnapp.question_bank import queries, services
from learnapp.question_bank.forms import RenameForm
from learnapp.question_bank.models import KnowledgePoint
from learnapp.question_bank.views import bank_or_404, bp


@bp.get("/<int:bank_id>/knowledge-points")
@route_policy(BANK_STAFF)
def knowledge_points(bank_id):
    session = get_session()
    bank = bank_or_404(bank_id)
    points = queries.knowledge_points(session, bank)
    return render_template(
        "question_bank/knowledge_points.html",
        bank=bank,
        points=points,
        parents={point.parent_id for point in points},
        counts=queries.knowledge_point_counts(session, bank),
        rename_form=RenameForm(),
        action_form=EmptyForm(),
    )


def _knowledge_point(point_id: int) -> KnowledgePoint:
    point = get_session().get(KnowledgePoint, point_id)
    if point is None:
        abort(404)
    bank_or_404(point.bank_id)
    return point


@bp.post("/knowledge-points/<int:point_id>/rename")
@route_policy(BANK_EDITOR)
def knowledge_point_rename(point_id):
    point = _knowledge_point(point_id)
    form = RenameForm()
    if form.validate_on_submit():
        before = point.full_name
        try:
            services.rename_knowledge_point(
                get_session(), current_user, point, form.name.data, now()
            )
        except DomainError as error:
            flash(error.message, "danger")
        else:
            commit()
            flash(_("%(old)s is now %(new)s.", old=before, new=point.full_name), "success")
    else:
        flash(_("Enter a name without / › or >."), "danger")
    return redirect(url_for("question_bank.knowledge_points", bank_id=point.bank_id))


@bp.post("/knowledge-points/<int:point_id>/delete")
@route_policy(BANK_EDITOR)
def knowledge_point_delete(point_id):
    point = _knowledge_point(point_id)
    bank_id, full_name = point.bank_id, point.full_name
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.delete_knowledge_point(get_session(), current_user, point, now())
    except DomainError as error:
        flash(error.message, "danger")
    else:
        commit()
        flash(_("%(name)s removed.", name=full_name), "success")
    return redirect(url_for("question_bank.knowledge_points", bank_id=bank_id))
