"""What a member does: see their periods, write the 自评, appraise peers, cast the anonymous
ballot, claim a bonus, read their dossier and, once the period is closed, their result."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.accounts.models import User
from learnapp.assessments import ballots, evidence
from learnapp.assessments.appraisals import peers_of, save_peer_review, save_self_appraisal
from learnapp.assessments.disclosure import own_view
from learnapp.assessments.forms import PeerReviewForm, PointForm, SelfAppraisalForm
from learnapp.assessments.models import GRADE_ORDER, AssessmentPeriod, Grade, PointKind, Step
from learnapp.assessments.periods import member_step_days
from learnapp.assessments.points import propose_points
from learnapp.assessments.queries import (
    can_see_dossier,
    dossier,
    grade_of,
    is_assessed_in,
    managed_periods,
    own_periods,
    peer_reviews_about,
    peer_reviews_by,
    point_items,
    self_appraisal,
)
from learnapp.assessments.rules import ScoreRules
from learnapp.assessments.views import bp, own_period_or_404
from learnapp.authz import LOGGED_IN, can_manage_unit, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.queries import pickable_units


@bp.get("")
@route_policy(LOGGED_IN)
def index():
    session = get_session()
    managed = managed_periods(session, current_user) if current_user.is_manager else []
    branches = []
    if current_user.is_manager:
        branches = [u for u in pickable_units(session, current_user) if u.kind.is_branch]
    return render_template(
        "assessments/index.html",
        own=own_periods(session, current_user),
        managed=managed,
        branches=branches,
    )


@bp.get("/periods/<int:period_id>/me")
@route_policy(LOGGED_IN)
def my_period(period_id):
    session = get_session()
    period = own_period_or_404(period_id)
    roll = ballots.roll_entry(session, period, current_user)
    grade = grade_of(session, period, current_user.id) if period.step == Step.LOCKED else None
    return render_template(
        "assessments/my_period.html",
        period=period,
        appraisal=self_appraisal(session, period, current_user.id),
        peers=len(peers_of(session, period, current_user)),
        peers_written=len(peer_reviews_by(session, period, current_user.id)),
        roll=roll,
        grade=grade,
        items=point_items(session, period, current_user.id),
        step_days=member_step_days(period),
    )


@bp.route("/periods/<int:period_id>/self", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def self_appraisal_edit(period_id):
    session = get_session()
    period = own_period_or_404(period_id)
    existing = self_appraisal(session, period, current_user.id)
    form = SelfAppraisalForm(obj=existing)
    if form.validate_on_submit():
        try:
            save_self_appraisal(session, current_user, period, form.text.data, now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Your self-appraisal is saved."), "success")
            return redirect(url_for("assessments.my_period", period_id=period.id))
    # Outside its step the page only reads: what was written, and when the step is open. A form
    # sent all the same comes back with the refusal and the text, so nothing typed is lost.
    return render_template(
        "assessments/self.html",
        period=period,
        form=form,
        appraisal=existing,
        step_days=member_step_days(period)[Step.SELF_APPRAISAL],
        show_form=period.step == Step.SELF_APPRAISAL or request.method == "POST",
    ), 400 if form.errors else 200


@bp.route("/periods/<int:period_id>/peers", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def peers(period_id):
    session = get_session()
    period = own_period_or_404(period_id)
    peers_list = peers_of(session, period, current_user)
    form = PeerReviewForm()
    form.subject_id.choices = [SelectChoice(m.id, m.display_name) for m in peers_list]
    if form.validate_on_submit():
        try:
            save_peer_review(
                session, current_user, period, form.subject_id.data, form.comment.data, now()
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Your comment is saved."), "success")
            return redirect(url_for("assessments.peers", period_id=period.id))
    return render_template(
        "assessments/peers.html",
        period=period,
        form=form,
        peers=peers_list,
        written=peer_reviews_by(session, period, current_user.id),
        step_days=member_step_days(period)[Step.PEER_REVIEW],
        show_form=period.step == Step.PEER_REVIEW or request.method == "POST",
    ), 400 if form.errors else 200


@bp.route("/periods/<int:period_id>/ballot", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def ballot(period_id):
    session = get_session()
    period = own_period_or_404(period_id)
    roll = ballots.roll_entry(session, period, current_user)
    if roll is None:
        abort(404)
    subjects = ballots.ballot_subjects(session, period)
    form = EmptyForm()
    error = None
    chosen = {}
    if form.validate_on_submit():
        for member in subjects:
            value = request.form.get(f"rating_{member.id}", "")
            if value in {g.value for g in Grade}:
                chosen[member.id] = Grade(value)
        try:
            ballots.cast_ballot(session, current_user, period, chosen)
        except DomainError as domain_error:
            error = domain_error.message
        else:
            commit()
            flash(_("Your ballot is cast. Nobody can see how you voted."), "success")
            return redirect(url_for("assessments.my_period", period_id=period.id))
    return render_template(
        "assessments/ballot.html",
        period=period,
        form=form,
        roll=roll,
        subjects=subjects,
        grades=GRADE_ORDER,
        chosen=chosen,
        error=error,
    ), 400 if error else 200


@bp.get("/periods/<int:period_id>/dossiers/<int:member_id>")
@route_policy(LOGGED_IN)
def dossier_page(period_id, member_id):
    """The member's evidence: their own (less the exam results not released to them yet,
    disclosure.own_view), or any of the branch, whole, for those who manage it."""
    session = get_session()
    period = session.get(AssessmentPeriod, period_id)
    member = session.get(User, member_id)
    if period is None or member is None or not is_assessed_in(session, member, period):
        abort(404)
    manager = can_manage_unit(current_user, period.unit)
    if not can_see_dossier(current_user, period, member) or (
        not manager and period.step == Step.DRAFT
    ):
        abort(404)
    frozen = dossier(session, period, member.id)
    if frozen is not None:
        data, version = frozen.evidence, frozen.rule_version
    else:
        rules = ScoreRules.from_json(period.rule_set.rules)
        data = evidence.compute(session, period, rules, now(), only=member.id).get(member.id)
        version = period.rule_set.version
    own = member.id == current_user.id
    if own:
        # Their own, even for a manager of the branch: an exam's release policy binds them, and
        # the peer appraisals about them stay with the rest of the committee, as for a member.
        data = own_view(session, period, member, data, now())
    grade = grade_of(session, period, member.id)
    if not manager and period.step != Step.LOCKED:
        grade = None
    return render_template(
        "assessments/dossier.html",
        period=period,
        member=member,
        data=data,
        frozen=frozen,
        version=version,
        manager=manager,
        appraisal=self_appraisal(session, period, member.id),
        own=own,
        reviews=peer_reviews_about(session, period, member.id) if manager and not own else [],
        items=point_items(session, period, member.id),
        grade=grade,
    )


@bp.route("/periods/<int:period_id>/points", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def points(period_id):
    """Claim a bonus (a member, for themself) or propose either kind (the branch's managers)."""
    session = get_session()
    period = session.get(AssessmentPeriod, period_id)
    if period is None:
        abort(404)
    manager = can_manage_unit(current_user, period.unit)
    if not manager and not (
        is_assessed_in(session, current_user, period) and period.step != Step.DRAFT
    ):
        abort(404)
    form = PointForm()
    members = evidence.period_members(session, period) if manager else [current_user]
    form.member_id.choices = [SelectChoice(m.id, m.display_name) for m in members]
    if not manager:
        form.kind.choices = [c for c in form.kind.choices if c.value == PointKind.BONUS.value]
    if form.validate_on_submit():
        try:
            propose_points(
                session,
                current_user,
                period,
                member_id=form.member_id.data,
                kind=PointKind(form.kind.data),
                points=form.points.data,
                reason=form.reason.data,
                evidence_text=form.evidence.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("The item is waiting for approval."), "success")
            return redirect(url_for("assessments.points", period_id=period.id))
    items = point_items(session, period, None if manager else current_user.id)
    return render_template(
        "assessments/points.html",
        period=period,
        form=form,
        items=items,
        manager=manager,
        decide_form=EmptyForm(),
        open=period.step.position <= Step.EVALUATION.position,
    ), 400 if form.errors else 200
