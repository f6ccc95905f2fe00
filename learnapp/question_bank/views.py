from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learnapp.authz import (
    ADMIN,
    BANK_EDITOR,
    BANK_REVIEWER,
    BANK_STAFF,
    route_policy,
    strict_int_arg,
)
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.question_bank import queries, services
from learnapp.question_bank.draft import split_path
from learnapp.question_bank.forms import (
    BankForm,
    BulkForm,
    RejectForm,
    RenameForm,
    ReviewRuleForm,
)
from learnapp.question_bank.models import (
    AUDIENCE_LABELS,
    STATUS_LABELS,
    Audience,
    KnowledgePoint,
    Question,
    QuestionStatus,
    SourceDocument,
)
from learnapp.question_bank.queries import QuestionFilters
from learnapp.question_bank.types import TYPES, points_text

bp = Blueprint("question_bank", __name__, url_prefix="/bank")


@bp.context_processor
def labels():
    signed_in = current_user.is_authenticated
    return {
        "TYPES": TYPES,
        "STATUS_LABELS": STATUS_LABELS,
        "AUDIENCE_LABELS": AUDIENCE_LABELS,
        "is_bank_editor": signed_in and services.is_bank_editor(current_user),
        "is_bank_reviewer": signed_in and services.is_bank_reviewer(current_user),
    }


def _bank(bank_id: int):
    bank = queries.bank_if_in_scope(get_session(), current_user, bank_id)
    if bank is None:
        abort(404)
    return bank


def _question(question_id: int) -> Question:
    question = get_session().get(Question, question_id)
    if question is None:
        abort(404)
    _bank(question.bank_id)
    return question


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
    from learnapp.orgs.queries import units_in_scope

    session = get_session()
    form = BankForm()
    form.unit_id.choices = [SelectChoice(0, _("Platform-wide"))] + [
        SelectChoice(unit.id, "　" * unit.depth + unit.name)
        for unit in units_in_scope(session, current_user)
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
    bank = _bank(bank_id)
    form = ReviewRuleForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_two_person_review(
        get_session(), current_user, bank, form.two_person_review.data, now()
    )
    commit()
    flash(_("Review rule saved."), "success")
    return redirect(url_for("question_bank.questions", bank_id=bank.id))


@bp.get("/<int:bank_id>/")
@route_policy(BANK_STAFF)
def questions(bank_id):
    session = get_session()
    bank = _bank(bank_id)
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
    bank = _bank(bank_id)
    form = BulkForm()
    back = url_for("question_bank.questions", bank_id=bank.id)
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
            message = _("%(n)d sent to review, %(s)d skipped (not drafts).", n=done, s=skipped)
        elif action == "retire":
            done, skipped = services.bulk_retire(session, current_user, chosen, stamp)
            message = _("%(n)d retired, %(s)d skipped.", n=done, s=skipped)
        elif action == "move":
            done = services.bulk_move(
                session, current_user, bank, chosen, split_path(form.target.data), stamp
            )
            message = _("%(n)d moved.", n=done)
        else:
            done = services.bulk_tag(session, current_user, bank, chosen, form.target.data, stamp)
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
    return render_template("question_bank/new_type.html", bank=_bank(bank_id))


@bp.route("/<int:bank_id>/questions/new/<type_code>", methods=["GET", "POST"])
@route_policy(BANK_EDITOR)
def question_new(bank_id, type_code):
    bank = _bank(bank_id)
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
        "question_bank/form.html", form=form, bank=bank, qtype=qtype, question=None
    ), 400 if form.errors else 200


