"""Setting a period up (the branch's managers): creating it, its schedule, the rules preview
and the choice of rule version before it opens, and deleting it if it was made by mistake."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.assessments import evidence
from learnapp.assessments.forms import PeriodForm, RuleChoiceForm, ScheduleForm
from learnapp.assessments.models import SCHEDULED
from learnapp.assessments.periods import (
    SCHEDULE_FIELDS,
    choose_rule_set,
    create_period,
    default_year,
    delete_draft,
    opened_fields,
    preview,
    reschedule,
    start_of,
)
from learnapp.assessments.queries import rule_sets
from learnapp.assessments.views import (
    back_to,
    bp,
    flash_error,
    managed_period_or_404,
    period_day,
)
from learnapp.authz import MANAGER, require_unit, route_policy
from learnapp.clock import now, org_timezone
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.models import Unit


def _day_field(field: str) -> str:
    """The form's date field for a period's time field (self_opens_at → self_opens_on); other
    fields (year) keep their name."""
    return field.removesuffix("_at") + "_on" if field.endswith("_at") else field


def _version_label(rule_set) -> str:
    return f"{rule_set.version} ({rule_set.effective_from.isoformat()})"


@bp.route("/units/<int:unit_id>/periods/new", methods=["GET", "POST"])
@route_policy(MANAGER)
def period_new(unit_id):
    session = get_session()
    unit = require_unit(current_user, session.get(Unit, unit_id))
    form = PeriodForm()
    if request.method == "GET":
        form.year.data = default_year(session, unit, now().astimezone(org_timezone()).date())
    if form.validate_on_submit():
        try:
            period = create_period(
                session,
                current_user,
                unit,
                year=form.year.data,
                self_opens_at=start_of(form.self_opens_on.data),
                peer_opens_at=start_of(form.peer_opens_on.data),
                ballot_opens_at=start_of(form.ballot_opens_on.data),
                ballot_closes_at=start_of(form.ballot_closes_on.data),
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(
                form, DomainError(error.field and _day_field(error.field), error.message)
            )
        else:
            commit()
            flash(_("Period created. Check the preview before it opens."), "success")
            return redirect(url_for("assessments.period_preview", period_id=period.id))
    return render_template(
        "assessments/period_form.html", form=form, unit=unit
    ), 400 if form.errors else 200


@bp.route("/periods/<int:period_id>/schedule", methods=["GET", "POST"])
@route_policy(MANAGER)
def period_schedule(period_id):
    """Move the dates of the steps that have not opened yet."""
    session = get_session()
    period = managed_period_or_404(period_id)
    if period.step not in SCHEDULED:
        abort(404)
    opened = opened_fields(period)
    form = ScheduleForm()
    local = {field: period_day(getattr(period, field)) for field in SCHEDULE_FIELDS}
    if request.method == "GET":
        for field in SCHEDULE_FIELDS:
            form[_day_field(field)].data = local[field]
    if form.validate_on_submit():
        # A date left as it was keeps its exact time (a step opened by hand need not be at
        # midnight); a step already opened keeps its time whatever was posted.
        times = {
            field: getattr(period, field)
            if field in opened or form[_day_field(field)].data == local[field]
            else start_of(form[_day_field(field)].data)
            for field in SCHEDULE_FIELDS
        }
        try:
            reschedule(session, current_user, period, times, now())
        except DomainError as error:
            apply_domain_error(
                form, DomainError(error.field and _day_field(error.field), error.message)
            )
        else:
            commit()
            flash(_("Schedule saved."), "success")
            return back_to(period)
    return render_template(
        "assessments/schedule.html",
        period=period,
        form=form,
        opened={_day_field(field) for field in opened},
    ), 400 if form.errors else 200


@bp.post("/periods/<int:period_id>/delete")
@route_policy(MANAGER)
def period_delete(period_id):
    period = managed_period_or_404(period_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        delete_draft(get_session(), current_user, period, now())
    except DomainError as error:
        flash_error(error)
        return back_to(period)
    commit()
    flash(_("The period is deleted."), "success")
    return redirect(url_for("assessments.index"))


@bp.route("/periods/<int:period_id>/preview", methods=["GET", "POST"])
@route_policy(MANAGER)
def period_preview(period_id):
    """What the rules would give for the branch; the version can change until the period opens."""
    session = get_session()
    period = managed_period_or_404(period_id)
    form = RuleChoiceForm(rule_set_id=period.rule_set_id)
    form.rule_set_id.choices = [SelectChoice(r.id, _version_label(r)) for r in rule_sets(session)]
    if form.validate_on_submit():
        try:
            choose_rule_set(session, current_user, period, form.rule_set_id.data, now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Rule version changed."), "success")
            return redirect(url_for("assessments.period_preview", period_id=period.id))
    versions = rule_sets(session)
    compare = next(
        (
            r
            for r in versions
            if r.id == request.args.get("compare", type=int) and r.id != period.rule_set_id
        ),
        None,
    )
    return render_template(
        "assessments/preview.html",
        period=period,
        form=form,
        versions=versions,
        compare=compare,
        rows=preview(session, period, now()),
        compared=preview(session, period, now(), compare) if compare else {},
        members={m.id: m for m in evidence.period_members(session, period)},
    ), 400 if form.errors else 200
