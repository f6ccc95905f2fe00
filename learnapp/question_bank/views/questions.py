"""A bank's question list and bulk actions; adding, viewing, editing, previewing, submitting."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import BANK_EDITOR, BANK_STAFF, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.question_bank import queries, services
from learnapp.question_bank.changes import version_changes
from learnapp.question_bank.draft import split_path
from learnapp.question_bank.forms import BulkForm, RejectForm, ReviewRuleForm
from learnapp.question_bank.models import Audience, QuestionStatus
from learnapp.question_bank.queries import QuestionFilters
from learnapp.question_bank.types import TYPES
from learnapp.question_bank.views import bank_or_404, bp, question_or_404, status_action


def _filters() -> QuestionFilters:
    type_code = request.args.get("type", "")
    status = request.args.get("status", "")
    difficulty = strict_int_arg("difficulty")
    return QuestionFilters(
        type=type_code if type_code in TYPES else None,
        status=QuestionStatus(status) if status in set(QuestionStatus) else None,
        difficulty=difficulty if difficulty in range(1, 6) else None,
        knowledge_point_id=strict_int_arg("kp"),
        tag_id=strict_int_arg("tag"),
        source_id=strict_int_arg("source"),
        search=request.args.get("q", "")[: queries.MAX_SEARCH],
    )


def _filter_args(filters: QuestionFilters) -> dict:
    args = {
        "type": filters.type,
        "status": filters.status.value if filters.status else None,
        "difficulty": filters.difficulty,
        "kp": filters.knowledge_point_id,
        "tag": filters.tag_id,
        "source": filters.source_id,
        "q": filters.search or None,
    }
    return {key: value for key, value in args.items() if value}


@bp.get("/<int:bank_id>/")
@route_policy(BANK_STAFF)
def questions(bank_id):
    session = get_session()
    bank = bank_or_404(bank_id)
    filters = _filters()
    page = queries.questions_page(session, bank, filters, strict_int_arg("page") or 1)
    counts = page.status_counts
    filter_args = _filter_args(filters)
    return render_template(
        "question_bank/list.html",
        bank=bank,
        page=page,
        filters=filters,
        filter_args=filter_args,
        status_args={k: v for k, v in filter_args.items() if k != "status"},
        # The export screen starts from the list's filters (all but the search).
        export_args={k: v for k, v in filter_args.items() if k != "q"},
        points=queries.knowledge_points(session, bank),
        tags=queries.tags(session, bank),
        sources=queries.sources(session),
        counts=counts,
        bulk_form=BulkForm(),
        rule_form=ReviewRuleForm(two_person_review=bank.two_person_review),
    )


@bp.post("/<int:bank_id>/bulk")
@route_policy(BANK_EDITOR)
def bulk(bank_id):
    session = get_session()
    bank = bank_or_404(bank_id)
    form = BulkForm()
    # Back to the list as it was: the form posts to an address carrying the list's filters.
    page = strict_int_arg("page")
    back = url_for(
        "question_bank.questions",
        bank_id=bank.id,
        **_filter_args(_filters()),
        **({"page": page} if page and page > 1 else {}),
    )
    if not form.validate_on_submit():
        flash(_("Choose an action."), "danger")
        return redirect(back)
    ids = [
        int(v) for v in request.form.getlist("ids") if v.isascii() and v.isdigit() and len(v) <= 12
    ][:500]
    chosen = queries.questions_by_ids(session, bank, ids)
    if not chosen:
        flash(_("Tick at least one question."), "warning")
        return redirect(back)
    action, stamp = form.action.data, now()
    try:
        if action == "submit":
            done, skipped = services.bulk_submit(session, current_user, chosen, stamp)
            message = _(
                "%(n)d sent to review, %(s)d skipped (not drafts, or not complete: open a "
                "question and send it on its own to see why).",
                n=done,
                s=skipped,
            )
        elif action == "retire":
            done, skipped = services.bulk_retire(session, current_user, chosen, stamp)
            message = _("%(n)d retired, %(s)d skipped.", n=done, s=skipped)
        elif action == "move":
            done = services.bulk_move(
                session, current_user, bank, chosen, split_path(form.target.data), stamp
            )
            message = _("%(n)d moved.", n=done)
        else:
            done = services.bulk_tag(session, current_user, bank, chosen, form.tag_names(), stamp)
            message = _("%(n)d tagged.", n=done)
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(back)
    commit()
    flash(message, "success")
    return redirect(back)


@bp.get("/<int:bank_id>/questions/new")
@route_policy(BANK_EDITOR)
def question_type_choice(bank_id):
    return render_template("question_bank/new_type.html", bank=bank_or_404(bank_id))


@bp.route("/<int:bank_id>/questions/new/<type_code>", methods=["GET", "POST"])
@route_policy(BANK_EDITOR)
def question_new(bank_id, type_code):
    bank = bank_or_404(bank_id)
    qtype = TYPES.get(type_code) or abort(404)
    form = qtype.form_class()
    if form.validate_on_submit():
        try:
            question = services.add_question(
                get_session(),
                current_user,
                bank,
                form.draft(),
                now(),
                audience=Audience(form.audience.data),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Question saved as a draft."), "success")
            return redirect(url_for("question_bank.question_detail", question_id=question.id))
    return render_template(
        "question_bank/form.html",
        form=form,
        bank=bank,
        qtype=qtype,
        question=None,
        points=queries.knowledge_points(get_session(), bank),
    ), 400 if form.errors else 200


def _asked_version(versions, question):
    """The version the address names (?version=N), else the question's current one."""
    number = strict_int_arg("version")
    return next((v for v in versions if v.number == number), question.current_version)


