"""The versions of the scoring rules (administrators)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.assessments.forms import RuleSetForm
from learnapp.assessments.labels import COMPONENT_LABELS
from learnapp.assessments.queries import rule_sets
from learnapp.assessments.rule_sets import add_rule_set, ensure_default_rule_set
from learnapp.assessments.rules import COMPONENTS, DEFAULT_RULES, ScoreRules
from learnapp.assessments.views import bp
from learnapp.authz import ADMIN, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error


@bp.get("/rules")
@route_policy(ADMIN)
def rules():
    versions = [(r, ScoreRules.from_json(r.rules)) for r in rule_sets(get_session())]
    return render_template(
        "assessments/rules.html", versions=versions, components=COMPONENTS, labels=COMPONENT_LABELS
    )


@bp.route("/rules/new", methods=["GET", "POST"])
@route_policy(ADMIN)
def rule_new():
    session = get_session()
    form = RuleSetForm()
    if not form.is_submitted():
        latest = rule_sets(session)
        current = ScoreRules.from_json(latest[0].rules if latest else DEFAULT_RULES)
        for name in COMPONENTS:
            getattr(form, f"weight_{name}").data = current.weights.get(name, 0)
        form.contributions_target.data = current.contributions_target
        form.bonus_item_cap.data = current.bonus_item_cap
        form.bonus_cap.data = current.bonus_cap
        form.deduction_item_cap.data = current.deduction_item_cap
        form.deduction_cap.data = current.deduction_cap
    if form.validate_on_submit():
        try:
            ensure_default_rule_set(session, now())
            add_rule_set(
                session,
                current_user,
                version=form.version.data,
                effective_from=form.effective_from.data,
                source=form.source.data,
                rules=form.rules(),
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Rule version added."), "success")
            return redirect(url_for("assessments.rules"))
    return render_template(
        "assessments/rule_form.html", form=form, components=COMPONENTS
    ), 400 if form.errors else 200
