"""Admin screens of the rule sets: view every version, add one in force from a date, remove one
not yet in force."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import ADMIN, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.hours.forms import RuleSetForm
from learnapp.hours.models import HoursCategory, LedgerEntry, RuleSet
from learnapp.hours.queries import rule_set_for, rule_sets, rules_for
from learnapp.hours.rules import Rules
from learnapp.hours.services import add_rule_set, delete_rule_set, org_day

bp = Blueprint("hours", __name__, url_prefix="/hours")


@bp.get("/rules")
@route_policy(ADMIN)
def rules():
    session = get_session()
    today = org_day(now())
    versions = [(rule_set, Rules.from_json(rule_set.rules)) for rule_set in rule_sets(session)]
    scheduled = [rule_set.id for rule_set, _rules in versions if rule_set.effective_from > today]
    credited = set(
        session.scalars(
            sa.select(LedgerEntry.rule_set_id)
            .where(LedgerEntry.rule_set_id.in_(scheduled))
            .distinct()
        )
    )
    in_force = rule_set_for(session, today)
    return render_template(
        "hours/rules.html",
        versions=versions,
        today=today,
        in_force_id=in_force.id if in_force else None,
        # Versions not yet in force that no entry was credited with: they may be removed.
        removable={rule_set_id for rule_set_id in scheduled if rule_set_id not in credited},
        form=EmptyForm(),
    )


@bp.post("/rules/<int:rule_set_id>/delete")
@route_policy(ADMIN)
def rule_delete(rule_set_id):
    session = get_session()
    rule_set = session.get(RuleSet, rule_set_id)
    if rule_set is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    version = rule_set.version
    try:
        delete_rule_set(session, current_user, rule_set, now())
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        commit()
        flash(_("Rule set %(version)s removed.", version=version), "success")
    return redirect(url_for("hours.rules"))


def _fill(form: RuleSetForm, rules: Rules) -> None:
    (long_seconds, long_hours), (medium_seconds, medium_hours), *rest = rules.lesson_bands
    form.annual_target_hours.data = rules.annual_target_hours
    form.leader_target_hours.data = rules.leader_target_hours
    form.daily_online_cap_hours.data = rules.daily_online_cap_hours
    form.daily_self_study_cap_hours.data = rules.daily_self_study_cap_hours
    form.final_test_bonus_hours.data = rules.final_test_bonus_hours
    form.self_study_counts.data = HoursCategory.SELF_STUDY in rules.target_categories
    form.long_lesson_minutes.data = long_seconds // 60
    form.long_lesson_hours.data = long_hours
    form.medium_lesson_minutes.data = medium_seconds // 60
    form.medium_lesson_hours.data = medium_hours
    form.short_lesson_hours.data = rest[-1][1] if rest else medium_hours
    form.session_per_hour.data = rules.session_hours.get("per_hour")
    form.session_half_day.data = rules.session_hours.get("half_day")
    form.session_full_day.data = rules.session_hours.get("full_day")


def _rules_of(form: RuleSetForm, base: Rules) -> Rules:
    categories = set(base.target_categories)
    if form.self_study_counts.data:
        categories.add(HoursCategory.SELF_STUDY)
    else:
        categories.discard(HoursCategory.SELF_STUDY)
    return Rules(
        annual_target_hours=form.annual_target_hours.data,
        leader_target_hours=form.leader_target_hours.data,
        daily_online_cap_hours=form.daily_online_cap_hours.data,
        lesson_bands=(
            (form.long_lesson_minutes.data * 60, form.long_lesson_hours.data),
            (form.medium_lesson_minutes.data * 60, form.medium_lesson_hours.data),
            (0, form.short_lesson_hours.data),
        ),
        final_test_bonus_hours=form.final_test_bonus_hours.data,
        target_categories=frozenset(categories),
        session_hours={
            "per_hour": form.session_per_hour.data,
            "half_day": form.session_half_day.data,
            "full_day": form.session_full_day.data,
        },
        daily_self_study_cap_hours=form.daily_self_study_cap_hours.data,
    )


@bp.route("/rules/new", methods=["GET", "POST"])
@route_policy(ADMIN)
def rule_new():
    session = get_session()
    today = org_day(now())
    current = rules_for(session, today)
    form = RuleSetForm()
    if request.method == "GET":
        _fill(form, current)
        form.effective_from.data = today
    if form.validate_on_submit():
        try:
            rule_set = add_rule_set(
                session,
                current_user,
                version=form.version.data,
                effective_from=form.effective_from.data,
                source=form.source.data,
                rules=_rules_of(form, current),
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Rule set %(version)s added.", version=rule_set.version), "success")
            return redirect(url_for("hours.rules"))
    return render_template("hours/rule_new.html", form=form), 400 if form.errors else 200
