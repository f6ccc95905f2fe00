"""The committee's pages (the branch's secretary and committee members, and the units above):
the period's page and its steps, the grade sheet, approval, feedback, lock, reopen, the
workbook, and decisions on 积分 items."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.assessments import ballots, evidence, grading
from learnapp.assessments.disclosure import committee_scores
from learnapp.assessments.exports import results_workbook
from learnapp.assessments.forms import (
    AdvanceForm,
    DecisionForm,
    FeedbackForm,
    ReopenForm,
    SubmitForm,
)
from learnapp.assessments.labels import APPROVAL_LABELS
from learnapp.assessments.models import (
    GRADE_ORDER,
    SCHEDULED,
    Approval,
    AssessmentGrade,
    Grade,
    PointItem,
    Step,
)
from learnapp.assessments.points import POINT_STEPS, decide_points, pending_items
from learnapp.assessments.queries import (
    is_unit_above,
    participation,
    scoped_period,
    self_appraisals,
)
from learnapp.assessments.steps import advance
from learnapp.assessments.views import back_to, bp, flash_error, managed_period_or_404
from learnapp.authz import MANAGER, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError
from learnapp.forms import EmptyForm
from learnapp.tabular import XLSX_CONTENT_TYPE, download


def _own_note(session, period, members) -> str | None:
    """Who sets the grade of the person looking, when they are assessed in the period."""
    if all(member.id != current_user.id for member in members):
        return None
    return grading.own_grade_note(session, period, current_user.id)


@bp.get("/periods/<int:period_id>")
@route_policy(MANAGER)
def period_detail(period_id):
    session = get_session()
    period = managed_period_or_404(period_id)
    members = evidence.period_members(session, period)
    return render_template(
        "assessments/period.html",
        period=period,
        members=members,
        grades=grading.grades_of(session, period),
        scores=committee_scores(session, period, current_user, now()),
        appraisals=self_appraisals(session, period),
        turnout=ballots.turnout(session, period),
        aggregates=ballots.aggregates(session, period),
        min_group=ballots.MIN_GROUP,
        check=grading.check(session, period),
        scheduled=SCHEDULED.get(period.step),
        pending_points=pending_items(session, period) if period.step in POINT_STEPS else [],
        participation=participation(session, period, members),
        own_note=_own_note(session, period, members),
        advance_form=AdvanceForm(),
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
    """Open the next step by hand, once the secretary has confirmed the participation counts
    shown beside the button (and, to close the evaluation with no ballot, that too)."""
    period = managed_period_or_404(period_id)
    form = AdvanceForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        for errors in form.errors.values():
            flash(errors[0], "danger")
        return back_to(period)
    try:
        advance(
            get_session(),
            current_user,
            period,
            now(),
            allow_no_ballots=form.confirm_no_ballots.data,
            confirmed_lapse=form.lapse_ids(),
        )
    except DomainError as error:
        flash_error(error)
    else:
        commit()
        flash(_("The next step is open."), "success")
    return back_to(period)


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
            return back_to(period)
    return render_template(
        "assessments/grades.html",
        period=period,
        members=members,
        scores=committee_scores(session, period, current_user, now()),
        aggregates=ballots.aggregates(session, period),
        grades=grading.grades_of(session, period),
        form=form,
        error=error,
        grade_order=GRADE_ORDER,
        approval_labels=APPROVAL_LABELS,
        posted=request.form if request.method == "POST" else None,
        own_note=_own_note(session, period, members),
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
        flash_error(error)
    else:
        commit()
        flash(_("The proposals are submitted."), "success")
    return back_to(period)


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
        flash_error(error)
    else:
        commit()
        flash(_("Decision recorded."), "success")
    return back_to(period)


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
        flash_error(error)
    else:
        commit()
        flash(_("Feedback saved."), "success")
    return back_to(period)


@bp.post("/periods/<int:period_id>/lock")
@route_policy(MANAGER)
def period_lock(period_id):
    period = managed_period_or_404(period_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        grading.lock(get_session(), current_user, period, now())
    except DomainError as error:
        flash_error(error)
    else:
        commit()
        flash(_("Results sent to the members; the period is closed."), "success")
    return back_to(period)


@bp.post("/periods/<int:period_id>/reopen")
@route_policy(MANAGER)
def period_reopen(period_id):
    period = managed_period_or_404(period_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for reopening."), "danger")
        return back_to(period)
    try:
        grading.reopen(get_session(), current_user, period, form.reason.data, now())
    except DomainError as error:
        flash_error(error)
    else:
        commit()
        flash(_("The period is reopened at the committee step."), "success")
    return back_to(period)


@bp.get("/periods/<int:period_id>/results.xlsx")
@route_policy(MANAGER)
def results_export(period_id):
    period = managed_period_or_404(period_id)
    data = results_workbook(get_session(), current_user, period, now())
    commit()
    title = _("Assessment results")
    return download(
        data,
        content_type=XLSX_CONTENT_TYPE,
        filename=f"{title}-{period.unit.name}-{period.year}.xlsx",
        ascii_filename=f"assessment-results-{period.year}.xlsx",
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
        flash_error(error)
    else:
        commit()
        flash(_("Decision recorded."), "success")
    return redirect(url_for("assessments.points", period_id=period.id))
