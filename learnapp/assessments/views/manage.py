"""The committee's pages (the branch's secretary and committee members, and the units above):
periods and their schedule, the rules preview, the grade sheet, approval, feedback, lock."""

import io

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.assessments import ballots, evidence, grading
from learnapp.assessments.exports import results_workbook
from learnapp.assessments.forms import (
    DecisionForm,
    FeedbackForm,
    PeriodForm,
    ReopenForm,
    RuleChoiceForm,
    SubmitForm,
)
from learnapp.assessments.models import (
    GRADE_ORDER,
    SCHEDULED,
    Approval,
    AssessmentGrade,
    Dossier,
    Grade,
    PointItem,
    Step,
)
from learnapp.assessments.points import decide_points
from learnapp.assessments.queries import rule_sets, scoped_period, self_appraisals
from learnapp.assessments.services import (
    advance,
    choose_rule_set,
    create_period,
    is_unit_above,
    preview,
)
from learnapp.assessments.views import bp, managed_period_or_404, start_of
from learnapp.authz import MANAGER, require_unit, route_policy
from learnapp.clock import now, org_timezone
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _flash_error(error: DomainError) -> None:
    flash(error.message, "danger")


def _back(period):
    return redirect(url_for("assessments.period_detail", period_id=period.id))


@bp.route("/units/<int:unit_id>/periods/new", methods=["GET", "POST"])
@route_policy(MANAGER)
def period_new(unit_id):
    session = get_session()
    unit = require_unit(current_user, session.get(Unit, unit_id))
    form = PeriodForm()
    if request.method == "GET":
        form.year.data = now().astimezone(org_timezone()).year
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
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Period created. Check the preview before it opens."), "success")
            return redirect(url_for("assessments.period_preview", period_id=period.id))
    return render_template(
        "assessments/period_form.html", form=form, unit=unit
    ), 400 if form.errors else 200


@bp.get("/periods/<int:period_id>")
@route_policy(MANAGER)
def period_detail(period_id):
    session = get_session()
    period = managed_period_or_404(period_id)
    members = evidence.period_members(session, period)
    grades = grading.grades_of(session, period)
    scores = dict(
        session.execute(
            sa.select(Dossier.member_id, Dossier.score).where(Dossier.period_id == period.id)
        ).all()
    )
    return render_template(
        "assessments/period.html",
        period=period,
        members=members,
        grades=grades,
        scores=scores,
        appraisals=self_appraisals(session, period),
        turnout=ballots.turnout(session, period),
        aggregates=ballots.aggregates(session, period),
        min_group=ballots.MIN_GROUP,
        check=grading.check(session, period),
        scheduled=SCHEDULED.get(period.step),
        unit_above=is_unit_above(current_user, period.unit),
        grade_order=GRADE_ORDER,
        empty_form=EmptyForm(),
        submit_form=SubmitForm(),
        decision_form=DecisionForm(),
        reopen_form=ReopenForm(),
        feedback_form=FeedbackForm(),
        Approval=Approval,
        Step=Step,
    )


