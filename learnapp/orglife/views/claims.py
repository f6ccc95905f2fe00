"""Study claim pages: members' claims, the managers' review, and study recorded on behalf."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.accounts.models import User
from learnapp.authz import LOGGED_IN, MANAGER, can_manage_unit, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.hours.models import HoursCategory
from learnapp.hours.queries import reversals_of
from learnapp.hours.services import org_day
from learnapp.orglife import files
from learnapp.orglife.claim_queries import (
    DECIDED_STATES,
    claims_of_member,
    decided_claim_count,
    decided_claims,
    on_behalf_candidates,
    pending_claim_count,
    pending_claims,
    recorded_on_behalf,
    scoped_claim,
)
from learnapp.orglife.claims import (
    approval_refusal,
    approve_claim,
    can_withdraw,
    record_on_behalf,
    reject_claim,
    submit_claim,
    withdraw_claim,
)
from learnapp.orglife.corrections import can_reverse, reverse_claim
from learnapp.orglife.forms import ClaimForm, OnBehalfForm, RejectForm, ReverseForm
from learnapp.orglife.models import ClaimState
from learnapp.orglife.views import bp, send_stored, unit_or_404

CLAIMS_PAGE = 30


def _my_claims(form, status=200):
    return render_template(
        "orglife/my_claims.html",
        form=form,
        claims=claims_of_member(get_session(), current_user.id),
        today=org_day(now()),
    ), status


@bp.get("/claims")
@route_policy(LOGGED_IN)
def my_claims():
    form = ClaimForm()
    form.studied_on.data = org_day(now())
    form.category.data = HoursCategory.EXTERNAL.value
    return _my_claims(form)


@bp.post("/claims/new")
@route_policy(LOGGED_IN)
def claim_submit():
    form = ClaimForm()
    if form.validate_on_submit():
        upload = form.evidence.data
        try:
            submit_claim(
                get_session(),
                current_user,
                category=HoursCategory(form.category.data),
                hours=form.hours.data,
                studied_on=form.studied_on.data,
                description=form.description.data,
                filename=upload.filename or "",
                data=upload.read(files.MAX_BYTES + 1),
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Your claim was sent to your branch secretary."), "success")
            return redirect(url_for("orglife.my_claims"))
    return _my_claims(form, 400)


def _claim(claim_id: int):
    claim = scoped_claim(get_session(), current_user, claim_id)
    if claim is None:
        abort(404)
    return claim


def _manages(claim) -> bool:
    unit = claim.deciding_unit
    return current_user.is_manager and unit is not None and can_manage_unit(current_user, unit)


@bp.get("/claims/<int:claim_id>")
@route_policy(LOGGED_IN)
def claim_detail(claim_id):
    return _claim_page(_claim(claim_id))


def _claim_page(claim, reject_form=None, reverse_form=None, status=200):
    session = get_session()
    can_decide = (
        claim.state == ClaimState.PENDING and claim.member_id != current_user.id and _manages(claim)
    )
    reversal = (
        reversals_of(session, [claim.ledger_entry_id]).get(claim.ledger_entry_id)
        if claim.state == ClaimState.REVERSED
        else None
    )
    return render_template(
        "orglife/claim_detail.html",
        claim=claim,
        can_decide=can_decide,
        approval_refused=approval_refusal(session, claim, now()) if can_decide else None,
        can_withdraw=can_withdraw(current_user, claim),
        can_reverse=_manages(claim) and can_reverse(session, current_user, claim, now()),
        reversal=reversal,
        reversed_by=session.get(User, reversal.approver_id) if reversal else None,
        form=EmptyForm(),
        reject_form=reject_form or RejectForm(),
        reverse_form=reverse_form or ReverseForm(),
    ), status


@bp.get("/claims/<int:claim_id>/evidence")
@route_policy(LOGGED_IN)
def claim_evidence(claim_id):
    claim = _claim(claim_id)
    if not claim.evidence_name:
        abort(404)
    return send_stored(
        claim.evidence_name,
        claim.evidence_content_type,
        claim.evidence_display_name,
        f"claim-{claim.id}-evidence",
    )


@bp.post("/claims/<int:claim_id>/withdraw")
@route_policy(LOGGED_IN)
def claim_withdraw(claim_id):
    """The member withdraws their own pending claim; a manager who may see it gets 403."""
    claim = _claim(claim_id)
    if claim.member_id != current_user.id:
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        withdraw_claim(get_session(), current_user, claim, now())
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("orglife.claim_detail", claim_id=claim.id))
    commit()
    flash(_("Claim withdrawn: it will not be reviewed and credits no study hours."), "success")
    return redirect(url_for("orglife.my_claims"))


@bp.get("/claims/review")
@route_policy(MANAGER)
def claims_review():
    session = get_session()
    return render_template(
        "orglife/claims_review.html",
        claims=pending_claims(session, current_user),
        pending=pending_claim_count(session, current_user),
    )


@bp.get("/claims/review/decided")
@route_policy(MANAGER)
def claims_review_decided():
    """Decided claims of the user's subtrees, the latest decision first, optionally of one
    state (?state=approved, rejected, withdrawn or reversed), a page at a time."""
    session = get_session()
    raw = request.args.get("state", "")
    if raw and raw not in {state.value for state in DECIDED_STATES}:
        abort(400)
    state = ClaimState(raw) if raw else None
    total = decided_claim_count(session, current_user, state)
    pages = max(1, -(-total // CLAIMS_PAGE))
    page = min(max(strict_int_arg("page") or 1, 1), pages)
    return render_template(
        "orglife/claims_decided.html",
        claims=decided_claims(
            session, current_user, state, limit=CLAIMS_PAGE, offset=(page - 1) * CLAIMS_PAGE
        ),
        pending=pending_claim_count(session, current_user),
        state=state,
        states=DECIDED_STATES,
        page=page,
        pages=pages,
        total=total,
    )


def _managed_claim(claim_id: int):
    claim = _claim(claim_id)
    if not _manages(claim):
        abort(404)
    return claim


@bp.post("/claims/<int:claim_id>/approve")
@route_policy(MANAGER)
def claim_approve(claim_id):
    claim = _managed_claim(claim_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        approve_claim(get_session(), current_user, claim, now())
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("orglife.claim_detail", claim_id=claim.id))
    commit()
    flash(
        _(
            "Claim approved: %(hours)s study hours credited to %(name)s.",
            hours=claim.hours,
            name=claim.member.display_name,
        ),
        "success",
    )
    return redirect(url_for("orglife.claims_review"))


@bp.post("/claims/<int:claim_id>/reject")
@route_policy(MANAGER)
def claim_reject(claim_id):
    claim = _managed_claim(claim_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            reject_claim(get_session(), current_user, claim, form.reason.data, now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Claim rejected."), "success")
            return redirect(url_for("orglife.claims_review"))
    return _claim_page(claim, reject_form=form, status=400)


@bp.post("/claims/<int:claim_id>/reverse")
@route_policy(MANAGER)
def claim_reverse(claim_id):
    """Reverse an approved claim or a record on behalf, with a reason (a reversing entry)."""
    claim = _managed_claim(claim_id)
    form = ReverseForm()
    if form.validate_on_submit():
        try:
            reverse_claim(get_session(), current_user, claim, form.reason.data, now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(
                _(
                    "Reversed: %(hours)s study hours taken off the record of %(name)s.",
                    hours=claim.hours,
                    name=claim.member.display_name,
                ),
                "success",
            )
            return redirect(url_for("orglife.claim_detail", claim_id=claim.id))
    get_session().rollback()
    return _claim_page(_managed_claim(claim_id), reverse_form=form, status=400)


@bp.route("/units/<int:unit_id>/on-behalf", methods=["GET", "POST"])
@route_policy(MANAGER)
def on_behalf(unit_id):
    """送学上门: record study for an elderly or retired member of the unit's subtree."""
    session = get_session()
    unit = unit_or_404(unit_id)
    form = OnBehalfForm()
    candidates = [m for m in on_behalf_candidates(session, unit) if m.id != current_user.id]
    form.member_id.choices = [SelectChoice(m.id, m.display_name) for m in candidates]
    if request.method == "GET":
        form.studied_on.data = org_day(now())
        form.category.data = HoursCategory.COLLECTIVE.value
    if form.validate_on_submit():
        try:
            claim = record_on_behalf(
                session,
                current_user,
                session.get(User, form.member_id.data),
                category=HoursCategory(form.category.data),
                hours=form.hours.data,
                studied_on=form.studied_on.data,
                description=form.description.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(
                _("Study recorded on behalf of %(name)s.", name=claim.member.display_name),
                "success",
            )
            return redirect(url_for("orglife.on_behalf", unit_id=unit.id))
    return render_template(
        "orglife/on_behalf.html",
        form=form,
        unit=unit,
        recorded=recorded_on_behalf(session, unit),
        today=org_day(now()),
    ), 400 if form.errors else 200