@bp.get("/questions/<int:question_id>")
@route_policy(BANK_STAFF)
def question_detail(question_id):
    session = get_session()
    question = question_or_404(question_id)
    versions = queries.versions_of(session, question)
    shown = _asked_version(versions, question)
    # An edit of an approved question is reviewed against the version in use, the approved one.
    if question.is_edit_in_review:
        previous = next((v for v in versions if v.id == question.reviewed_version_id), None)
    else:
        previous = next((v for v in versions if v.number == shown.number - 1), None)
    # The last edit sent back, while the version in use is the one before it.
    rejected = next(
        (v for v in versions if v.number > question.current_version.number and v.rejected_at),
        None,
    )
    in_review = question.status == QuestionStatus.IN_REVIEW
    return render_template(
        "question_bank/detail.html",
        question=question,
        version=shown,
        versions=versions,
        qtype=TYPES[question.type],
        previous=previous,
        rejected=rejected,
        changes=(
            version_changes(question.type, previous, shown)
            if in_review and previous is not None and shown.id == question.current_version_id
            else []
        ),
        can_approve=services.may_approve(current_user, question),
        usage=queries.usage_counts(session, [question.id])[question.id],
        action_form=EmptyForm(),
        reject_form=RejectForm(),
    )


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@route_policy(BANK_EDITOR)
def question_edit(question_id):
    question = question_or_404(question_id)
    qtype = TYPES[question.type]
    form = qtype.form_class()
    if request.method == "GET":
        # An edit sent back can be reworked from the text it proposed (?version=N).
        start = _asked_version(queries.versions_of(get_session(), question), question)
        form.load(services.to_draft(start), start.audience)
        form.revision.data = question.revision
    if form.validate_on_submit():
        try:
            services.update_question(
                get_session(),
                current_user,
                question,
                form.draft(),
                now(),
                audience=Audience(form.audience.data),
                revision=form.opened_revision(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
            if error.field == "revision":
                # What was typed stays on the form; saving it again, once compared with the
                # current question, replaces that one on purpose.
                form.revision.data = question.revision
        else:
            commit()
            flash(_("Question saved."), "success")
            return redirect(url_for("question_bank.question_detail", question_id=question.id))
    return render_template(
        "question_bank/form.html",
        form=form,
        bank=question.bank,
        qtype=qtype,
        question=question,
        points=queries.knowledge_points(get_session(), question.bank),
    ), 409 if form.revision.errors else 400 if form.errors else 200


@bp.post("/questions/<int:question_id>/submit")
@route_policy(BANK_EDITOR)
def question_submit(question_id):
    return status_action(question_id, services.submit_for_review, _("Sent to review."))


@bp.post("/questions/<int:question_id>/retire")
@route_policy(BANK_EDITOR)
def question_retire(question_id):
    return status_action(question_id, services.retire_question, _("Question retired."))


@bp.post("/questions/<int:question_id>/reopen")
@route_policy(BANK_EDITOR)
def question_reopen(question_id):
    return status_action(question_id, services.reopen_question, _("Reopened as a draft."))


@bp.get("/questions/<int:question_id>/preview")
@route_policy(BANK_STAFF)
def question_preview(question_id):
    session = get_session()
    question = question_or_404(question_id)
    version = _asked_version(queries.versions_of(session, question), question)
    qtype = TYPES[question.type]
    return render_template(
        "question_bank/preview.html",
        question=question,
        version=version,
        qtype=qtype,
        widget=qtype.widget_question(version.stem, version.spec, field=f"q{question.id}"),
        show_key=request.args.get("key") == "1",
    )