@bp.get("/questions/<int:question_id>")
@route_policy(BANK_STAFF)
def question_detail(question_id):
    session = get_session()
    question = _question(question_id)
    versions = queries.versions_of(session, question)
    number = strict_int_arg("version")
    shown = next((v for v in versions if v.number == number), question.current_version)
    return render_template(
        "question_bank/detail.html",
        question=question,
        version=shown,
        versions=versions,
        qtype=TYPES[question.type],
        usage=queries.usage_counts(session, [question.id])[question.id],
        action_form=EmptyForm(),
        reject_form=RejectForm(),
    )


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@route_policy(BANK_EDITOR)
def question_edit(question_id):
    question = _question(question_id)
    qtype = TYPES[question.type]
    form = qtype.form_class()
    if request.method == "GET":
        form.load(services.to_draft(question.current_version), question.current_version.audience)
    if form.validate_on_submit():
        try:
            services.update_question(
                get_session(),
                current_user,
                question,
                form.draft(),
                now(),
                audience=Audience(form.audience.data),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Question saved."), "success")
            return redirect(url_for("question_bank.question_detail", question_id=question.id))
    return render_template(
        "question_bank/form.html", form=form, bank=question.bank, qtype=qtype, question=question
    ), 400 if form.errors else 200


def _status_action(question_id, service, message):
    question = _question(question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        service(get_session(), current_user, question, now())
    except DomainError as error:
        flash(error.message, "danger")
    else:
        commit()
        flash(message, "success")
    return redirect(url_for("question_bank.question_detail", question_id=question.id))


@bp.post("/questions/<int:question_id>/submit")
@route_policy(BANK_EDITOR)
def question_submit(question_id):
    return _status_action(question_id, services.submit_for_review, _("Sent to review."))


@bp.post("/questions/<int:question_id>/approve")
@route_policy(BANK_REVIEWER)
def question_approve(question_id):
    return _status_action(question_id, services.approve_question, _("Approved: now active."))


@bp.post("/questions/<int:question_id>/retire")
@route_policy(BANK_EDITOR)
def question_retire(question_id):
    return _status_action(question_id, services.retire_question, _("Question retired."))


@bp.post("/questions/<int:question_id>/reopen")
@route_policy(BANK_EDITOR)
def question_reopen(question_id):
    return _status_action(question_id, services.reopen_question, _("Reopened as a draft."))


@bp.post("/questions/<int:question_id>/reject")
@route_policy(BANK_REVIEWER)
def question_reject(question_id):
    question = _question(question_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            services.reject_question(get_session(), current_user, question, form.reason.data, now())
        except DomainError as error:
            flash(error.message, "danger")
        else:
            commit()
            flash(_("Sent back to the author."), "success")
    else:
        flash(_("Say what needs changing."), "danger")
    return redirect(url_for("question_bank.question_detail", question_id=question.id))


@bp.get("/questions/<int:question_id>/preview")
@route_policy(BANK_STAFF)
def question_preview(question_id):
    session = get_session()
    question = _question(question_id)
    number = strict_int_arg("version")
    version = next(
        (v for v in queries.versions_of(session, question) if v.number == number),
        question.current_version,
    )
    qtype = TYPES[question.type]
    return render_template(
        "question_bank/preview.html",
        question=question,
        version=version,
        qtype=qtype,
        widget=qtype.widget_question(version.stem, version.spec, field=f"q{question.id}"),
        points=points_text(version.points),
        show_key=request.args.get("key") == "1",
    )


@bp.get("/<int:bank_id>/knowledge-points")
@route_policy(BANK_STAFF)
def knowledge_points(bank_id):
    session = get_session()
    bank = _bank(bank_id)
    points = queries.knowledge_points(session, bank)
    return render_template(
        "question_bank/knowledge_points.html",
        bank=bank,
        points=points,
        parents={point.parent_id for point in points},
        counts=queries.knowledge_point_counts(session, bank),
        rename_form=RenameForm(),
        action_form=EmptyForm(),
    )


def _knowledge_point(point_id: int) -> KnowledgePoint:
    point = get_session().get(KnowledgePoint, point_id)
    if point is None:
        abort(404)
    _bank(point.bank_id)
    return point


@bp.post("/knowledge-points/<int:point_id>/rename")
@route_policy(BANK_EDITOR)
def knowledge_point_rename(point_id):
    point = _knowledge_point(point_id)
    form = RenameForm()
    if form.validate_on_submit():
        before = point.full_name
        try:
            services.rename_knowledge_point(
                get_session(), current_user, point, form.name.data, now()
            )
        except DomainError as error:
            flash(error.message, "danger")
        else:
            commit()
            flash(_("%(old)s is now %(new)s.", old=before, new=point.full_name), "success")
    else:
        flash(_("Enter a name without / › or >."), "danger")
    return redirect(url_for("question_bank.knowledge_points", bank_id=point.bank_id))


@bp.post("/knowledge-points/<int:point_id>/delete")
@route_policy(BANK_EDITOR)
def knowledge_point_delete(point_id):
    point = _knowledge_point(point_id)
    bank_id, full_name = point.bank_id, point.full_name
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.delete_knowledge_point(get_session(), current_user, point, now())
    except DomainError as error:
        flash(error.message, "danger")
    else:
        commit()
        flash(_("%(name)s removed.", name=full_name), "success")
    return redirect(url_for("question_bank.knowledge_points", bank_id=bank_id))


@bp.get("/<int:bank_id>/review")
@route_policy(BANK_REVIEWER)
def review_queue(bank_id):
    bank = _bank(bank_id)
    return render_template(
        "question_bank/review.html",
        bank=bank,
        questions=queries.review_queue(get_session(), bank),
        action_form=EmptyForm(),
    )


@bp.get("/sources")
@route_policy(BANK_STAFF)
def sources():
    session = get_session()
    return render_template(
        "question_bank/sources.html",
        sources=queries.sources(session),
        counts=queries.source_question_counts(session, current_user),
        action_form=EmptyForm(),
    )


@bp.post("/sources/<int:source_id>/supersede")
@route_policy(BANK_EDITOR)
def source_supersede(source_id):
    session = get_session()
    document = session.get(SourceDocument, source_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        flagged = services.supersede_source(session, current_user, document, now())
    except DomainError as error:
        flash(error.message, "danger")
    else:
        commit()
        flash(
            _(
                "%(title)s marked superseded; %(n)d questions flagged for review.",
                title=document.title,
                n=flagged,
            ),
            "success",
        )
    return redirect(url_for("question_bank.sources"))