@bp.post("/periods/<int:period_id>/advance")
@route_policy(MANAGER)
def period_advance(period_id):
    period = managed_period_or_404(period_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        advance(get_session(), current_user, period, now())
    except DomainError as error:
        _flash_error(error)
    else:
        commit()
        flash(_("The next step is open."), "success")
    return _back(period)


@bp.route("/periods/<int:period_id>/preview", methods=["GET", "POST"])
@route_policy(MANAGER)
def period_preview(period_id):
    """What the rules would give for the branch; the version can change until the period opens."""
    session = get_session()
    period = managed_period_or_404(period_id)
    form = RuleChoiceForm(rule_set_id=period.rule_set_id)
    form.rule_set_id.choices = [
        SelectChoice(r.id, f"{r.version} ({r.effective_from.isoformat()})")
        for r in rule_sets(session)
    ]
    if form.validate_on_submit():
        try:
            choose_rule_set(session, current_user, period, form.rule_set_id.data, now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Rule version changed."), "success")
            return redirect(url_for("assessments.period_preview", period_id=period.id))
    return render_template(
        "assessments/preview.html",
        period=period,
        form=form,
        rows=preview(session, period, now()),
        members={m.id: m for m in evidence.period_members(session, period)},
    ), 400 if form.errors else 200


@bp.route("/periods/<int:period_id>/grades", methods=["GET", "POST"])
@route_policy(MANAGER)
def grade_sheet(period_id):
    session = get_session()
    period = managed_period_or_404(period_id)
    members = evidence.period_members(session, period)
    form = EmptyForm()
    error = None
    if form.validate_on_submit():
        proposals = {}
        for member in members:
            value = request.form.get(f"grade_{member.id}", "")
            if value in {g.value for g in Grade}:
                proposals[member.id] = (Grade(value), request.form.get(f"reason_{member.id}", ""))
        try:
            grading.propose_grades(session, current_user, period, proposals, now())
        except DomainError as domain_error:
            error = domain_error.message
        else:
            commit()
            flash(_("%(n)d grades saved.", n=len(proposals)), "success")
            return _back(period)
    return render_template(
        "assessments/grades.html",
        period=period,
        members=members,
        grades=grading.grades_of(session, period),
        form=form,
        error=error,
        grade_order=GRADE_ORDER,
        posted=request.form if request.method == "POST" else None,
    ), 400 if error else 200


@bp.post("/periods/<int:period_id>/submit")
@route_policy(MANAGER)
def period_submit(period_id):
    period = managed_period_or_404(period_id)
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        grading.submit(get_session(), current_user, period, form.justification.data, now())
    except DomainError as error:
        _flash_error(error)
    else:
        commit()
        flash(_("The proposals are submitted."), "success")
    return _back(period)


def _grade_or_404(grade_id: int) -> tuple:
    session = get_session()
    grade = session.get(AssessmentGrade, grade_id)
    period = scoped_period(session, current_user, grade.period_id) if grade else None
    if period is None:
        abort(404)
    return grade, period


@bp.post("/grades/<int:grade_id>/decide")
@route_policy(MANAGER)
def grade_decide(grade_id):
    grade, period = _grade_or_404(grade_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    approve = request.form.get("decision") == "approve"
    try:
        grading.decide(get_session(), current_user, period, grade, approve, form.note.data, now())
    except DomainError as error:
        _flash_error(error)
    else:
        commit()
        flash(_("Decision recorded."), "success")
    return _back(period)


@bp.post("/grades/<int:grade_id>/feedback")
@route_policy(MANAGER)
def grade_feedback(grade_id):
    grade, period = _grade_or_404(grade_id)
    form = FeedbackForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        grading.save_feedback(get_session(), current_user, period, grade, form.feedback.data)
    except DomainError as error:
        _flash_error(error)
    else:
        commit()
        flash(_("Feedback saved."), "success")
    return _back(period)


@bp.post("/periods/<int:period_id>/lock")
@route_policy(MANAGER)
def period_lock(period_id):
    period = managed_period_or_404(period_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        grading.lock(get_session(), current_user, period, now())
    except DomainError as error:
        _flash_error(error)
    else:
        commit()
        flash(_("Results sent to the members; the period is closed."), "success")
    return _back(period)


@bp.post("/periods/<int:period_id>/reopen")
@route_policy(MANAGER)
def period_reopen(period_id):
    period = managed_period_or_404(period_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for reopening."), "danger")
        return _back(period)
    try:
        grading.reopen(get_session(), current_user, period, form.reason.data, now())
    except DomainError as error:
        _flash_error(error)
    else:
        commit()
        flash(_("The period is reopened at the committee step."), "success")
    return _back(period)


@bp.get("/periods/<int:period_id>/results.xlsx")
@route_policy(MANAGER)
def results_export(period_id):
    period = managed_period_or_404(period_id)
    data = results_workbook(get_session(), current_user, period, now())
    commit()
    return send_file(
        io.BytesIO(data),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"评议结果表-{period.unit.name}-{period.year}.xlsx",
    )


@bp.post("/points/<int:item_id>/decide")
@route_policy(MANAGER)
def point_decide(item_id):
    session = get_session()
    item = session.get(PointItem, item_id)
    period = scoped_period(session, current_user, item.period_id) if item else None
    if period is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        decide_points(session, current_user, item, request.form.get("decision") == "approve", now())
    except DomainError as error:
        _flash_error(error)
    else:
        commit()
        flash(_("Decision recorded."), "success")
    return redirect(url_for("assessments.points", period_id=period.id))
