"""Bank pages: the list of banks in scope, creating a bank, its review rule."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.authz import ADMIN, BANK_STAFF, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.question_bank import queries, services
from learnapp.question_bank.forms import BankForm, ReviewRuleForm
from learnapp.question_bank.views import bank_or_404, bp


@bp.get("/")
@route_policy(BANK_STAFF)
def banks():
    session = get_session()
    found = queries.banks_in_scope(session, current_user)
    if len(found) == 1 and not current_user.is_admin:
        return redirect(url_for("question_bank.questions", bank_id=found[0].id))
    return render_template(
        "question_bank/banks.html",
        banks=[(bank, queries.status_counts(session, bank)) for bank in found],
    )


@bp.route("/new", methods=["GET", "POST"])
@route_policy(ADMIN)
def bank_new():
    from learnapp.orgs.forms import unit_choices
    from learnapp.orgs.queries import pickable_units

    session = get_session()
    form = BankForm()
    form.unit_id.choices = [
        SelectChoice(0, _("Platform-wide")),
        *unit_choices(pickable_units(session, current_user)),
    ]
    if form.validate_on_submit():
        from learnapp.orgs.models import Unit

        try:
            bank = services.create_bank(
                session,
                current_user,
                name=form.name.data,
                unit=session.get(Unit, form.unit_id.data) if form.unit_id.data else None,
                two_person_review=form.two_person_review.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Question bank %(name)s created.", name=bank.name), "success")
            return redirect(url_for("question_bank.questions", bank_id=bank.id))
    return render_template("question_bank/bank_form.html", form=form), 400 if form.errors else 200


@bp.post("/<int:bank_id>/settings")
@route_policy(ADMIN)
def bank_settings(bank_id):
    bank = bank_or_404(bank_id)
    form = ReviewRuleForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_two_person_review(
        get_session(), current_user, bank, form.two_person_review.data, now()
    )
    commit()
    flash(_("Review rule saved."), "success")
    return redirect(url_for("question_bank.questions", bank_id=bank.id))
