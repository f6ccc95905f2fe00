"""Reshaping the tree from a unit's page: move, delete, deactivate, reactivate."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.authz import MANAGER, require_unit, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.forms import UnitMoveForm, with_placeholder
from learnapp.orgs.models import Unit
from learnapp.orgs.queries import category_counts, move_targets, subtree_size, unit_references
from learnapp.orgs.restructure import (
    deactivate_unit,
    delete_unit,
    may_restructure,
    move_unit,
    reactivate_unit,
)
from learnapp.orgs.views import bp


def _reshapable(unit_id: int) -> Unit:
    """The unit if the caller may reshape it: 404 outside their scope, 403 for the unit they
    lead or one above it."""
    unit = require_unit(current_user, get_session().get(Unit, unit_id))
    if not may_restructure(current_user, unit):
        abort(403)
    return unit


def _target_label(target: Unit) -> str:
    # The parent's name tells apart branches of the same name in a phone's picker.
    return f"{target.parent.name} › {target.name}" if target.parent else target.name


@bp.route("/units/<int:unit_id>/move", methods=["GET", "POST"])
@route_policy(MANAGER)
def unit_move(unit_id):
    session = get_session()
    unit = _reshapable(unit_id)
    form = UnitMoveForm()
    targets = move_targets(session, current_user, unit)
    form.target_id.choices = with_placeholder(
        [SelectChoice(target.id, _target_label(target)) for target in targets]
    )
    if form.validate_on_submit():
        try:
            move_unit(
                session, current_user, unit, session.get(Unit, form.target_id.data), now=now()
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(
                _("%(unit)s moved under %(target)s.", unit=unit.name, target=unit.parent.name),
                "success",
            )
            return redirect(url_for("orgs.unit_detail", unit_id=unit.id))
    units, people = subtree_size(session, unit)
    return render_template(
        "orgs/unit_move.html",
        form=form,
        unit=unit,
        below=units - 1,
        people=people,
        has_targets=bool(targets),
    ), 400 if form.errors else 200


@bp.route("/units/<int:unit_id>/delete", methods=["GET", "POST"])
@route_policy(MANAGER)
def unit_delete(unit_id):
    """GET: what still refers to the unit, or the confirmation. POST: delete it."""
    session = get_session()
    unit = _reshapable(unit_id)
    form = EmptyForm()
    if form.validate_on_submit():
        parent_id, name = unit.parent_id, unit.name
        try:
            delete_unit(session, current_user, unit, now=now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Unit %(name)s deleted.", name=name), "success")
            if parent_id is None:
                return redirect(url_for("orgs.units"))
            return redirect(url_for("orgs.unit_detail", unit_id=parent_id))
    return render_template(
        "orgs/unit_delete.html",
        form=form,
        unit=unit,
        references=unit_references(session, unit),
        # Deactivating is refused while these remain (restructure.deactivate_unit): say so first.
        active_members=sum(category_counts(session, unit).values()) if unit.is_active else 0,
    ), 400 if form.errors else 200


@bp.post("/units/<int:unit_id>/deactivate")
@route_policy(MANAGER)
def unit_deactivate(unit_id):
    unit = _reshapable(unit_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        count = deactivate_unit(get_session(), current_user, unit, now=now())
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        commit()
        flash(
            ngettext(
                "%(unit)s deactivated: %(num)d unit in all.",
                "%(unit)s deactivated: %(num)d units in all.",
                count,
                unit=unit.name,
            ),
            "success",
        )
    return redirect(url_for("orgs.unit_detail", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/reactivate")
@route_policy(MANAGER)
def unit_reactivate(unit_id):
    unit = _reshapable(unit_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        reactivate_unit(get_session(), current_user, unit, now=now())
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        commit()
        flash(_("%(unit)s is active again.", unit=unit.name), "success")
    return redirect(url_for("orgs.unit_detail", unit_id=unit.id))
